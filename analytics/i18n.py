"""The interface's language: English (the source strings) or 简体中文, through gettext catalogs.

Every user-visible string is written in English inside ``_()`` (or ``ngettext`` for plurals, or
marked with ``N_`` where it is defined and translated where it is shown). ``pybabel extract``
(``babel.cfg``) collects them into ``analytics/locale/marketlens.pot``; each language's
``analytics/locale/<lang>/LC_MESSAGES/marketlens.po`` holds the translations. The catalogs are
compiled by Babel at start-up, in memory (a ``.mo`` file next to the ``.po`` is used when it is
newer), so an install needs no build step. ``tests/unit/test_i18n.py`` fails when a string is
missing from a catalog or a catalog entry has no translation.

The language is per visitor: a context variable, set at the start of each page run by the app
(and by ``--lang`` on the command line), read by :func:`_`. Code running in another thread or
process takes it as an argument (:func:`language`).

>>> with language("zh_CN"):
...     _("Revenue")
'收入'
>>> _("Revenue")
'Revenue'
"""

from __future__ import annotations

import functools
import gettext
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

#: The languages offered, by their own names.
LANGUAGES = {"en": "English", "zh_CN": "简体中文"}
DEFAULT_LANGUAGE = "en"
DOMAIN = "marketlens"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

T = TypeVar("T")

_current: ContextVar[str] = ContextVar("marketlens_language", default=DEFAULT_LANGUAGE)


def language_for(locale: str | None) -> str:
    """The interface language for a browser or CLDR locale: ``zh-CN``, ``zh_Hans``, ``zh`` →
    ``zh_CN``; anything else English."""
    text = (locale or "").replace("-", "_").lower()
    return "zh_CN" if text.startswith("zh") else DEFAULT_LANGUAGE


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of a language (English: the strings as written)."""
    if lang == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    if lang not in LANGUAGES:
        raise ValueError(f"Unknown language {lang!r}: use one of {', '.join(LANGUAGES)}.")
    po = catalog_path(lang)
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def current_language() -> str:
    return _current.get()


def set_language(lang: str) -> None:
    """The language of this thread's (this page run's) strings from now on."""
    _current.set(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)


@contextmanager
def language(lang: str) -> Iterator[None]:
    """Strings in ``lang`` inside the block."""
    token = _current.set(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _current.reset(token)


def _(message: str) -> str:
    """``message`` in the current language (as written when it has no translation)."""
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, in the current language's plural rules."""
    return translations(_current.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for the catalogs where it is defined; ``_()`` translates it where shown."""
    return message


def day(value: object) -> str:
    """A day inside a sentence: ``2024-01-05`` in English, ``2024年1月5日`` in Chinese."""
    import pandas as pd
    from babel.dates import format_date

    stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    if _current.get() == DEFAULT_LANGUAGE:
        return f"{stamp:%Y-%m-%d}"
    return format_date(stamp.date(), "long", locale=_current.get())


def in_language(lang: str, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` with its words in ``lang``: for work that runs in a worker
    process or another thread, where the visitor's language is not set."""
    with language(lang):
        return fn(*args, **kwargs)
