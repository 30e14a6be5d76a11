"""The interface's languages: every string marked for translation is in the catalogs and
translated, translations keep their placeholders, the translated modules write no user-visible
string outside ``_()``, and numbers, money and dates follow the language."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from analytics.display import Display
from analytics.i18n import (
    LANGUAGES,
    N_,
    _,
    catalog_path,
    day,
    language,
    language_for,
    ngettext,
    translations,
)

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)}
#: Modules whose every user-visible string goes through the catalogs (the scan below).
TRANSLATED = (
    "app.py",
    "pages/overview.py",
    "pages/data.py",
    "pages/_display.py",
    "pages/_widgets.py",
    "pages/_errors.py",
    "pages/report.py",
    "pages/segments.py",
    "pages/basket.py",
    "pages/workspaces.py",
    "pages/forecast.py",
    "pages/propensity.py",
    "pages/customers.py",
    "pages/channels.py",
    "pages/campaigns.py",
    "pages/_workspace.py",
    "pages/_jobs.py",
    "pages/_large.py",
    "pages/monitor.py",
    "pages/_live.py",
)
#: Streamlit calls whose text arguments a visitor reads.
UI_CALLS = frozenset(
    [
        "title",
        "header",
        "subheader",
        "caption",
        "markdown",
        "write",
        "info",
        "warning",
        "error",
        "success",
        "toast",
        "metric",
        "button",
        "download_button",
        "form_submit_button",
        "link_button",
        "page_link",
        "checkbox",
        "toggle",
        "radio",
        "selectbox",
        "multiselect",
        "select_slider",
        "slider",
        "number_input",
        "text_input",
        "text_area",
        "date_input",
        "time_input",
        "file_uploader",
        "pills",
        "segmented_control",
        "expander",
        "tabs",
        "status",
        "spinner",
        "popover",
        "update",
    ]
)
TEXT_KEYWORDS = ("label", "help", "placeholder", "caption")


def extracted() -> dict[str, tuple[str, ...]]:
    """Every message of the code, as pybabel extracts it with babel.cfg."""
    method_map = [
        ("app.py", "python"),
        ("pages/**.py", "python"),
        ("analytics/**.py", "python"),
        ("analytics/report/templates/**.html", "jinja2"),
    ]
    options = {"analytics/report/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found: dict[str, tuple[str, ...]] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map=options, keywords=KEYWORDS
    ):
        messages = message if isinstance(message, tuple) else (message,)
        found[messages[0]] = messages
    return found


def catalog(lang: str):
    with catalog_path(lang).open("rb") as handle:
        return read_po(handle, locale=lang)


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_marked_string_is_in_the_catalog_and_translated(lang):
    messages = extracted()
    assert len(messages) > 400
    po = catalog(lang)
    entries = {m.id[0] if isinstance(m.id, tuple) else m.id: m for m in po if m.id}
    missing = sorted(set(messages) - set(entries))
    assert not missing, (
        f"not in {catalog_path(lang)} (pybabel extract, then update): {missing[:10]}"
    )
    stale = sorted(set(entries) - set(messages))
    assert not stale, f"no longer in the code: {stale[:10]}"
    untranslated = [
        key
        for key, entry in entries.items()
        if entry.fuzzy
        or not (all(entry.string) if isinstance(entry.string, tuple) else entry.string)
    ]
    assert not untranslated, f"without a translation: {untranslated[:10]}"
    assert not po.fuzzy, "the catalog's header is marked fuzzy: it would not be compiled"


_PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\(\w+\)s")


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_translations_keep_every_placeholder(lang):
    for entry in catalog(lang):
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        wanted = sorted(_PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            assert sorted(_PLACEHOLDER.findall(string)) == wanted, (entry.id, string)


def _has_words(node: ast.AST) -> bool:
    """A bare string (or f-string) with letters: text a visitor would read untranslated."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        if "```" in node.value:
            return False  # a code example (a secrets.toml block) reads the same in any language
        text = re.sub(r":material/[a-z_]+:|:[a-z]+\[[^\]]*\]", "", node.value)
        return bool(re.search(r"[A-Za-z]{2,}", text))
    if isinstance(node, ast.JoinedStr):
        return any(_has_words(part) for part in node.values if isinstance(part, ast.Constant))
    if isinstance(node, ast.BinOp):
        return _has_words(node.left) or _has_words(node.right)
    return False


#: A line ending in this comment shows its text as it is on purpose (an SQL example, the
#: language switch's label written in both languages).
AS_IS = "# i18n: as is"


def bare_strings(path: Path) -> list[str]:
    """User-visible arguments of Streamlit calls in a module that are not translated."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        receiver = getattr(getattr(node.func, "value", None), "id", "")
        if receiver in ("log", "logger", "logging"):
            continue
        texts: list[ast.AST] = []
        if name == "kept" and len(node.args) > 1:
            texts.append(node.args[1])
        elif name in UI_CALLS and name != "page_link":  # a page link's first argument is a path
            texts += node.args[:1]
        if name in UI_CALLS or name == "kept":
            texts += [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
        found += [
            f"{path.name}:{t.lineno}"
            for t in texts
            if _has_words(t) and not lines[t.lineno - 1].rstrip().endswith(AS_IS)
        ]
    return found


def test_translated_modules_show_no_string_outside_the_catalogs():
    left = [hit for module in TRANSLATED for hit in bare_strings(ROOT / module)]
    assert not left, left


def test_the_scan_finds_an_untranslated_label(tmp_path):
    page = tmp_path / "page.py"
    page.write_text(
        'st.button("Run")\nst.caption(f"{n} rows")\nkept(st.selectbox, "Pick", [], key="k")\n'
        'st.button(_("Run"))\nst.caption(":material/info: " + _("x"))\n'
    )
    assert bare_strings(page) == ["page.py:1", "page.py:2", "page.py:3"]


def test_languages_plurals_and_dates():
    assert language_for("zh-CN") == language_for("zh_Hans_CN") == language_for("zh") == "zh_CN"
    assert language_for("en-GB") == language_for(None) == language_for("de") == "en"
    assert _("Revenue") == "Revenue" and N_("Revenue") == "Revenue"
    with language("zh_CN"):
        assert _("Revenue") == "收入"
        assert ngettext("{kind}, {n} row", "{kind}, {n} rows", 5) == "{kind}，{n} 行"
        assert day("2024-01-05") == "2024年1月5日"
    assert day("2024-01-05") == "2024-01-05"
    assert ngettext("{kind}, {n} row", "{kind}, {n} rows", 5) == "{kind}, {n} rows"
    assert translations("zh_CN").gettext("Revenue") == "收入"
    with pytest.raises(ValueError, match="Unknown language"):
        translations("xx")


def test_chinese_figures_read_in_wan_and_yi_on_cards_and_in_full_in_tables():
    shown = Display("zh_CN", "CNY")
    assert shown.kpi(1_621_554, "money") == "¥162.2万"
    assert shown.kpi(123_456_789, "count") == "1.2亿"
    assert shown.kpi(16_760, "count") == "16,760"  # below 100,000: every digit
    assert shown.money(1_621_554) == "¥1,621,554"  # tables keep every digit
    assert shown.date("2024-01-05") == "2024年1月5日"
    assert Display("en_US", "USD").kpi(1_621_554, "money") == "$1,621,554"
