"""How long one analysis may compute, and a way to stop it early.

Long analyses (the forecast's backtest, the propensity models, the k sweep, the report) call
:meth:`Budget.check` between steps, which are a fraction of a second to a few seconds each. It
raises :class:`Interrupted` when the visitor who asked has gone (the page passes a check of its
session) or when the analysis has used its time, so that a closed tab or an unreasonable setting
cannot keep a server's cores busy for minutes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from analytics.errors import AnalyticsError
from analytics.i18n import _


class Interrupted(AnalyticsError):
    """An analysis stopped before it finished: its visitor left, or it used its time."""


@dataclass
class Budget:
    """A time limit for one analysis, and a check that whoever asked for it is still there.

    Parameters
    ----------
    seconds : float, optional
        Wall-clock time the analysis may take; None: no limit.
    alive : callable, optional
        Returns False once the visitor has gone (their session closed); None: always there.
    what : str
        The analysis, as the message names it ("The forecast").

    Example
    -------
    >>> budget = Budget(seconds=60, what="The forecast")
    >>> budget.check()  # between steps: raises Interrupted past 60 s
    """

    seconds: float | None = None
    alive: Callable[[], bool] | None = None
    what: str = "This analysis"
    started: float = field(default_factory=time.monotonic)

    def check(self) -> None:
        """Raise :class:`Interrupted` if the visitor has gone or the time is used up."""
        if self.alive is not None and not self.alive():
            raise Interrupted(
                _("{what} was stopped because its page was closed.").format(what=self.what)
            )
        if self.seconds is not None and time.monotonic() - self.started > self.seconds:
            raise Interrupted(
                _(
                    "{what} needed more than {seconds} seconds of computing, the limit for one "
                    "request on this server, so it was stopped."
                ).format(what=self.what, seconds=f"{self.seconds:,.0f}"),
                hint=_(
                    "Ask for less: fewer backtest origins, a shorter horizon or season, fewer "
                    "models or customers."
                ),
            )


def check(budget: Budget | None) -> None:
    """``budget.check()``, for code where the budget is optional."""
    if budget is not None:
        budget.check()
