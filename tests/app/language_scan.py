"""What a page shows in words, read from the AppTest element tree, and the English left in it.

Every element's user-visible text is collected: headings, Markdown, captions and alerts, metric
labels, values and help, widget labels, options, help and placeholders, expander and tab labels,
table headers and their help, and the titles, axis titles, legend names and hover texts of
charts. Words that come from the data (file and column names, values) and technical names
(CSV, HMAC-SHA-256, ROC AUC …) are allowed; any other English word is reported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

import pandas as pd
from streamlit.testing.v1 import AppTest

#: Names that stay as they are in any language: formats, standards, products, units.
TECHNICAL = frozenset(
    [
        "MarketLens",
        "HTML",
        "webhook",  # the alert delivery's technical name, as Chinese software leaves it
        "SMTP",
        "Ward",
        "Holm",
        "Newcombe",
        "Welch",
        "Qini",
        "ROI",
        "BG",
        "NBD",
        "Gamma",
        "Fader",
        "Hardie",
        "Lee",
        "PR",
        "nan",
        "pickle",
        "scikit",
        "learn",
        "Python",
        "MASE",
        "ETS",
        "AICc",
        "SARIMA",
        "ARIMA",
        "Theta",
        "Box",
        "Cox",
        "STL",
        "MAE",
        "RMSE",
        "MAPE",
        "sMAPE",
        "ACF",
        "Ljung",
        "mlxtend",
        "Eclat",
        "FP",
        "Growth",
        "Apriori",
        "arules",
        "Benjamini",
        "Hochberg",
        "Fisher",
        "Zhang",
        "Jaccard",
        "Kulczynski",
        "DBSCAN",
        "Davies",
        "Bouldin",
        "Calinski",
        "Harabasz",
        "eps",
        "MB",
        "CSV",
        "TSV",
        "TXT",
        "Excel",
        "Parquet",
        "OpenDocument",
        "xlsx",
        "xlsm",
        "xls",
        "xlsb",
        "ods",
        "HMAC",
        "SHA",
        "ID",
        "IDs",
        "CRM",
        "SQL",
        "SELECT",
        "WITH",
        "SQLite",
        "PostgreSQL",
        "ROC",
        "AUC",
        "RFM",
        "KPI",
        "SKU",
        "IP",
        "UTF",
        "GBK",
        "GB",
        "YYYY",
        "MM",
        "DD",
        "USD",
        "CNY",
        "EUR",
        "GBP",
        "JPY",
        "CHF",
        "CAD",
        "AUD",
        "INR",
        "BRL",
        "SEK",
        "streamlit",
        "toml",
        "secrets",
        "python",
        "analytics",
        "sample",
        "url",
        "sqlite",
        "postgresql",
        "reader",
        "password",
        "host",
        "shop",
        "data",
        "ISO",
        "BOM",
    ]
)
_TEXT_FIELDS = ("label", "body", "help", "placeholder", "caption")
_SKIPPED_LABELS = ("Language · 语言",)  # the language switch names each language in its own
_MARKUP = re.compile(
    r":material/[a-z_]+:|:[a-z]+\[|`[^`]*`|https?://\S+|\\(.)|<[^>]+>|%\{[^}]*\}"
    r"|[\w.-]+\.(?:key|csv|toml|py|xlsx|xls|sqlite|parquet)\b"
    r"|\b\w+_\w+\b"  # snake_case names: columns and features as the code names them
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")


def _walk(node: Any) -> Iterator[Any]:
    yield node
    for child in (getattr(node, "children", None) or {}).values():
        yield from _walk(child)


def _chart_texts(spec: str) -> Iterator[str]:
    figure = json.loads(spec)
    layout = figure.get("layout", {})
    for key, value in layout.items():
        if key == "title" or key.startswith(("xaxis", "yaxis", "legend")):
            title = value.get("title") if key != "title" else value
            if isinstance(title, dict):
                yield str(title.get("text", ""))
            elif isinstance(title, str):
                yield title
    for annotation in layout.get("annotations", []):
        yield str(annotation.get("text", ""))
    for trace in figure.get("data", []):
        if trace.get("showlegend", True) is not False and "name" in trace:
            yield str(trace["name"])
        if "hovertemplate" in trace:
            yield str(trace["hovertemplate"])


def page_texts(at: AppTest) -> list[str]:
    """Every piece of text the page and its sidebar show."""
    out: list[str] = []
    for node in _walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None or type(proto).__name__ == "Html":
            continue
        fields = {f.name: v for f, v in proto.ListFields()}
        if fields.get("label") in _SKIPPED_LABELS:
            continue
        out += [str(fields[name]) for name in _TEXT_FIELDS if name in fields]
        if type(proto).__name__ == "PlotlyChart" and "spec" in fields:
            out += list(_chart_texts(fields["spec"]))
        if type(proto).__name__ == "Dataframe" and fields.get("columns"):
            for spec in json.loads(fields["columns"]).values():
                out += [str(spec.get("label") or ""), str(spec.get("help") or "")]
        for option in fields.get("options", ()):
            out.append(
                getattr(option, "content", option) if not isinstance(option, str) else option
            )
    return [t for t in out if t]


def data_words(frames: Iterable[pd.DataFrame], names: Iterable[str] = ()) -> set[str]:
    """The words of a file: its name, column names and text values (lower-cased)."""
    words: set[str] = set()
    texts = list(names)
    for frame in frames:
        texts += [str(c) for c in frame.columns]
        for column in frame.columns:
            values = frame[column].dropna()
            if values.dtype == object or pd.api.types.is_string_dtype(values):
                texts += values.astype(str).unique()[:5000].tolist()
    for text in texts:
        words.update(w.lower() for w in _WORD.findall(text))
    return words


def english_left(texts: Iterable[str], allowed: set[str]) -> list[str]:
    """The texts holding English words that are neither data nor technical names."""
    left = []
    for text in texts:
        plain = _MARKUP.sub(" ", re.sub(r"\\(.)", r"\1", text))
        words = [
            w
            for w in _WORD.findall(plain)
            if len(w) > 1 and w not in TECHNICAL and w.lower() not in allowed
        ]
        if words:
            left.append(f"{' '.join(words)}  ←  {text[:160]}")
    return left
