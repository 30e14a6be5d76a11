"""What a stakeholder would see in a page's tables and metrics, checked the way issue 18 reads them:
no ``None``/``nan``/``NaT``, no braces, no raw snake_case header, no scientific notation, no
unformatted fractions, dates without a clock, money with its currency."""

from __future__ import annotations

import json
import re

import pandas as pd
from streamlit.testing.v1 import AppTest

SNAKE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)+$")
MISSING_WORDS = re.compile(r"^(?:None|nan|NaN|NaT|<NA>|null)$")
SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE][+-]?\d")
#: A column or label that holds an amount of money.
MONEY = re.compile(
    r"revenue|monetary|spend|sales|(?<!p.)value\b|price|order value|amount|\bAOV\b", re.IGNORECASE
)
#: Not money although the words match (a rank, a count, a share of it).
NOT_MONEY = re.compile(
    r"share|score|rank|%|per order|count|lines|orders\b|customers|p-value|growth|change",
    re.IGNORECASE,
)
CURRENCY_MARKS = ("$", "£", "€", "¥", "￥", "USD", "GBP", "EUR", "CNY", "JPY", "CHF", "₹", "kr")


def _config(element) -> dict:
    return json.loads(element.proto.columns or "{}")


def _money_ok(text: str) -> bool:
    return any(mark in text for mark in CURRENCY_MARKS)


def table_problems(element, where: str, own: frozenset[str] = frozenset()) -> list[str]:
    """Everything in one ``st.dataframe`` that a reader would see as raw. ``own``: the user's
    file's own column names, which a table may show as the file writes them."""
    frame: pd.DataFrame = element.value
    config = _config(element)
    placeholder = element.proto.placeholder
    problems: list[str] = []
    index_cfg = config.get("_index", {})
    columns = list(frame.columns)
    if not index_cfg.get("hidden") and not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()
        columns = list(frame.columns)
    for name in columns:
        cfg = config.get(str(name), {})
        if cfg.get("hidden"):
            continue
        label = str(cfg.get("label") or name)
        fmt = str(cfg.get("type_config", {}).get("format") or "")
        series = frame[name]
        tag = f"{where}: column {label!r}"
        if label not in own and (SNAKE.match(label) or label[:1].islower()):
            problems.append(f"{tag}: header is not in words")
        if series.isna().any() and not placeholder:
            problems.append(f"{tag}: missing values show as 'None'")
        if pd.api.types.is_bool_dtype(series):
            continue
        if pd.api.types.is_float_dtype(series):
            if not fmt:
                problems.append(f"{tag}: fractions without a format (0.0493, 5.52e+03)")
            elif fmt in ("scientific", "engineering") or re.search(r"%[-+ 0#,]*\.?\d*[eEgG]", fmt):
                problems.append(f"{tag}: scientific notation ({fmt})")
        money = bool(MONEY.search(label)) and not NOT_MONEY.search(label)
        if money and pd.api.types.is_numeric_dtype(series) and not _money_ok(fmt + label):
            problems.append(f"{tag}: money without its currency")
        if pd.api.types.is_datetime64_any_dtype(series) and not fmt:
            problems.append(f"{tag}: dates with a clock (2026-01-01 00:00:00)")
        if series.dtype == object or pd.api.types.is_string_dtype(series):
            values = series.dropna().astype(str)
            bad = values[
                values.str.match(MISSING_WORDS)
                | values.str.contains("{", regex=False)
                | values.str.contains("}", regex=False)
                | values.str.fullmatch(r"-?\d+(?:\.\d+)?[eE][+-]?\d+")
            ]
            if len(bad):
                problems.append(f"{tag}: shows {bad.iloc[0]!r}")
    return problems


def metric_problems(at: AppTest, where: str) -> list[str]:
    problems = []
    for metric in at.metric:
        text = f"{metric.value} {metric.delta or ''}"
        if re.search(r"\b(?:None|nan|NaN|NaT)\b", text) or SCIENTIFIC.search(text):
            problems.append(f"{where}: metric {metric.label!r} shows {text!r}")
        money = bool(MONEY.search(metric.label)) and not NOT_MONEY.search(metric.label)
        if money and not _money_ok(str(metric.value)) and metric.value not in ("—", ""):
            problems.append(f"{where}: metric {metric.label!r} = {metric.value!r} has no currency")
    return problems


def page_problems(at: AppTest, where: str, own: frozenset[str] = frozenset()) -> list[str]:
    problems = [p for element in at.dataframe for p in table_problems(element, where, own)]
    return problems + metric_problems(at, where)
