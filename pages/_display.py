"""The display layer's Streamlit half: the visitor's locale and currency (chosen once, in the
sidebar) and tables drawn through ``st.column_config`` from :mod:`analytics.display`'s specs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st
from babel import Locale
from babel.numbers import get_currency_name

from analytics.display import CURRENCIES, LOCALES, PERCENT_SCALE, Column, Display
from analytics.i18n import LANGUAGES, _, current_language, language_for
from pages._state import _STATE, restate_in
from pages._widgets import kept, md

LOCALE_KEY = "w.display.locale"
#: The interface language: a "w." key, so a workspace remembers it.
LANGUAGE_KEY = "w.language"
#: The number and date format each language starts with.
_LANGUAGE_LOCALES = {"zh_CN": "zh_CN", "en": "en_US"}
_CURRENCY_KEY = "w.display.currency"


def _browser_locale() -> str:
    try:
        return str(st.context.locale or "en-US")
    except AttributeError:  # no browser (AppTest before Streamlit set a context)
        return "en-US"


def interface_language() -> str:
    """The visitor's language: chosen in the sidebar, else their browser's."""
    chosen = st.session_state.get(LANGUAGE_KEY)
    return chosen if chosen in LANGUAGES else language_for(_browser_locale())


def _language_changed() -> None:
    """Numbers and dates follow a new language (the visitor may still choose another format)."""
    lang = st.session_state.get(LANGUAGE_KEY)
    restate_in(lang or "en")
    browser = Display.for_locale(_browser_locale()).locale
    st.session_state[LOCALE_KEY] = (
        browser if language_for(browser) == lang else _LANGUAGE_LOCALES.get(lang, "en_US")
    )


def language_switch() -> None:
    """The sidebar's language switch (English / 简体中文), labelled in both languages."""
    with st.sidebar:
        kept(
            st.segmented_control,
            "Language · 语言",  # i18n: as is
            list(LANGUAGES),
            key=LANGUAGE_KEY,
            default=interface_language(),
            format_func=LANGUAGES.__getitem__,
            on_change=_language_changed,
            required=True,
        )


def data_currency() -> str | None:
    """The currency the current file states (a currency column, a symbol in its amounts)."""
    state = st.session_state.get(_STATE)
    dataset = getattr(state, "original", None)
    return getattr(dataset, "currency", None)


def _currency_key() -> str:
    """One currency choice per stated currency: a file that says EUR opens in EUR; files that say
    nothing share the visitor's choice."""
    return f"{_CURRENCY_KEY}.{data_currency() or 'unstated'}"


def current_display() -> Display:
    """The locale and currency this visitor reads figures in."""
    locale = st.session_state.get(LOCALE_KEY) or (
        _browser_locale()
        if language_for(_browser_locale()) == current_language()
        else _LANGUAGE_LOCALES[current_language()]
    )
    base = Display.for_locale(locale)
    chosen = st.session_state.get(_currency_key()) or data_currency() or base.currency
    return base.with_currency(chosen)


def display_settings() -> None:
    """The sidebar's "Numbers and currency" box."""
    display = current_display()
    locales = list(dict.fromkeys([*LOCALES, display.locale]))
    stated = data_currency()
    currencies = list(dict.fromkeys([*CURRENCIES, display.currency, *([stated] if stated else [])]))
    with st.sidebar.expander(_("Numbers and currency"), icon=":material/payments:"):
        kept(
            st.selectbox,
            _("Number and date format"),
            locales,
            key=LOCALE_KEY,
            default=display.locale,
            format_func={code: _locale_name(code) for code in locales}.__getitem__,
        )
        kept(
            st.selectbox,
            _("Currency"),
            currencies,
            key=_currency_key(),
            default=display.currency,
            format_func=lambda code: f"{code} · {get_currency_name(code, locale=display.locale)}",
        )
        st.caption(
            _("The file states its amounts are in {currency}.").format(currency=md(stated))
            if stated
            else _("The file does not say which currency its amounts are in: choose it here.")
        )


def _locale_name(code: str) -> str:
    """A format's name in the interface language (in its own language for English readers)."""
    lang = current_language()
    return Locale.parse(code).get_display_name(None if lang == "en" else lang) or code


def column_config(
    frame: pd.DataFrame,
    columns: Mapping[str, Column | str] | None = None,
    own: frozenset[str] | set[str] = frozenset(),
    display: Display | None = None,
    specs: Mapping[str, Column] | None = None,
) -> dict[str, Any]:
    """``st.column_config`` for every column of ``frame``: labels in words, formats by kind."""
    display = display or current_display()
    specs = specs or display.columns(frame, dict(columns or {}), own)
    config: dict[str, Any] = {}
    for name, spec in specs.items():
        series = frame[name]
        fmt, suffix = display.table_format(spec.kind or "text", spec.decimals)
        label = _(spec.label) + suffix
        options = {"help": _(spec.help) if spec.help else None, "width": spec.width}
        if pd.api.types.is_datetime64_any_dtype(series):
            config[name] = st.column_config.DatetimeColumn(label, format=fmt, **options)
        elif pd.api.types.is_bool_dtype(series):
            config[name] = st.column_config.CheckboxColumn(label, **options)
        elif pd.api.types.is_numeric_dtype(series) and spec.kind not in ("text", "flag"):
            config[name] = st.column_config.NumberColumn(label, format=fmt, **options)
        else:
            config[name] = st.column_config.TextColumn(label, **options)
    return config


def table(
    frame: pd.DataFrame,
    *,
    columns: Mapping[str, Column | str] | None = None,
    own: frozenset[str] | set[str] = frozenset(),
    hide_index: bool = True,
    **kwargs: Any,
) -> Any:
    """``st.dataframe`` as every page draws it: headers in words, numbers, money (with its
    currency), percentages and dates formatted for the visitor's locale, "—" for a missing
    value. ``own`` are columns named by the user's file, kept as written."""
    if not hide_index:
        frame = frame.reset_index()
    display = current_display()
    specs = display.columns(frame, dict(columns or {}), own)
    shares = [
        name
        for name, spec in specs.items()
        if spec.kind == "percent" and pd.api.types.is_numeric_dtype(frame[name])
    ]
    if shares:  # 0.388 is handed over as 38.8, written "38.8%"
        frame = frame.assign(**{name: frame[name] * PERCENT_SCALE for name in shares})
    return st.dataframe(
        frame,
        hide_index=True,
        column_config=column_config(frame, columns, own, display, specs),
        placeholder="—",
        **kwargs,
    )
