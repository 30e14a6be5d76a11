"""The one exception family for errors a user can cause."""

from __future__ import annotations


class AnalyticsError(ValueError):
    """A problem with the user's data or choices, explained in plain words.

    Pages show it with ``st.error``; the CLI prints it on one line and exits 2.
    Anything that is not an ``AnalyticsError`` is a bug in MarketLens.

    Parameters
    ----------
    message : str
        What is wrong, in words a marketer understands.
    hint : str, optional
        What to do about it.

    Example
    -------
    >>> err = AnalyticsError("The file is empty.", hint="Export the table again.")
    >>> str(err)
    'The file is empty. Export the table again.'
    """

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()
