"""The propensity analysis's typed parameters (``PropensityParams``) and the names of its models and
validations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal, get_args

from analytics.i18n import N_
from analytics.params import Constraint, Params
from analytics.propensity.targets import DERIVED_LABELS

Model = Literal["logreg", "tree", "forest", "gbm"]
MODELS: tuple[str, ...] = get_args(Model)
MODEL_LABELS = {
    "auto": N_("Auto (best cross-validated ROC AUC)"),
    "logreg": N_("Logistic regression"),
    "tree": N_("Decision tree"),
    "forest": N_("Random forest"),
    "gbm": N_("Gradient boosting (histogram)"),
}


VALIDATIONS: tuple[str, ...] = ("auto", "cv", "temporal")


@dataclass(frozen=True)
class PropensityParams(Params):
    """What propensity modelling takes, with the defaults of the page, the report and the CLI.

    Stages: ``data`` (:func:`propensity_data`: the yes/no column of a customers table, or the
    outcome derived from transactions), ``fit`` (:func:`fit_propensity`) and ``display`` (the
    threshold from which a score counts as a yes).

    Example
    -------
    >>> params = PropensityParams(derive="buy", days=60)
    >>> params.options("fit")
    {'model': 'auto', 'folds': 5, 'validation': 'auto', 'search': False}
    """

    target: str | None = None
    positive: str | None = None
    derive: str | None = None
    days: int = 90
    cutoff: dt.date | None = None
    model: str = "auto"
    folds: int = 5
    validation: str = "auto"
    search: bool = False
    threshold: float = 0.5

    constraints: ClassVar[Mapping[str, Constraint]] = {
        "target": Constraint("column", "the yes/no column to predict", "data", optional=True),
        "positive": Constraint(
            "text", "the value that counts as positive (default: Yes/1)", "data", optional=True
        ),
        "derive": Constraint(
            "choice",
            "transactions: predict churn (no order) or buying again in the --days after a cutoff",
            "data",
            choices=tuple(DERIVED_LABELS),
            optional=True,
        ),
        "days": Constraint("count", "--derive: the window in days", "data", low=1),
        "cutoff": Constraint(
            "date",
            "--derive: features from before this day (default: --days before the last date)",
            "data",
            optional=True,
        ),
        "model": Constraint("choice", "the model", "fit", choices=("auto", *MODELS)),
        "folds": Constraint("count", "cross-validation folds", "fit", low=2, high=20),
        "validation": Constraint(
            "choice",
            "cv: out-of-fold figures; temporal (--derive): train one window earlier, test at the "
            "cutoff; auto: temporal when there is history for it",
            "fit",
            choices=VALIDATIONS,
        ),
        "search": Constraint(
            "flag",
            "search each model's small grid of settings (slower; default: one setting each)",
            "fit",
        ),
        "threshold": Constraint(
            "number", "probability from which a row counts as 1", "display", low=0, high=1
        ),
    }
