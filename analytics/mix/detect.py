"""Proposing the roles of a marketing-mix table: the date, the outcome, the channels and the
controls, for the user to confirm."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

_OUTCOME = re.compile(r"revenue|sales|turnover|^y$|orders|conversions|kpi|umsatz|销售", re.I)
_CONTROL = re.compile(
    r"competitor|price|promo|event|holiday|season|weather|newsletter|organic|_b$|^c\d+$|"
    r"_i$|_p$|impression|click",
    re.I,
)
_MEASURE = re.compile(r"_i$|_p$|impression|click", re.I)
_CHANNEL = re.compile(
    r"spend|cost|_s$|^x\d+$|tv|radio|ooh|print|search|sem|social|facebook|meta|google|display|"
    r"video|youtube|tiktok|affiliate|e-?mail|media|ads?_|广告",
    re.I,
)


@dataclass(frozen=True)
class MixRoles:
    """A proposal: the date column, the outcome, the channels and the controls."""

    date: str | None
    outcome: str | None
    channels: tuple[str, ...]
    controls: tuple[str, ...]
    numeric: tuple[str, ...]


def _is_date(values: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(values):
        return False
    parsed = pd.to_datetime(values, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() > 0.95)


def detect_roles(frame: pd.DataFrame) -> MixRoles:
    """The first date column; the outcome named like sales (else the first number); spend
    columns as channels; controls named like prices, promotions, competitors or events."""
    date = next((str(c) for c in frame.columns if _is_date(frame[c])), None)
    numeric = tuple(
        str(c)
        for c in frame.columns
        if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    )
    outcome = next((c for c in numeric if _OUTCOME.search(c) and not _CONTROL.search(c)), None)
    outcome = outcome or (numeric[0] if numeric else None)
    rest = [c for c in numeric if c != outcome]
    channels = tuple(c for c in rest if _CHANNEL.search(c) and not _CONTROL.search(c))
    # Impressions and clicks measure a channel again: offered, never proposed as controls.
    controls = tuple(
        c for c in rest if c not in channels and _CONTROL.search(c) and not _MEASURE.search(c)
    )
    return MixRoles(date, outcome, channels, controls, numeric)
