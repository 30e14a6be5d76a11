"""The headless alert runner: a saved workspace's rules checked on its data, again and again,
for cron or a service (``python -m analytics watch WORKSPACE``).

A live workspace's table is followed as the app follows it (only new rows, with the same
guards); a database that goes away is retried with backoff and said, not fatal. Alerts are
delivered and logged; they are the runner's work, not its failure: it exits with 0 after
``--once`` whatever it raised, and non-zero only on its own errors (no such workspace, a live
source it cannot open at the start, a bad setting).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from analytics.data import ColumnMapping, DatabaseOptions, Kind, LoadedTable, build_dataset, clean
from analytics.errors import AnalyticsError
from analytics.i18n import _
from analytics.monitor.alerts import AlertLog, Delivery, run_rules
from analytics.monitor.live import LiveState, open_live, refresh
from analytics.monitor.run import MonitorParams, rules_from

#: One alert log for every workspace (else one per workspace, next to the workspace store).
LOG_ENV = "MARKETLENS_ALERT_LOG"


def alert_log_for(store_path: str | os.PathLike[str], token: str) -> AlertLog:
    """The alert log of one workspace: ``$MARKETLENS_ALERT_LOG``, else ``alerts/<hash>.jsonl``
    beside the workspace store (a hash: the file name gives no one the workspace's token)."""
    if os.environ.get(LOG_ENV):
        return AlertLog(os.environ[LOG_ENV])
    name = hashlib.blake2b(token.encode(), digest_size=12).hexdigest()
    return AlertLog(Path(store_path).parent / "alerts" / f"{name}.jsonl")


def watch(
    *,
    table: LoadedTable,
    kind: Kind,
    mapping: ColumnMapping,
    steps: tuple[str, ...],
    analyses: Mapping[str, Any],
    alert_log: AlertLog,
    delivery: Delivery | None = None,
    engine: Engine | None = None,
    options: DatabaseOptions | None = None,
    clock: Callable[[], pd.Timestamp] = pd.Timestamp.now,
    once: bool = False,
    interval: float | None = None,
    emit: Callable[[dict[str, Any]], None] = print,
    sleep: Callable[[float], None] = time.sleep,
    rounds: int | None = None,
) -> int:
    """Check the rules every ``interval`` seconds (the live source's, else 300), or once.

    ``emit`` receives one record per round: when, rows, rows fetched, alerts raised and any
    error. ``rounds`` stops after that many rounds (tests).
    """
    params = MonitorParams.from_dict(analyses.get("monitor", {}))
    rules = rules_from(analyses)
    if not rules:
        emit({"note": _("The workspace has no alert rules: nothing to watch.")})
        return 0
    source = params.live
    state: LiveState | None = None
    if source is not None:
        if engine is None:
            raise AnalyticsError(
                _("The workspace follows the table {table} live: give the database's URL.").format(
                    table=source.table
                ),
                hint=_(
                    "--database-url, $MARKETLENS_DATABASE_URL or [connections.sql] url in secrets.toml"
                ),
            )
        state = open_live(engine, source, options=options)
    wait = float(interval or (source.interval if source is not None else 300))
    done = 0
    dataset_frame: pd.DataFrame | None = None
    mapped_from: object = None  # the rows the dataset was last built from
    while True:
        record: dict[str, Any] = {}
        rows: object = table
        if state is not None and engine is not None:
            if state.due():
                state = refresh(engine, state, options=options)
            record.update(fetched=state.fetched, error=state.error, notes=list(state.notes))
            rows = state.frame  # the same object until a refresh brings rows
        if rows is not mapped_from:  # map and clean only when the rows changed
            current = state.table() if state is not None else table
            try:
                dataset = build_dataset(current.frame, kind, mapping, source=current.source)
                dataset_frame = clean(dataset, steps).dataset.frame
                mapped_from = rows
            except AnalyticsError as exc:  # the table no longer maps (its columns changed)
                record["error"] = str(exc)
        now = pd.Timestamp(clock())
        entries = (
            run_rules(rules, dataset_frame, now, alert_log=alert_log, delivery=delivery)
            if dataset_frame is not None
            else []
        )
        record.update(
            at=now.isoformat(),
            rows=0 if dataset_frame is None else len(dataset_frame),
            rules=len(rules),
            alerts=[
                {
                    "rule": e["rule"],
                    "findings": [f["text"] for f in e["findings"]],
                    "delivered": e["delivered"],
                }
                for e in entries
            ],
        )
        emit(record)
        done += 1
        if once or (rounds is not None and done >= rounds):
            return 0
        sleep(wait)
