"""How figures are shown, in one place: numbers, money, percentages and dates in a locale, with a
currency, and every table column with a label in words, a kind and a help text.

The pages turn a table's :class:`Column` specs into ``st.column_config`` (pages/_display.py); the
HTML report and the CLI use :meth:`Display.text_table` and :meth:`Display.value`. Locale rules come
from Babel (CLDR): ``Display("de_DE", "EUR").money(12.5)`` is ``12,50 €``.

>>> Display("en_GB", "GBP").money(1234.5), Display("en_GB", "GBP").money(12.5)
('£1,234', '£12.50')
>>> Display().percent(0.0493)
'4.9%'
>>> column_label("revenue_share")
'Share of revenue'
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, get_date_format
from babel.numbers import (
    format_compact_currency,
    format_compact_decimal,
    format_currency,
    format_decimal,
    format_percent,
    get_currency_name,
    get_currency_precision,
    get_currency_symbol,
    get_territory_currencies,
)

from analytics.errors import AnalyticsError
from analytics.i18n import N_, _, current_language

Kind = Literal["text", "count", "number", "money", "percent", "ratio", "date", "datetime", "flag"]

#: Streamlit's table cannot multiply by 100: percent columns are handed to it as percentages.
PERCENT_SCALE = 100.0
#: The locales offered in the sidebar (any CLDR locale works in code), by their own names.
LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR", "zh_CN", "ja_JP")
#: Currencies offered first; a currency a file states is added to them.
CURRENCIES = ("USD", "EUR", "GBP", "CNY", "JPY", "CHF", "CAD", "AUD", "INR", "BRL", "SEK")


@dataclass(frozen=True)
class Column:
    """How one table column is shown: its header in words, what kind of figure it holds, a help
    text (where the technical name goes), and a fixed number of decimals if the kind's rule
    does not fit."""

    label: str
    kind: Kind | None = None
    help: str | None = None
    decimals: int | None = None
    width: Literal["small", "medium", "large"] | None = None


#: Columns the analyses produce, by name: their headers in words and their kinds. Names not here
#: are written out (``avg_order_value`` → ``Avg order value``) and their kind read from the data.
COLUMNS: dict[str, Column] = {
    # data roles (the mapped table)
    "order_id": Column(N_("Order"), "text"),
    "customer_id": Column(N_("Customer"), "text"),
    "timestamp": Column(N_("Date"), "datetime"),
    "date": Column(N_("Date"), "date"),
    "product": Column(N_("Product"), "text"),
    "product_name": Column(N_("Product name"), "text"),
    "category": Column(N_("Category"), "text"),
    "quantity": Column(N_("Quantity"), "count"),
    "unit_price": Column(N_("Unit price"), "money"),
    "revenue": Column(N_("Revenue"), "money"),
    "name": Column(N_("Name"), "text"),
    "status": Column(N_("Order / payment status"), "text"),
    "paid": Column(N_("Paid"), "flag"),
    # campaigns
    "covariate": Column(N_("Attribute"), "text"),
    "unbalanced": Column(N_("Differs before the send"), "flag"),
    "predicted_uplift": Column(N_("Predicted uplift"), "number", decimals=4),
    # propensity: what each customer's history looks like to the models
    "recency_days": Column(N_("Days since last order"), "number", decimals=0),
    "tenure_days": Column(N_("Days as a customer"), "number", decimals=0),
    "days_between_orders": Column(N_("Days between orders"), "number", decimals=1),
    "avg_order_value": Column(N_("Average order value"), "money"),
    "order_value_spread": Column(N_("Spread of order value"), "money"),
    "largest_order": Column(N_("Largest order"), "money"),
    "items_per_order": Column(N_("Items per order"), "ratio"),
    "refund": Column(N_("Refunded amount"), "money"),
    # overview
    "period": Column(N_("Period"), "date"),
    "orders": Column(N_("Orders"), "count"),
    "customers": Column(N_("Customers"), "count"),
    "new_customers": Column(N_("New customers"), "count"),
    "returning_customers": Column(N_("Returning customers"), "count"),
    "complete": Column(
        N_("Whole period"), "flag", N_("Unticked: the period is cut by the data's range.")
    ),
    "revenue_share": Column(N_("Share of revenue"), "percent"),
    "share": Column(N_("Share of customers"), "percent"),
    "value": Column(N_("Value"), "text"),
    "figure": Column(N_("Figure"), "text"),
    "previous": Column(N_("Previous period"), "text"),
    "aov": Column(N_("Average order value"), "money"),
    # segments
    "segment": Column(N_("Segment"), "text"),
    "rfm_segment": Column(N_("RFM segment"), "text"),
    "action": Column(N_("What to do"), "text"),
    "recency": Column(N_("Recency (days)"), "count", N_("Days since the customer's last order.")),
    "frequency": Column(N_("Frequency (orders)"), "count", N_("Orders the customer placed.")),
    "monetary": Column(N_("Monetary"), "money", N_("What the customer spent in all.")),
    "r_score": Column(N_("R score"), "count", N_("Recency score, 5 = most recent.")),
    "f_score": Column(N_("F score"), "count", N_("Frequency score, 5 = most orders.")),
    "m_score": Column(N_("M score"), "count", N_("Monetary score, 5 = most spent.")),
    "rfm_score": Column(N_("RFM score"), "text"),
    "cluster": Column(N_("Cluster"), "text"),
    # forecast
    "forecast": Column(N_("Forecast"), "number"),
    "lower_80": Column(N_("Low (80%)"), "number", N_("The 80% prediction interval's lower end.")),
    "upper_80": Column(N_("High (80%)"), "number", N_("The 80% prediction interval's upper end.")),
    "lower_95": Column(N_("Low (95%)"), "number", N_("The 95% prediction interval's lower end.")),
    "upper_95": Column(N_("High (95%)"), "number", N_("The 95% prediction interval's upper end.")),
    "actual": Column(N_("Actual"), "number"),
    "mase": Column(
        N_("Error vs. a seasonal guess"),
        "ratio",
        N_(
            "MASE: the mean absolute error divided by that of repeating last season (below 1 beats "
            "it)."
        ),
    ),
    "smape": Column(
        N_("Typical % miss"), "percent", N_("sMAPE: the symmetric mean absolute percentage error.")
    ),
    "mape": Column(
        N_("Average % miss"), "percent", N_("MAPE: the mean absolute percentage error.")
    ),
    "rmse": Column(N_("Typical miss (RMSE)"), "number", N_("Root mean squared error.")),
    "mae": Column(N_("Average miss (MAE)"), "number", N_("Mean absolute error.")),
    "coverage_80": Column(
        N_("Inside the 80% band"),
        "percent",
        N_("How often the actual value fell in the 80% interval."),
    ),
    "coverage_95": Column(
        N_("Inside the 95% band"),
        "percent",
        N_("How often the actual value fell in the 95% interval."),
    ),
    "description": Column(N_("Fitted as"), "text"),
    "model": Column(N_("Model"), "text"),
    # propensity
    "probability": Column(
        N_("Probability"), "percent", N_("The model's chance that the outcome happens.")
    ),
    "decile": Column(
        N_("Decile"), "count", N_("1 = the tenth of customers most likely to respond.")
    ),
    "roc_auc": Column(
        N_("ROC AUC"),
        "ratio",
        N_("Chance that a random positive is scored above a random negative."),
    ),
    "roc_auc_sd": Column(
        N_("ROC AUC ± (sd)"), "ratio", N_("Spread of the ROC AUC over the folds.")
    ),
    "pr_auc": Column(
        N_("PR AUC"), "ratio", N_("Average precision: 1 is perfect, the base rate is luck.")
    ),
    "accuracy": Column(
        N_("Accuracy"), "percent", N_("Share of customers classified right at the threshold.")
    ),
    "precision": Column(
        N_("Precision"), "percent", N_("Of those flagged, the share that were positive.")
    ),
    "recall": Column(N_("Recall"), "percent", N_("Of the positives, the share flagged.")),
    "f1": Column(N_("F1"), "ratio", N_("The balance of precision and recall (1 is perfect).")),
    "params": Column(N_("Best settings"), "text"),
    "seconds": Column(N_("Seconds"), "number", decimals=1),
    "coefficient": Column(N_("Coefficient"), "ratio"),
    "feature": Column(N_("Input"), "text"),
    # customers over time
    "p_alive": Column(
        N_("Still active (chance)"), "percent", N_("BG/NBD: the chance the customer has not left.")
    ),
    "p_alive_before": Column(
        N_("Active chance a quarter ago"),
        "percent",
        N_("BG/NBD's chance 13 weeks before the data ends."),
    ),
    "p_alive_change": Column(N_("Change"), "percent", N_("Points gained or lost since then.")),
    "expected_purchases": Column(N_("Expected purchases"), "number", decimals=1),
    "expected_spend": Column(
        N_("Spend per purchase"), "money", N_("Gamma-Gamma: expected mean spend.")
    ),
    "clv": Column(
        N_("Expected value"),
        "money",
        N_("The horizon's expected purchases times the spend, discounted."),
    ),
    "segment_before": Column(
        N_("Segment before"), "text", N_("The RFM segment on the earlier date.")
    ),
    "segment_after": Column(N_("Segment now"), "text", N_("The RFM segment on the later date.")),
    "move": Column(N_("Move"), "text"),
    "revenue_between": Column(
        N_("Spent between the dates"),
        "money",
        N_("What the customer spent after the earlier date."),
    ),
    "calibration_purchases": Column(
        N_("Repeat purchases before"), "text", N_("Repeat purchases in the calibration period.")
    ),
    # market basket
    "rule": Column(N_("Rule (if → then)"), "text", width="large"),
    "antecedents": Column(N_("If bought"), "text"),
    "consequents": Column(N_("Then also"), "text"),
    "support": Column(
        N_("Support"), "percent", N_("Share of baskets that hold every item of the rule.")
    ),
    "confidence": Column(
        N_("Confidence"), "percent", N_("Share of 'if' baskets that also hold 'then'.")
    ),
    "lift": Column(
        N_("Lift"), "ratio", N_("Confidence over the 'then' items' own share: 1 = no link.")
    ),
    "count": Column(N_("Baskets"), "count"),
    "leverage": Column(N_("Leverage"), "ratio", decimals=4),
    "conviction": Column(N_("Conviction"), "ratio"),
    "zhang": Column(N_("Zhang's metric"), "ratio"),
    "jaccard": Column(N_("Jaccard"), "ratio", decimals=3),
    "kulczynski": Column(N_("Kulczynski"), "ratio", decimals=3),
    "certainty": Column(N_("Certainty"), "ratio", decimals=3),
    "p_value": Column(
        N_("Chance of a fluke"),
        "percent",
        N_("p-value of Fisher's exact test: below 5% is significant."),
    ),
    "p_adjusted": Column(
        N_("Chance of a fluke (adjusted)"),
        "percent",
        N_("Benjamini-Hochberg adjusted p-value: corrected for testing many rules at once."),
    ),
    "redundant": Column(
        N_("Redundant"), "flag", N_("A simpler rule says the same as well or better.")
    ),
    "item": Column(N_("Item"), "text"),
    "items": Column(N_("Items"), "text"),
    "score": Column(N_("Score"), "ratio", decimals=3),
    "because": Column(N_("Because"), "text", width="large"),
    "source": Column(N_("From"), "text"),
    # data quality and cleaning
    "step": Column(N_("Step"), "text"),
    "rows_removed": Column(N_("Rows removed"), "count"),
    "rows_left": Column(N_("Rows left"), "count"),
}

#: Words that mark a column of money in a user's own file (``MonthlyCharges``, ``balance``).
MONEY_WORDS = re.compile(
    r"revenue|sales|price|amount|spend|spent|monetary|charges?|balance|cost|income|salary|"
    r"turnover|umsatz|preis|betrag|importe|ventas|precio|montant|prix|金额|价格|销售额|收入",
    re.IGNORECASE,
)
#: Words that mark a column of shares (0 to 1). A "%" or "percent" in a name says the values
#: are percentages already (Missing % = 12.5), so those are left as numbers.
SHARE_WORDS = re.compile(r"share|rate|ratio|probability|proportion", re.IGNORECASE)
#: The names MarketLens gives a headerless file's columns (``column_1``): shown as "Column 1".
_GENERATED = re.compile(r"column_\d+")
_PREFIXES = {
    "mean": N_("Mean {feature}"),
    "median": N_("Median {feature}"),
    "sd": N_("Spread (sd) of {feature}"),
    "std": N_("Spread (sd) of {feature}"),
    "share": N_("Share of {feature}"),
}


def column_label(name: object) -> str:
    """A column's header in words, in the current language: known names from :data:`COLUMNS`;
    ``mean_x`` / ``x_median`` as "Mean …" / "Median …"; other snake_case names written out;
    anything else as it is."""
    return _column_label(name, current_language())


@functools.cache
def _column_label(name: object, lang: str) -> str:
    text = str(name)
    if text in COLUMNS:
        return _(COLUMNS[text].label)
    if text.lower() in COLUMNS and not re.search(r"[A-Z]", text[1:]):
        return _(COLUMNS[text.lower()].label)
    if text.startswith("missingindicator_"):  # scikit-learn's flag for a missing value
        inner = _column_label(text[len("missingindicator_") :], lang)
        return _("{feature} is missing").format(feature=inner)
    if text.startswith("share_"):  # a category's share: its name is the data's, as written
        return _(_PREFIXES["share"]).format(feature=text[len("share_") :])
    for prefix, words in _PREFIXES.items():
        if text.startswith(prefix + "_"):
            inner = _lower_first(_column_label(text[len(prefix) + 1 :], lang))
            return _(words).format(feature=inner)
        if text.endswith("_" + prefix):
            inner = _lower_first(_column_label(text[: -len(prefix) - 1], lang))
            return _(words).format(feature=inner)
    if re.fullmatch(r"[a-z0-9]+(?:_[a-z0-9]+)+", text):
        text = text.replace("_", " ")
    return text[:1].upper() + text[1:] if text[:1].islower() and " " in text else _cap(text)


def _cap(text: str) -> str:
    """A single lower-case word capitalised (``tenure`` → ``Tenure``); anything else kept."""
    return text[:1].upper() + text[1:] if re.fullmatch(r"[a-z][a-z0-9 ]*", text) else text


def _lower_first(text: str) -> str:
    """``Recency (days)`` → ``recency (days)`` inside "Mean …", leaving ``RFM`` and ``MonthlyX``."""
    return text[0].lower() + text[1:] if re.match(r"[A-Z][a-z]+(?:[\s(]|$)", text) else text


def _base_name(name: str) -> str:
    """``mean_monetary`` → ``monetary``: a summary keeps the kind of what it summarises."""
    for prefix in _PREFIXES:
        if name.startswith(prefix + "_"):
            return name[len(prefix) + 1 :]
        if name.endswith("_" + prefix):
            return name[: -len(prefix) - 1]
    return name


def column_kind(name: object, series: pd.Series) -> Kind:
    """What a column holds, from its name where it is known and otherwise from its values."""
    text = str(name)
    known = COLUMNS.get(text) or COLUMNS.get(_base_name(text))
    if known is not None and known.kind is not None:
        summary = text != _base_name(text)
        if known.kind == "count" and (summary or not _whole(series)):
            return "number"  # a mean of counts, or quantities in kilograms, have decimals
        if known.kind not in ("text", "flag") or not pd.api.types.is_numeric_dtype(series):
            return known.kind
    if pd.api.types.is_bool_dtype(series):
        return "flag"
    if pd.api.types.is_datetime64_any_dtype(series):
        values = series.dropna()
        if len(values) and (values == values.dt.normalize()).all():
            return "date"
        return "datetime"
    if not pd.api.types.is_numeric_dtype(series):
        return "text"
    if MONEY_WORDS.search(text):
        return "money"
    values = series.dropna()
    if SHARE_WORDS.search(text) and len(values) and values.between(0, 1).all():
        return "percent"
    return "count" if len(values) and _whole(values) else "number"


def _whole(series: pd.Series) -> bool:
    values = pd.to_numeric(series, errors="coerce").dropna()
    return bool(pd.api.types.is_integer_dtype(series) or np.allclose(values, np.round(values)))


def _pick_decimals(values: pd.Series, kind: Kind) -> int:
    """Decimals that read well for the column's size: none from 100 up, then 1, 2 below 10."""
    finite = pd.to_numeric(values, errors="coerce").abs()
    finite = finite[np.isfinite(finite)]
    typical = float(finite.median()) if len(finite) else 0.0
    if kind == "count":
        return 0
    if kind == "ratio":
        return 2
    if kind == "percent":
        return 2 if 0 < typical < 0.01 else 1  # 0.35%, but 38.8%
    if typical >= 100:
        return 0
    if kind == "money":
        return 2
    return 1 if typical >= 10 else 2


@dataclass(frozen=True)
class Display:
    """A locale (CLDR name, ``en_US``) and a currency (ISO 4217, ``USD``) to show figures in."""

    locale: str = "en_US"
    currency: str = "USD"

    def __post_init__(self) -> None:
        try:
            parsed = Locale.parse(self.locale.replace("-", "_"))
        except (ValueError, UnknownLocaleError) as exc:
            raise AnalyticsError(f"Unknown locale {self.locale!r}.") from exc
        object.__setattr__(self, "locale", str(parsed))
        code = self.currency.upper()
        if not re.fullmatch(r"[A-Z]{3}", code) or get_currency_name(code, locale="en") == code:
            raise AnalyticsError(f"Unknown currency {self.currency!r}: use an ISO code (USD).")
        object.__setattr__(self, "currency", code)

    @classmethod
    def for_locale(cls, locale: str | None, currency: str | None = None) -> Display:
        """The locale as written by a browser (``en-GB``), falling back to ``en_US``; the
        currency given, else the locale's country's own."""
        try:
            parsed = Locale.parse((locale or "en_US").replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            parsed = Locale.parse("en_US")
        if parsed.territory is None:
            parsed = Locale.parse(
                f"{parsed.language}_{_DEFAULT_TERRITORY.get(parsed.language, 'US')}"
            )
        if currency is None:
            found = get_territory_currencies(parsed.territory or "US")
            currency = found[0] if found else "USD"
        return cls(str(parsed), currency)

    def with_currency(self, currency: str) -> Display:
        return replace(self, currency=currency)

    # --- single values --------------------------------------------------------------------------
    @property
    def symbol(self) -> str:
        return get_currency_symbol(self.currency, locale=self.locale)

    @property
    def money_decimals(self) -> int:
        return get_currency_precision(self.currency)

    def money(self, value: float, decimals: int | None = None) -> str:
        """``$1,234.50``; whole units from 100 up unless ``decimals`` says otherwise."""
        if _missing(value):
            return "—"
        if decimals is None:
            decimals = 0 if abs(value) >= 100 else self.money_decimals
        decimals = min(decimals, self.money_decimals)
        pattern = _currency_pattern(self.locale, decimals)
        return format_currency(
            value, self.currency, format=pattern, locale=self.locale, currency_digits=False
        )

    def number(self, value: float, decimals: int = 0) -> str:
        if _missing(value):
            return "—"
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def count(self, value: float) -> str:
        return self.number(value, 0)

    def percent(self, value: float, decimals: int = 1) -> str:
        """A share (0.0493) as ``4.9%``; very small shares keep two significant digits."""
        if _missing(value):
            return "—"
        if value and abs(value) < 10 ** -(decimals + 2):
            decimals = min(6, decimals + int(-math.log10(abs(value))) - 1)
        return format_percent(
            value, format=_percent_pattern(self.locale, decimals), locale=self.locale
        )

    def change(self, value: float | None) -> str | None:
        """A relative change with its sign, ``+4.9%`` (None stays None: no comparison)."""
        if value is None or _missing(value):
            return None
        pattern = _percent_pattern(self.locale, 1)
        return format_percent(value, format=f"+{pattern};-{pattern}", locale=self.locale)

    def date(self, value: Any) -> str:
        if _missing(value) or value is pd.NaT:
            return "—"
        return format_date(pd.Timestamp(value).date(), "medium", locale=self.locale)

    def datetime(self, value: Any) -> str:
        if _missing(value) or value is pd.NaT:
            return "—"
        stamp = pd.Timestamp(value).to_pydatetime()
        return format_datetime(stamp, "medium", locale=self.locale, tzinfo=None)

    def value(self, value: Any, kind: Kind, decimals: int | None = None) -> str:
        """One value of a kind, as the tables show it."""
        if _missing(value) or value is pd.NaT:
            return "—"
        if kind == "money":
            return self.money(float(value), decimals)
        if kind == "percent":
            return self.percent(float(value), 1 if decimals is None else decimals)
        if kind == "count":
            return self.count(float(value))
        if kind in ("number", "ratio"):
            return self.number(float(value), 2 if decimals is None else decimals)
        if kind == "date":
            return self.date(value)
        if kind == "datetime":
            return self.datetime(value)
        if kind == "flag":
            return _("Yes") if bool(value) else _("No")
        return str(value)

    def kpi(self, value: float, unit: str) -> str:
        """A dashboard card: money in whole units (cents below 100), ratios to 0.1, counts.

        In Chinese, sums from 100,000 up are read in 万 and 亿 (CLDR's compact forms): ¥162.2万,
        not ¥1,621,554. Tables keep every digit, so columns line up and sort as numbers.
        """
        if _missing(value):
            return "—"
        if self.compact and unit in ("money", "count") and abs(value) >= 100_000:
            if unit == "money":
                return format_compact_currency(
                    value, self.currency, locale=self.locale, fraction_digits=1
                )
            return format_compact_decimal(value, locale=self.locale, fraction_digits=1)
        if unit == "money":
            return self.money(value)
        if unit == "ratio":
            return self.number(value, 1)
        return self.count(value)

    @property
    def compact(self) -> bool:
        """Whether large figures are read in myriads (万, 亿): Chinese locales."""
        return self.locale.split("_")[0] == "zh"

    # --- tables ---------------------------------------------------------------------------------
    def columns(
        self,
        frame: pd.DataFrame,
        overrides: dict[str, Column | str] | None = None,
        own: frozenset[str] | set[str] = frozenset(),
    ) -> dict[str, Column]:
        """Each column's :class:`Column`, kind and decimals settled on this frame's values.

        ``overrides`` name a column's label (a string) or its whole spec; ``own`` are the user's
        own column names, kept as headers exactly as their file writes them.
        """
        specs: dict[str, Column] = {}
        for name in frame.columns:
            text = str(name)
            given = (overrides or {}).get(text)
            if isinstance(given, str):
                given = Column(given)
            known = COLUMNS.get(text)
            as_written = text in own and not _GENERATED.fullmatch(text)
            label = given.label if given else (text if as_written else column_label(text))
            kind = (given.kind if given else None) or column_kind(text, frame[name])
            help_text = (given.help if given else None) or (known.help if known else None)
            decimals = given.decimals if given and given.decimals is not None else None
            if decimals is None and known is not None and text == _base_name(text):
                decimals = known.decimals
            if decimals is None and kind in ("number", "money", "ratio", "count", "percent"):
                decimals = _pick_decimals(frame[name], kind)
            width = (given.width if given else None) or (known.width if known else None)
            specs[text] = Column(label, kind, help_text, decimals, width)
        return specs

    def text_table(
        self,
        frame: pd.DataFrame,
        overrides: dict[str, Column | str] | None = None,
        own: frozenset[str] | set[str] = frozenset(),
    ) -> pd.DataFrame:
        """The frame as the pages show it, every cell a string and every header in words (for
        the HTML report and the CLI's human output)."""
        specs = self.columns(frame, overrides, own)
        shown = pd.DataFrame(index=frame.index)
        for name in frame.columns:
            spec = specs[str(name)]
            kind = spec.kind or "text"
            shown[_(spec.label)] = [self.value(v, kind, spec.decimals) for v in frame[name]]
        return shown.reset_index(drop=True)

    def chart(self, fig: Any, money: Sequence[str] = ()) -> Any:
        """A plotly figure's ticks and hover numbers in the locale's digits (``separators``),
        and its money axes (``"x"``, ``"y"``) with the currency around the ticks. Changes and
        returns ``fig``: give it a figure of its own, not a cached one shared by sessions."""
        symbols = Locale.parse(self.locale).number_symbols.get("latn", {})
        fig.update_layout(separators=symbols.get("decimal", ".") + symbols.get("group", ","))
        before, after = _currency_affixes(self.locale, self.currency)
        for axis in money:
            fig.update_layout({f"{axis}axis": {"tickprefix": before, "ticksuffix": after}})
        return fig

    def table_format(self, kind: Kind, decimals: int | None) -> tuple[str | None, str]:
        """How Streamlit's table should write a column: a format for ``st.column_config``
        (printf, "percent" or a date pattern) and a suffix for its label (`` (€)`` where the
        locale's digits cannot be written by a printf format)."""
        digits = 0 if decimals is None else decimals
        if kind == "count":
            return "%,d", ""
        if kind in ("number", "ratio"):
            return f"%,.{digits}f", ""
        if kind == "percent":  # of values times 100 (see PERCENT_SCALE): 38.8%, 36.4%, 1.55%
            return f"%.{1 if decimals is None else decimals}f%%", ""
        if kind == "money":
            if not _english_digits(self.locale):
                return "localized", f" ({self.symbol})"
            before, after = _currency_affixes(self.locale, self.currency)
            digits = min(digits, self.money_decimals)
            return f"{_printf_escape(before)}%,.{digits}f{_printf_escape(after)}", ""
        if kind == "date":
            return _dayjs_pattern(self.locale), ""
        if kind == "datetime":
            return _dayjs_pattern(self.locale) + " HH:mm", ""
        return None, ""


_DEFAULT_TERRITORY = {"en": "US", "zh": "CN", "ja": "JP", "de": "DE", "fr": "FR", "es": "ES"}


def _missing(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _with_decimals(pattern: str, decimals: int) -> str:
    """A CLDR number pattern's positive part with ``decimals`` fraction digits."""
    fraction = "." + "0" * decimals if decimals else ""
    return re.sub(r"0(?:\.0+)?(?=[^0#.,]*$)", "0" + fraction, pattern.split(";")[0], count=1)


@functools.cache
def _currency_pattern(locale: str, decimals: int) -> str:
    """The locale's currency pattern with ``decimals`` fraction digits (``¤#,##0.00``)."""
    return _with_decimals(Locale.parse(locale).currency_formats["standard"].pattern, decimals)


@functools.cache
def _percent_pattern(locale: str, decimals: int) -> str:
    """The locale's percent pattern with ``decimals`` fraction digits (``#,##0.0 %``)."""
    return _with_decimals(Locale.parse(locale).percent_formats[None].pattern, decimals)


@functools.cache
def _english_digits(locale: str) -> bool:
    symbols = Locale.parse(locale).number_symbols.get("latn", {})
    return symbols.get("decimal", ".") == "." and symbols.get("group", ",") == ","


@functools.cache
def _currency_affixes(locale: str, currency: str) -> tuple[str, str]:
    """What the locale writes before and after an amount in this currency: ``("£", "")``."""
    text = format_currency(1, currency, format="¤#,##0", locale=locale, currency_digits=False)
    pattern = Locale.parse(locale).currency_formats["standard"].pattern.split(";")[0]
    symbol = text.replace("1", "").strip()
    if pattern.strip().startswith("¤"):
        gap = "\u00a0" if "¤\u00a0" in pattern or "¤ " in pattern else ""
        return symbol + gap, ""
    gap = "\u00a0" if "\u00a0¤" in pattern or " ¤" in pattern else ""
    return "", gap + symbol


def _printf_escape(text: str) -> str:
    return text.replace("%", "%%")


@functools.cache
def _dayjs_pattern(locale: str) -> str:
    """The locale's medium date (CLDR: ``MMM d, y``; ``d MMM y``; ``dd.MM.y``; ``y年M月d日``)
    in the tokens Streamlit's date columns use (``MMM D, YYYY``)."""
    pattern = get_date_format("medium", locale=locale).pattern
    out = re.sub(r"y+", "YYYY", pattern)
    out = re.sub(r"(?<!d)d(?!d)", "D", out)
    out = out.replace("dd", "DD").replace("'", "")
    return out
