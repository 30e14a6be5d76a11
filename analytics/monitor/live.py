"""A database table followed live: on each refresh only the rows added since the last read are
fetched and appended, guarded against what goes wrong with a live database.

The table needs a growing column: an id (each refresh fetches ``id > last``) or a timestamp
(``ts >= last``: rows may share a timestamp, so the rows already held at the boundary are dropped
from what comes back). Guards, each with a note or an error in plain words and nothing lost:

- the database goes away, or the credentials stop working: the last data is kept, the error is
  shown, and the next try waits twice as long each time (up to ten minutes);
- the columns change: the table is read again in full;
- the table shrinks (rows deleted): read again in full;
- timestamps in the future (a writer's clock ahead): kept, not counted until their time, and
  they do not move the boundary (rows written meanwhile with the right time are not missed).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from analytics.data import DatabaseOptions, LoadedTable, count_rows, read_rows_after
from analytics.data.io import table_from_frame
from analytics.errors import AnalyticsError
from analytics.i18n import _

MIN_INTERVAL_SECONDS = 30
#: An operator may allow shorter intervals (the browser tests refresh every 5 s).
MIN_INTERVAL_ENV = "MARKETLENS_LIVE_MIN_SECONDS"
MAX_BACKOFF_SECONDS = 600
#: Timestamps up to this far ahead of the server's clock count as now (clocks differ a little).
CLOCK_SKEW = pd.Timedelta(minutes=5)


@dataclass(frozen=True)
class LiveSource:
    """A table to follow: its name (as the Data page lists it), its growing column, and how often
    to look (seconds, 30 or more). With ``query``, a read-only SELECT followed instead (checked
    as the Data page checks it; ``table`` is then the name it is shown by)."""

    table: str
    column: str
    interval: int = 60
    query: str | None = None

    def __post_init__(self) -> None:
        if int(self.interval) < min_interval():
            raise AnalyticsError(
                _("A live source is refreshed every {n} s or more.").format(n=min_interval())
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "column": self.column,
            "interval": int(self.interval),
            "query": self.query,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LiveSource:
        return cls(
            str(data["table"]),
            str(data["column"]),
            int(data.get("interval", 60)),
            data.get("query") or None,
        )

    def where(self) -> dict[str, Any]:
        """What the reads take: the table, or the query."""
        if self.query is not None:
            return {"table": None, "query": self.query}
        return {"table": self.table, "query": None}


@dataclass(frozen=True)
class LiveState:
    """What a live source holds after its last refresh.

    ``frame`` is every row read so far, as the database gives them; ``watermark`` the largest
    value of the growing column read (not counting future timestamps); ``rows`` the table's row
    count at the last refresh; ``fetched`` the rows the last refresh brought. ``refreshed`` is
    when the last refresh worked, ``attempted`` when the last one was tried; ``error`` and
    ``failures`` say what went wrong since.
    """

    source: LiveSource
    frame: pd.DataFrame
    watermark: Any
    rows: int
    refreshed: pd.Timestamp
    attempted: pd.Timestamp
    fetched: int
    error: str | None = None
    failures: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def next_try(self) -> pd.Timestamp:
        """When to look again: the interval, doubled for each failure in a row (at most 10 min)."""
        wait = self.source.interval
        if self.failures:
            wait = min(wait * 2**self.failures, MAX_BACKOFF_SECONDS)
        return self.attempted + pd.Timedelta(seconds=wait)

    def due(self, now: pd.Timestamp | None = None) -> bool:
        return _now(now) >= self.next_try()

    def table(self) -> LoadedTable:
        """The rows as a table the Data page maps (the loader's checks and tidying)."""
        return table_from_frame(self.frame, source=f"{self.source.table} (live)", format="sql")


def min_interval() -> int:
    """The shortest refresh interval: 30 s, or ``$MARKETLENS_LIVE_MIN_SECONDS``."""
    value = os.environ.get(MIN_INTERVAL_ENV)
    return max(1, int(value)) if value else MIN_INTERVAL_SECONDS


def _now(now: pd.Timestamp | None) -> pd.Timestamp:
    return pd.Timestamp(now) if now is not None else pd.Timestamp(dt.datetime.now(dt.UTC))


def open_live(
    engine: Engine,
    source: LiveSource,
    *,
    options: DatabaseOptions | None = None,
    now: pd.Timestamp | None = None,
) -> LiveState:
    """The first read of a live source: every row (within the usual caps).

    Raises
    ------
    AnalyticsError
        When the table cannot be read, or has no such column.
    """
    where = source.where()
    frame = read_rows_after(
        engine, where["table"], source.column, None, query=where["query"], options=options
    )
    if source.column not in frame.columns:
        raise AnalyticsError(
            _("The table {table} has no column {column}.").format(
                table=source.table, column=source.column
            ),
            hint=_("Pick the column that grows with each new order: an id or a timestamp."),
        )
    at = _now(now)
    watermark, notes = _watermark(frame, source.column)
    return LiveState(source, frame, watermark, len(frame), at, at, len(frame), notes=notes)


def refresh(
    engine: Engine,
    state: LiveState,
    *,
    options: DatabaseOptions | None = None,
    now: pd.Timestamp | None = None,
) -> LiveState:
    """The rows added since the last read, appended; on any failure the state as it was, with the
    error and one more failure (see :meth:`LiveState.next_try`)."""
    at = _now(now)
    source = state.source
    try:
        where = source.where()
        count = count_rows(engine, where["table"], query=where["query"], options=options)
        notes: list[str] = []
        if count < state.rows:
            notes.append(
                _(
                    "The table holds {now:,} rows, {gone:,} fewer than before: rows were deleted, "
                    "so it was read again in full."
                ).format(now=count, gone=state.rows - count)
            )
            return _full(engine, state, at, options, notes)
        inclusive = not _is_number(state.frame, source.column)
        new = read_rows_after(
            engine,
            where["table"],
            source.column,
            state.watermark,
            query=where["query"],
            inclusive=inclusive,
            options=options,
        )
        if list(new.columns) != list(state.frame.columns):
            added = [c for c in new.columns if c not in state.frame.columns]
            removed = [c for c in state.frame.columns if c not in new.columns]
            notes.append(
                _(
                    "The table's columns changed (added: {added}; removed: {removed}), so it "
                    "was read again in full."
                ).format(added=", ".join(added) or "–", removed=", ".join(removed) or "–")
            )
            return _full(engine, state, at, options, notes)
        if inclusive and state.watermark is not None:
            new = _unseen(new, state.frame, source.column, state.watermark)
        frame = pd.concat([state.frame, new], ignore_index=True) if len(new) else state.frame
        watermark, future = _watermark(frame, source.column)
        return replace(
            state,
            frame=frame,
            watermark=watermark if watermark is not None else state.watermark,
            rows=count,
            refreshed=at,
            attempted=at,
            fetched=len(new),
            error=None,
            failures=0,
            notes=tuple(notes + list(future)),
        )
    except AnalyticsError as exc:
        message = exc.message + (f" {exc.hint}" if getattr(exc, "hint", None) else "")
        return replace(state, error=message, failures=state.failures + 1, attempted=at)
    except Exception as exc:  # a driver's own error outside the guarded read
        message = _("The database did not answer: {error}.").format(error=type(exc).__name__)
        return replace(state, error=message, failures=state.failures + 1, attempted=at)


def _full(
    engine: Engine,
    state: LiveState,
    at: pd.Timestamp,
    options: DatabaseOptions | None,
    notes: list[str],
) -> LiveState:
    fresh = open_live(engine, state.source, options=options, now=at)
    return replace(fresh, notes=tuple(notes) + fresh.notes)


def _is_number(frame: pd.DataFrame, column: str) -> bool:
    return column in frame.columns and pd.api.types.is_numeric_dtype(frame[column])


def _watermark(frame: pd.DataFrame, column: str) -> tuple[Any, tuple[str, ...]]:
    """The boundary for the next read, and a note on timestamps in the future."""
    if column not in frame.columns or frame.empty:
        return None, ()
    values = frame[column].dropna()
    if values.empty:
        return None, ()
    if not pd.api.types.is_datetime64_any_dtype(values):
        return values.max(), ()
    stamps = pd.to_datetime(values)
    zone = stamps.dt.tz
    now = pd.Timestamp.now(tz=zone) if zone is not None else pd.Timestamp.now()
    ahead = stamps > now + CLOCK_SKEW
    if not ahead.any():
        return stamps.max(), ()
    note = _(
        "{n:,} rows are dated in the future (up to {latest}): a clock is ahead. They are kept "
        "and counted when their time comes."
    ).format(n=int(ahead.sum()), latest=stamps[ahead].max().strftime("%Y-%m-%d %H:%M"))
    present = stamps[~ahead]
    return (present.max() if len(present) else None), (note,)


def _unseen(new: pd.DataFrame, held: pd.DataFrame, column: str, watermark: Any) -> pd.DataFrame:
    """The fetched rows not held already: those at or past the boundary may be held (each row
    counted as often as it is held, so two equal rows of the table stay two)."""
    tail = held[held[column] >= watermark]
    if tail.empty or new.empty:
        return new
    keys_new = _row_keys(new)
    keys_held = _row_keys(tail)
    seen = keys_held.value_counts()
    rank = keys_new.groupby(keys_new).cumcount()
    limit = keys_new.map(seen).fillna(0)
    return new[(rank >= limit).to_numpy()]


def _row_keys(frame: pd.DataFrame) -> pd.Series:
    text = frame.astype("string").fillna("\x00")
    return text.apply(lambda row: "\x1f".join(row), axis=1)
