"""Cross-validated scores and what to do with them: ``PropensityResult``, thresholds, lift by
decile and the share of positives reached by contacting the top scores."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm
from scipy.stats import t as student_t
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.pipeline import Pipeline

from analytics.errors import AnalyticsError
from analytics.propensity.params import PropensityParams
from analytics.propensity.targets import PropensityData, _as_model_input
from analytics.results import Result

#: The level of the ROC AUC's interval that decides "better than chance".
CHANCE_LEVEL = 0.95


def auc_interval(
    auc: float, positives: int, negatives: int, level: float = CHANCE_LEVEL
) -> tuple[float, float]:
    """A ``level`` interval for a ROC AUC measured on ``positives`` and ``negatives`` cases.

    The standard error is Hanley & McNeil's (Radiology 143, 1982: the AUC as a Mann-Whitney
    statistic); at an AUC of 0.5 it is exactly the Mann-Whitney test's, so an interval above 0.5
    is that test's verdict that the scores rank positives above negatives.

    Example
    -------
    >>> low, high = auc_interval(0.52, 120, 880)  # low < 0.5: no better than chance
    """
    if positives < 1 or negatives < 1 or not math.isfinite(auc):
        return (float("nan"), float("nan"))
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (
        auc * (1 - auc) + (positives - 1) * (q1 - auc**2) + (negatives - 1) * (q2 - auc**2)
    ) / (positives * negatives)
    half = float(norm.ppf(0.5 + level / 2)) * math.sqrt(max(variance, 0.0))
    return (max(0.0, auc - half), min(1.0, auc + half))


def fold_auc_interval(
    mean: float, sd: float, folds: int, level: float = CHANCE_LEVEL
) -> tuple[float, float]:
    """A ``level`` interval for the mean ROC AUC of ``folds`` cross-validation folds whose
    (population) standard deviation is ``sd``.

    A t interval with Nadeau & Bengio's correction (Machine Learning 52, 2003): the folds'
    training sets overlap, so their scores vary less than independent ones would, and the
    variance of their mean is ``s² (1/k + 1/(k - 1))``, not ``s² / k``.
    """
    if folds < 2 or not (math.isfinite(mean) and math.isfinite(sd)):
        return (float("nan"), float("nan"))
    sample_sd = sd * math.sqrt(folds / (folds - 1))
    half = float(student_t.ppf(0.5 + level / 2, folds - 1)) * sample_sd
    half *= math.sqrt(1 / folds + 1 / (folds - 1))
    return (max(0.0, mean - half), min(1.0, mean + half))


@dataclass(frozen=True)
class ModelScore:
    """One model's cross-validated result."""

    model: str
    params: dict[str, Any]
    roc_auc: float
    roc_auc_sd: float
    pr_auc: float
    probabilities: np.ndarray  # out of fold
    seconds: float


@dataclass(frozen=True)
class PropensityResult(Result):
    """What the page and the CLI show.

    Attributes
    ----------
    data : PropensityData
    model : str
        The chosen model.
    scores : dict
        Model → ModelScore (cross-validated; probabilities out of fold).
    pipeline : sklearn.pipeline.Pipeline
        The chosen model refitted on every row: what the scored list and downloads use.
    folds : int
    validation : str
        How the figures were obtained, in words.
    leakage : dict
        Feature → ROC AUC of that feature alone, for features that predict almost perfectly.
    notes : tuple of str
    seconds : float
    params : PropensityParams
        What the data and the models were made with (the threshold is the display's).
    """

    data: PropensityData
    model: str
    scores: dict[str, ModelScore]
    pipeline: Pipeline
    folds: int
    validation: str
    leakage: dict[str, float]
    notes: tuple[str, ...]
    seconds: float
    params: PropensityParams = field(default_factory=PropensityParams)
    #: Whether the figures come from a temporal split (else cross-validation).
    temporal: bool = False

    @property
    def chosen(self) -> ModelScore:
        return self.scores[self.model]

    @cached_property  # the page reads it several times a run; the scores never change
    def auc_interval(self) -> tuple[float, float]:
        """The chosen model's ROC AUC as an interval wide enough for the choice among models.

        The level is 95% shared among the models compared (Bonferroni: the best of three is
        judged at 98.3%). Cross-validated, the interval spans both the folds' interval
        (:func:`fold_auc_interval`) and the one of the out-of-fold scores taken together
        (:func:`auc_interval`): on tables whose outcome was a coin toss, either alone called
        about one model in ten better than chance, both together one in 45. A temporal split
        scores later customers once, with :func:`auc_interval`.
        """
        target = np.asarray(self.data.target)
        positives = int(target.sum())
        level = 1 - (1 - CHANCE_LEVEL) / max(1, len(self.scores))
        chosen = self.chosen
        pooled = (
            float(roc_auc_score(target, chosen.probabilities))
            if 0 < positives < len(target)
            else float("nan")
        )
        low, high = auc_interval(pooled, positives, len(target) - positives, level)
        if math.isfinite(chosen.roc_auc_sd):
            fold_low, fold_high = fold_auc_interval(
                chosen.roc_auc, chosen.roc_auc_sd, self.folds, level
            )
            low, high = min(low, fold_low), max(high, fold_high)
        return (low, high)

    @property
    def better_than_chance(self) -> bool:
        """Whether the scores rank customers better than a coin toss: the whole interval of the
        ROC AUC (:attr:`auc_interval`) lies above 0.5. When not, the page withholds the list to
        act on."""
        return bool(self.auc_interval[0] > 0.5)

    def leaderboard(self, threshold: float = 0.5) -> pd.DataFrame:
        """One row per model: cross-validated ROC AUC (± sd), PR AUC and the threshold metrics."""
        rows = []
        for name, score in self.scores.items():
            rows.append(
                {
                    "model": name,
                    "roc_auc": score.roc_auc,
                    "roc_auc_sd": score.roc_auc_sd,
                    "pr_auc": score.pr_auc,
                    **threshold_metrics(self.data.target, score.probabilities, threshold),
                    "params": ", ".join(f"{k.split('__')[1]}={v}" for k, v in score.params.items()),
                    "seconds": score.seconds,
                }
            )
        return pd.DataFrame(rows).set_index("model").sort_values("roc_auc", ascending=False)

    def scored(self) -> pd.DataFrame:
        """Every customer with the chosen model's probability and decile (1 = most likely)."""
        probability = self.pipeline.predict_proba(_as_model_input(self.data.features))[:, 1]
        table = pd.DataFrame({"customer_id": self.data.ids, "probability": probability})
        table["decile"] = _deciles(probability)
        table["actual"] = self.data.target
        return table.sort_values("probability", ascending=False, kind="stable")

    def scored_now(self) -> pd.DataFrame | None:
        """Derived targets: every customer as of the end of the data, most likely first."""
        if self.data.now is None:
            return None
        now = self.data.now
        probability = self.pipeline.predict_proba(_as_model_input(now.reset_index(drop=True)))[:, 1]
        table = pd.DataFrame({"customer_id": now.index.astype(str), "probability": probability})
        table["decile"] = _deciles(probability)
        return table.sort_values("probability", ascending=False, kind="stable", ignore_index=True)

    def action_list(self) -> pd.DataFrame:
        """The list to act on: customers as of the end of the data for derived targets
        (``scored_now``), else every customer of the table (``scored``)."""
        now = self.scored_now()
        return self.scored() if now is None else now

    def to_dict(self, threshold: float | None = None) -> dict[str, object]:
        """The JSON the CLI prints; figures at ``threshold`` (default ``params.threshold``)."""
        params = self.params if threshold is None else replace(self.params, threshold=threshold)
        board = self.leaderboard(params.threshold)
        reach = contact_top(self.data.target, self.chosen.probabilities, 0.2)
        return {
            "target": self.data.target_name,
            "rows": self.data.n,
            "positive_share": round(self.data.positive_share, 4),
            "features": list(self.data.features.columns),
            "dropped": self.data.dropped,
            "folds": self.folds,
            "validation": self.validation,
            "model": self.model,
            "models": {
                name: {k: _json(v) for k, v in row.items()} for name, row in board.iterrows()
            },
            "roc_auc_interval": [round(bound, 4) for bound in self.auc_interval],
            "better_than_chance": self.better_than_chance,
            "leakage": self.leakage,
            "notes": list(self.notes),
            "seconds": round(self.seconds, 2),
            "contact_top_20pct": {k: round(float(v), 4) for k, v in reach.items()},
            "params": params.to_dict(),
        }


def _json(value: object) -> object:
    if isinstance(value, float | np.floating):
        return round(float(value), 4) if np.isfinite(value) else None
    return value


def _deciles(probability: np.ndarray) -> np.ndarray:
    """Decile 1 holds the highest 10% of probabilities; ties broken by order."""
    order = np.argsort(-probability, kind="stable")
    ranks = np.empty(len(order), int)
    ranks[order] = np.arange(len(order))
    return (ranks * 10 // max(len(order), 1)) + 1


def threshold_metrics(y: np.ndarray, probability: np.ndarray, threshold: float) -> dict[str, float]:
    """Accuracy, precision, recall and F1 when everyone at or above ``threshold`` is called 1."""
    predicted = (probability >= threshold).astype(int)
    return {
        "accuracy": float(accuracy_score(y, predicted)),
        "precision": float(precision_score(y, predicted, zero_division=0)),
        "recall": float(recall_score(y, predicted, zero_division=0)),
        "f1": float(f1_score(y, predicted, zero_division=0)),
    }


def lift_table(y: np.ndarray, probability: np.ndarray) -> pd.DataFrame:
    """Deciles by score: customers, positives, rate, lift over the average and cumulative gains."""
    decile = _deciles(probability)
    table = (
        pd.DataFrame({"decile": decile, "y": y})
        .groupby("decile")
        .agg(customers=("y", "size"), positives=("y", "sum"))
    )
    base = y.mean() if len(y) else np.nan
    table["rate"] = table["positives"] / table["customers"]
    table["lift"] = table["rate"] / base if base > 0 else np.nan
    table["cumulative_customers"] = table["customers"].cumsum() / table["customers"].sum()
    total = table["positives"].sum()
    table["cumulative_gain"] = table["positives"].cumsum() / total if total else np.nan
    return table.reset_index()


def contact_top(y: np.ndarray, probability: np.ndarray, share: float) -> dict[str, float]:
    """Contacting the top ``share`` by score: positives reached, against a random pick."""
    if not 0 < share <= 1:
        raise AnalyticsError(f"The share to contact must be between 0 and 1, got {share}.")
    n = max(1, round(share * len(y)))
    top = np.argsort(-probability, kind="stable")[:n]
    reached = int(y[top].sum())
    random = float(y.mean() * n)
    return {
        "contacted": n,
        "positives_reached": reached,
        "random_expected": random,
        "share_of_positives": reached / y.sum() if y.sum() else float("nan"),
        "lift": reached / random if random else float("nan"),
    }
