"""Reading dates and times: day- or month-first text, weekday suffixes, 2016年1月1日, yyyymmdd
integers and Excel serial numbers (``parse_dates``, ``parse_times``)."""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd

from analytics.data.schema import DateParse


def _date_share(col: pd.Series, *, named: bool = False) -> float:
    """Share of a column's values (a sample) that read as dates: as dates, as text, as yyyymmdd
    numbers, or (only when its header names a date, ``named``) as Excel day numbers, which any
    amount could look like."""
    if pd.api.types.is_datetime64_any_dtype(col):
        return 1.0
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        sample = col.dropna().head(500)
        if sample.empty:
            return 0.0
        read = _numeric_dates(sample)
        if read.format == "yyyymmdd numbers" or (named and read.format == "Excel day numbers"):
            return 1.0 - read.n_unparsed / len(sample)
        return 0.0
    if not (pd.api.types.is_string_dtype(col) or col.dtype == object):
        return 0.0
    sample = col.dropna().drop_duplicates().head(200)
    if sample.empty:
        return 0.0
    return _text_date_share(tuple(sample.astype(str).str.strip()))


@lru_cache(maxsize=1024)
def _text_date_share(values: tuple[str, ...]) -> float:
    """:func:`_date_share` of a text sample, remembered: reading a file asks it of the same
    columns three times (the kind, the roles, their evidence), at about 70 ms a column (every
    format is tried), and files from one export share their first values."""
    text = pd.Series(values, dtype="str")
    if text.str.fullmatch(r"\d+").mean() >= 0.9:
        # Codes such as "05007" are no dates; only yyyymmdd written as text is.
        return _share(text, "%Y%m%d")
    return 1.0 - parse_dates(text).n_unparsed / len(text)


def _is_date_like(col: pd.Series, *, named: bool = False) -> bool:
    """Whether at least 90% of a column's values read as dates (see :func:`_date_share`)."""
    return _date_share(col, named=named) >= 0.9


_TIME_OF_DAY = re.compile(r"^\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp]\.?[Mm]\.?)?\s*$")


def _is_time_of_day(col: pd.Series) -> bool:
    """Whether a text column holds times of day only (``09:58:11``, ``7:45 PM``), no dates."""
    if not (pd.api.types.is_string_dtype(col) or col.dtype == object):
        return False
    sample = col.dropna().astype("str").head(500)
    return len(sample) > 0 and sample.str.match(_TIME_OF_DAY).mean() >= 0.9


def parse_times(values: pd.Series) -> pd.Series:
    """Times of day as durations since midnight: ``"09:58"`` → 9 h 58 min; others → NaT."""
    text = values.astype("str").str.strip().str.upper().str.replace(".", "", regex=False)
    text = text.where(values.notna() & text.str.match(_TIME_OF_DAY))
    twelve = text.str.endswith(("AM", "PM"), na=False)
    clock = text.str.replace(r"\s*[AP]M$", "", regex=True)
    clock = clock.where(clock.str.count(":") == 2, clock + ":00")
    out = pd.to_timedelta(clock, errors="coerce")
    if twelve.any():
        hours = out[twelve].dt.components.hours
        shift = np.where(text[twelve].str.endswith("PM"), 12, 0) - np.where(hours == 12, 12, 0)
        out[twelve] = out[twelve] + pd.to_timedelta(shift, unit="h")
    return out


_MONTH_FIRST = (
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%m/%d/%y %H:%M",
    "%m/%d/%y",
    "%m-%d-%Y",
)
_DAY_FIRST = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d/%m/%y %H:%M",
    "%d/%m/%y",
    "%d-%m-%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d.%m.%y",
)
_OTHER = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
    "%Y年%m月",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%b-%y",
    "%b %Y",
    "%Y-%b",
)


def _share(sample: pd.Series, fmt: str) -> float:
    """Share of values this format reads as a plausible date (years 1800–2300: "0001" is an id)."""
    try:
        parsed = pd.to_datetime(sample, format=fmt, errors="coerce")
    except (ValueError, TypeError, OverflowError):
        return 0.0
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return float(parsed.dt.year.between(1800, 2300).mean())


def parse_dates(values: pd.Series, *, dayfirst: bool | None = None) -> DateParse:
    """Read dates in the formats people export: ISO, ``12/1/2009 7:45``, ``03.01.2019``, ``2019年1月3日``.

    The format is chosen on up to 2,000 distinct values. When a value such as 1/3/2019 reads both
    ways and no value settles it, month first (US exports) is chosen unless ``dayfirst`` says
    otherwise, and the result says the order was a choice.

    Parameters
    ----------
    values : pandas.Series
        Text (or already dates).
    dayfirst : bool, optional
        Force day-first (True) or month-first (False) reading of ambiguous formats.

    Returns
    -------
    DateParse

    Example
    -------
    >>> parse_dates(pd.Series(["1/3/2019", "2/4/2019"])).format
    '%m/%d/%Y'
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        stamps = (
            values.dt.tz_localize(None) if getattr(values.dt, "tz", None) is not None else values
        )
        return DateParse(stamps, "dates", None, False, 0)
    filled = values.dropna()
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return _numeric_dates(values)
    if pd.api.types.is_bool_dtype(values):
        return DateParse(_no_dates(values), "numbers", None, False, len(filled))
    codes, distinct = pd.factorize(values.astype("str").str.strip().where(values.notna()))
    uniques = _without_weekdays(pd.Series(distinct, dtype="str"))
    sample = uniques.iloc[:: max(1, len(uniques) // 2000)]
    fmt, chosen_dayfirst, ambiguous = _choose_format(sample, dayfirst)
    parsed = _apply_format(uniques, fmt).to_numpy()
    taken = (
        parsed[np.maximum(codes, 0)]
        if len(parsed)
        else np.full(len(codes), np.datetime64("NaT", "ns"))
    )
    taken[codes < 0] = np.datetime64("NaT")
    stamps = pd.Series(taken, index=values.index)
    n_unparsed = int(((codes >= 0) & stamps.isna().to_numpy()).sum())
    return DateParse(
        stamps,
        "ISO 8601" if fmt == "ISO8601" else ("mixed formats" if fmt == "mixed" else fmt),
        chosen_dayfirst,
        ambiguous,
        n_unparsed,
    )


#: A weekday written before or after a date: ``2016-01-01 星期五``, ``Fri, 01 Jan 2016``.
_WEEKDAY = re.compile(
    r"^(?:(?:星期|礼拜|周)[一二三四五六日天]|(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?)[,\s]+"
    r"|[,\s]*[(（]?(?:(?:星期|礼拜|周)[一二三四五六日天]|(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?)[)）]?$",
    re.IGNORECASE,
)
#: Day numbers 1 January 1950 … 31 December 2099 in Excel's calendar (day 1 = 1900-01-01).
_EXCEL_DAYS = (18264, 73415)


def _without_weekdays(uniques: pd.Series) -> pd.Series:
    """Distinct date texts with a leading or trailing weekday removed (the date says the day)."""
    if uniques.empty or not uniques.str.contains(_WEEKDAY).any():
        return uniques
    return uniques.str.replace(_WEEKDAY, "", regex=True).str.strip()


def _no_dates(values: pd.Series) -> pd.Series:
    return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")


def _numeric_dates(values: pd.Series) -> DateParse:
    """Dates stored as numbers: ``20160101`` (yyyymmdd) or Excel day numbers (``42370``)."""
    filled = values.dropna()
    whole = len(filled) > 0 and bool((np.mod(filled.to_numpy(dtype="float64"), 1) == 0).all())
    if whole and filled.between(19000101, 21001231).all():
        text = values.astype("Int64").astype("str").where(values.notna())
        stamps = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
        n_unparsed = int(stamps.isna().sum() - values.isna().sum())
        if n_unparsed <= 0.1 * len(filled):
            return DateParse(stamps, "yyyymmdd numbers", None, False, n_unparsed)
    if len(filled) and filled.between(*_EXCEL_DAYS).all():
        stamps = pd.to_datetime(values, unit="D", origin="1899-12-30")
        return DateParse(stamps.astype("datetime64[ns]"), "Excel day numbers", None, False, 0)
    return DateParse(_no_dates(values), "numbers", None, False, len(filled))


def _apply_format(uniques: pd.Series, fmt: str) -> pd.Series:
    try:
        parsed = pd.to_datetime(uniques, format=fmt, errors="coerce")
    except (ValueError, TypeError):  # offsets that differ between values
        parsed = pd.to_datetime(uniques, format=fmt, errors="coerce", utc=True)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return parsed


def _choose_format(sample: pd.Series, dayfirst: bool | None) -> tuple[str, bool | None, bool]:
    """The format reading most of the sample: (format, day first?, was the order a choice?)."""
    if sample.empty:
        return "ISO8601", None, False
    shares = {fmt: _share(sample, fmt) for fmt in ("ISO8601", *_MONTH_FIRST, *_DAY_FIRST, *_OTHER)}
    top = max(shares.values())
    if top < 0.95 and _share(sample, "mixed") > top:
        # Several formats in one column: let pandas read each value on its own.
        return "mixed", None, False
    best_month = max(_MONTH_FIRST, key=shares.__getitem__)
    best_day = max(_DAY_FIRST, key=shares.__getitem__)
    if shares["ISO8601"] == top:
        return "ISO8601", None, False
    if shares[best_month] == shares[best_day] == top:
        # Every value reads both ways (1/3/2019): the user's choice, else month first as in US
        # exports. The user's choice only counts here; where the data settles it, the data wins.
        dayfirst = bool(dayfirst)
        return (best_day if dayfirst else best_month), dayfirst, True
    if shares[best_month] == top:
        return best_month, False, False
    if shares[best_day] == top:
        return best_day, True, False
    return max(_OTHER, key=shares.__getitem__), None, False
