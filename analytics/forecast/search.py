"""Fitting every model on one history and choosing among them (``_fit_all``, ``_select``)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np

# Imported here, not inside the functions: statsmodels resets warning filters when its modules
# are first imported, which would undo the ``catch_warnings`` blocks around the fits.
from analytics.budget import Interrupted
from analytics.forecast.fitters import _COMBO_PARTS, _FITTERS, _combo
from analytics.forecast.models import _ets_select, _Fit, _Memo
from analytics.forecast.sarima import _sarima_select
from analytics.i18n import _

#: What a fit on awkward data can raise (statsmodels and SciPy use these for numerical trouble).
_FIT_ERRORS = (ValueError, np.linalg.LinAlgError, IndexError, ZeroDivisionError, OverflowError)


def _why(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _needed(models: Sequence[str]) -> list[str]:
    """The single models to fit for these models (a combination needs its three parts)."""
    names = [m for m in models if m != "combo"]
    if "combo" in models:
        names += [p for p in _COMBO_PARTS if p not in names]
    return names


def _fit_all(
    models: Sequence[str],
    y: np.ndarray,
    m: int,
    h: int,
    specs: Mapping[str, object],
    *,
    intervals: bool,
    try_log: bool,
    memo: _Memo,
) -> tuple[dict[str, _Fit], dict[str, str]]:
    """Fit each model once (a combination from its parts); models that fail say why."""
    fits: dict[str, _Fit] = {}
    failed: dict[str, str] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in _needed(models):
            spec = specs.get(name)
            try:
                if spec is None and name == "sarima":
                    spec = _sarima_select(y, m, memo, try_log)
                fits[name] = _FITTERS[name](y, m, h, spec, intervals, memo)
            except Interrupted:
                raise
            except _FIT_ERRORS as exc:
                failed[name] = _why(exc)
    if "combo" in models:
        if all(p in fits for p in _COMBO_PARTS):
            fits["combo"] = _combo([fits[p] for p in _COMBO_PARTS])
        else:
            failed["combo"] = _("a part of the combination failed")
    return {k: v for k, v in fits.items() if k in models}, failed


def _select(
    models: Sequence[str], y: np.ndarray, m: int, try_log: bool, memo: _Memo
) -> tuple[dict[str, object], dict[str, str]]:
    """Choose the ETS form and SARIMA orders that these models need, on this data.

    Returns the choices and, for a model none of whose forms could be fitted, why.
    """
    specs: dict[str, object] = {}
    failed: dict[str, str] = {}
    needed = _needed(models)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, choose in (("ets", _ets_select), ("sarima", _sarima_select)):
            if name not in needed:
                continue
            try:
                specs[name] = (
                    _sarima_select(y, m, memo, try_log) if name == "sarima" else choose(y, m, memo)
                )
            except Interrupted:
                raise
            except _FIT_ERRORS as exc:
                failed[name] = _why(exc)
    if "combo" in models and failed:
        failed["combo"] = _("a part of the combination failed")
    return specs, failed
