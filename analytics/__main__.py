"""MarketLens from the command line: ``python -m analytics <command> ...``.

Commands print JSON (or a short text report) on stdout. A problem with the user's file or options
prints one line on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tomllib

from analytics.baskets import (
    RANK_BY,
    RulesParams,
    build_baskets,
    evaluate_recommendations,
    item_options,
    run_rules,
)
from analytics.campaigns import APPROACHES, LEARNERS, CampaignParams, run_campaign
from analytics.data import (
    KINDS,
    ROLE_LABELS,
    OpenedFile,
    clean,
    default_steps,
    load_table,
    open_dataset,
    privacy_key,
    protect_table,
    quality_report,
    role_evidence,
    write_sample_at_scale,
    write_samples,
    write_table,
)
from analytics.data.sql import DatabaseOptions
from analytics.display import Display
from analytics.engines import ANALYSES, ENGINES, open_large, prepare_table, run_large
from analytics.errors import AnalyticsError
from analytics.forecast import METRICS, ForecastParams, build_series, run_forecast
from analytics.i18n import LANGUAGES, _, current_language, language, language_for
from analytics.lifetime import (
    MEASURES,
    cohort_table,
    customer_summary,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_notes,
    holdout_check,
    predict_clv,
    segment_migration,
    spend_check,
)
from analytics.mix import fit_mix, mix_data, plan_budget, weekly_table
from analytics.monitor import AlertLog, Delivery
from analytics.monitor.watch import alert_log_for, watch
from analytics.overview import whole_file_summary
from analytics.params import date_argument
from analytics.propensity import (
    PropensityParams,
    feature_importance,
    fit_propensity,
    target_from_column,
    target_from_transactions,
)
from analytics.report import SECTIONS, STORE_ENV, ReportOptions, WorkspaceStore, build_report
from analytics.segments import SegmentParams, run_segmentation


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _add_role_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sheet", action="append", metavar="NAME", help="workbook sheet to read (repeatable)"
    )
    parser.add_argument("--kind", choices=KINDS, help="override the detected kind of dataset")
    parser.add_argument(
        "--role",
        action="append",
        default=[],
        metavar="ROLE=COLUMN",
        help="override a column role, e.g. --role customer_id='Client No' (roles: "
        + ", ".join(sorted(ROLE_LABELS))
        + ", dimensions=A,B); an empty COLUMN removes the role",
    )
    order = parser.add_mutually_exclusive_group()
    order.add_argument(
        "--dayfirst",
        dest="dayfirst",
        action="store_true",
        default=None,
        help="read 1/3/2019 as 1 March (when every date reads both ways)",
    )
    order.add_argument(
        "--monthfirst",
        dest="dayfirst",
        action="store_false",
        help="read 1/3/2019 as January 3 (the default)",
    )


def _roles(pairs: Sequence[str]) -> dict[str, str | None]:
    roles: dict[str, str | None] = {}
    for pair in pairs:
        role, sep, column = pair.partition("=")
        if not sep:
            raise AnalyticsError(f"--role takes ROLE=COLUMN, got {pair!r}.")
        roles[role.strip()] = column or None
    return roles


def _open(args: argparse.Namespace) -> OpenedFile:
    """The file of a command, read and mapped with the role options of ``_add_role_options``."""
    return open_dataset(
        args.file,
        sheets=args.sheet,
        kind=args.kind,
        roles=_roles(args.role),
        dayfirst=args.dayfirst,
    )


def _inspect(args: argparse.Namespace) -> int:
    opened = _open(args)
    table, dataset = opened.table, opened.dataset
    report = quality_report(dataset, table=table.frame)
    evidence = role_evidence(table.frame, dataset.kind, dataset.mapping)
    summary = {
        "file": str(args.file),
        "format": table.format,
        "sheets": list(table.sheets),
        "encoding": table.encoding,
        "delimiter": table.delimiter,
        "rows": table.n_rows,
        "columns": table.frame.shape[1],
        "kind": dataset.kind,
        "kind_reasons": list(opened.guess.reasons),
        "roles": dataset.mapping.roles(),
        "evidence": {e.role: e.evidence for e in evidence},
        "to_confirm": [e.role for e in evidence if not e.confident]
        + ([] if opened.guess.confident else ["kind"]),
        "currency": dataset.currency,
        "dimensions": list(dataset.mapping.dimensions),
        "dates": dataset.dates.describe() if dataset.dates else None,
        "quality": report.to_dict(),
        "notes": list(table.notes) + list(dataset.notes),
    }
    if args.format == "json":
        print(json.dumps(summary, indent=2, ensure_ascii=False, default=str))
        return 0
    print(f"{table.source}: {table.describe()}")
    print(
        _("Kind: {kind} — {reasons}").format(
            kind=_(dataset.kind), reasons=" ".join(opened.guess.reasons)
        )
    )
    print(_("Roles:"))
    for e in evidence:
        doubt = "" if e.confident else " " + _("(to confirm)")
        print(f"  {e.column} → {e.role}{doubt} — {e.evidence}")
    described = {f"{e.column} → {e.role}" for e in evidence}
    for line in dataset.mapping.describe():
        if line not in described:
            print(f"  {line}")
    for note in [*table.notes, *dataset.notes]:
        print(_("Note: {note}").format(note=note))
    print(_("Findings:"))
    for finding in report.findings:
        print(f"  [{_(finding.severity)}] {finding.message}")
    return 0


def _overview(args: argparse.Namespace) -> int:
    opened = _open(args)
    cleaned = clean(opened.dataset, default_steps(opened.dataset))
    summary = whole_file_summary(cleaned.dataset)
    left_out = [
        f"{entry.rows_removed:,} row(s) left out: {entry.label.lower()}."
        for entry in cleaned.log
        if entry.rows_removed
    ]
    summary["notes"] = [*opened.table.notes, *left_out, *summary["notes"]]  # type: ignore[misc]
    print(json.dumps({"file": str(args.file), **summary}, indent=2, ensure_ascii=False))
    return 0


def _clv(args: argparse.Namespace) -> int:
    """BG/NBD + Gamma-Gamma: parameters, a holdout check when the data goes on after the
    calibration end, and the most valuable customers."""
    opened = _open(args)
    dataset = clean(opened.dataset, default_steps(opened.dataset)).dataset
    summary = customer_summary(dataset, args.calibration_end, args.observation_end)
    purchases, spend = fit_bgnbd(summary), fit_gamma_gamma(summary)
    weeks = _weeks(args.horizon)
    table = predict_clv(
        summary, purchases, spend, horizon_weeks=weeks, annual_discount=args.discount
    )
    out: dict[str, object] = {
        "file": str(args.file),
        "customers": len(summary),
        "repeat_buyers": int((summary["frequency"] > 0).sum()),
        "bgnbd": {k: round(v, 6) for k, v in vars(purchases).items() if isinstance(v, float)},
        "gamma_gamma": {k: round(v, 6) for k, v in vars(spend).items() if isinstance(v, float)},
        "converged": purchases.converged and spend.converged,
        "horizon_weeks": weeks,
        "annual_discount": args.discount,
        "expected_purchases": round(float(table["expected_purchases"].sum()), 2),
        "expected_value": round(float(table["clv"].sum()), 2),
    }
    if args.calibration_end is not None:
        check = holdout_check(dataset, args.calibration_end, args.observation_end)
        out["holdout"] = {
            "weeks": round(check.weeks, 2),
            "predicted_purchases": round(check.predicted, 1),
            "actual_purchases": int(check.actual),
            "error": round(check.error, 4),
            "in_words": check.words(),
            "by_calibration_purchases": [
                {
                    "purchases": str(group),
                    "customers": int(row["customers"]),
                    "actual": round(float(row["actual"]), 4),
                    "predicted": round(float(row["predicted"]), 4),
                }
                for group, row in check.groups.iterrows()
            ],
        }
    out["notes"] = [*fit_notes(purchases, spend), *spend_check(summary).notes()]
    out["top"] = [
        {"customer_id": str(i), **{k: round(float(v), 4) for k, v in row.items()}}
        for i, row in table.head(args.top).iterrows()
    ]
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0


def _cohorts(args: argparse.Namespace) -> int:
    """Acquisition cohorts as JSON: sizes, and the measure per period since acquisition."""
    opened = _open(args)
    dataset = clean(opened.dataset, default_steps(opened.dataset)).dataset
    if (args.by is None) != (args.value is None):
        raise AnalyticsError("--by and --value go together: --by Country --value France.")
    cohorts = cohort_table(dataset, args.period, args.measure, by=args.by, value=args.value)
    rows = []
    cells = zip(cohorts.table.iterrows(), cohorts.partial.iterrows(), cohorts.sizes, strict=True)
    for (cohort, values), (_row, partial), size in cells:
        rows.append(
            {
                "cohort": f"{cohort:%Y-%m-%d}",
                "customers": int(size),
                "values": [None if np.isnan(v) else round(float(v), 4) for v in values],
                "partial": partial.index.to_numpy()[partial.to_numpy(bool)].tolist(),
            }
        )
    out = {
        "file": str(args.file),
        "period": args.period,
        "measure": args.measure,
        "meaning": MEASURES[args.measure],
        **({"acquired_with": {args.by: args.value}} if args.by else {}),
        "curve": [round(float(v), 4) for v in cohorts.curve()],
        "cohorts": rows,
    }
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0


def _migration(args: argparse.Namespace) -> int:
    """Segment migration as JSON: the transition matrix (customers and revenue), the moves, and
    the customers who moved down, most valuable first."""
    opened = _open(args)
    dataset = clean(opened.dataset, default_steps(opened.dataset)).dataset
    migration = segment_migration(dataset, args.before, args.after)
    down = migration.moved_down()

    def matrix(weight: str) -> dict[str, dict[str, float]]:
        table = migration.matrix(weight)  # type: ignore[arg-type]
        cell = int if weight == "customers" else (lambda v: round(float(v), 2))
        return {
            str(row): {str(col): cell(v) for col, v in values.items() if v}
            for row, values in table.iterrows()
        }

    out = {
        "file": str(args.file),
        "before": f"{migration.before:%Y-%m-%d}",
        "after": f"{migration.after:%Y-%m-%d}",
        "moves": migration.counts(),
        "customers": matrix("customers"),
        "revenue": matrix("revenue"),
        "moved_down": [
            {
                "customer_id": str(row["customer_id"]),
                "from": row["segment_before"],
                "to": row["segment_after"],
                "revenue": round(float(row["revenue"]), 2),
            }
            for _ignored, row in down.head(args.top).iterrows()
        ],
    }
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0


def _campaign(args: argparse.Namespace) -> int:
    """An experiment's results as JSON: each arm against the control with intervals and Holm's
    correction, the sample-ratio check, unbalanced covariates and, with --uplift, the uplift
    model's Qini, deciles, segments and best share to target."""
    opened = _open(args)
    frame = clean(opened.dataset, default_steps(opened.dataset)).dataset.frame
    params = CampaignParams(
        group=args.group,
        control=args.control,
        outcomes=tuple(args.outcome or ()),
        arm=args.arm,
        uplift_outcome=args.uplift_outcome,
        approach=args.approach,
        learner=args.learner,
        cost=args.cost,
        value=args.value,
    )
    result = run_campaign(frame, params, uplift=args.uplift)

    def rounded(row: pd.Series) -> dict[str, object]:
        return {
            str(k): (float(f"{v:.6g}") if isinstance(v, (float, np.floating)) else v)
            for k, v in row.items()
        }

    effects = result.effects.table.replace({np.nan: None})
    out: dict[str, object] = {
        "file": str(args.file),
        "group": result.design.group,
        "control": result.design.control,
        "outcomes": result.design.outcomes,
        "sizes": {str(k): int(v) for k, v in result.effects.sizes.items()},
        "sample_ratio": {
            "p_value": round(result.ratio.p_value, 6),
            "mismatch": result.ratio.mismatch,
            "in_words": result.ratio.words(),
        },
        "effects": [rounded(row) for _ignored, row in effects.iterrows()],
        "in_words": result.effects.words(),
        "unbalanced": result.balance.loc[result.balance["unbalanced"], "covariate"].tolist(),
    }
    if result.uplift is not None:
        model = result.uplift
        out["uplift"] = {
            "arm": model.arm,
            "outcome": model.outcome,
            "approach": model.approach,
            "learner": model.learner,
            "qini": None if np.isnan(model.qini) else round(model.qini, 6),
            "average_effect": round(model.average_effect, 6),
            "deciles": [rounded(row) for _ignored, row in model.deciles().iterrows()],
            "segments": [rounded(row) for _ignored, row in model.segments.iterrows()],
            "in_words": model.words(),
        }
        if args.value > 0:
            best = model.best_share(args.cost, args.value)
            out["uplift"]["best_share"] = {k: round(v, 4) for k, v in best.items()}  # type: ignore[index]
    out["notes"] = list(result.problems.values())
    print(json.dumps(out, indent=2, ensure_ascii=False, default=str))
    return 0


def _mix(args: argparse.Namespace) -> int:
    """A marketing mix model as JSON: each channel's share of the channels' contribution with
    its interval, ROI and marginal ROI, carry-over half-life, the out-of-sample check and the
    budget split that sells most."""
    opened = _open(args)
    table = opened.table.frame
    if args.spend is not None:
        orders = clean(opened.dataset, default_steps(opened.dataset)).dataset
        table = weekly_table(orders, load_table(args.spend).frame)
    date = args.date or _date_column(table)
    data = mix_data(
        table,
        date,
        args.outcome,
        _columns(args.channels),
        _columns(args.controls) if args.controls else [],
    )
    result = fit_mix(data, replicates=args.replicates)
    plan = plan_budget(result, args.budget)

    def rows(frame: pd.DataFrame) -> list[dict[str, object]]:
        return [
            {
                str(k): (float(f"{v:.6g}") if isinstance(v, (float, np.floating)) else v)
                for k, v in row.items()
            }
            for _ignored, row in frame.iterrows()
        ]

    out = {
        "file": str(args.file),
        "periods": len(data.y),
        "frequency": data.freq,
        "channels": rows(result.summary()),
        "holdout": {k: float(f"{v:.6g}") for k, v in result.holdout.items()},
        "collinear": [
            {"channels": [a, b], "correlation": round(r, 3)} for a, b, r in result.collinear
        ],
        "plan": {
            "budget_per_period": round(plan.budget, 2),
            "gain_per_period": round(plan.gain, 2),
            "gain_interval": [round(plan.gain_low, 2), round(plan.gain_high, 2)],
            "split": rows(plan.table),
        },
    }
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0


def _date_column(frame: pd.DataFrame) -> str:
    """The first column whose values read as dates."""
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values):
            continue
        if pd.to_datetime(values, errors="coerce", format="mixed").notna().mean() > 0.95:
            return str(column)
    raise AnalyticsError("No column holds dates.", hint="Name it with --date.")


def _weeks(text: str) -> int:
    """A horizon as the CLI takes it: ``52``, ``52W``, ``12M`` (months of 52/12 weeks), ``1Y``."""
    value = text.strip().upper()
    unit = value[-1] if value[-1] in "WMY" else "W"
    number = value[:-1] if value[-1] in "WMY" else value
    try:
        amount = float(number)
    except ValueError:
        raise AnalyticsError(f"A horizon reads 52W, 12M or 1Y, not {text!r}.") from None
    return max(1, round(amount * {"W": 1, "M": 52 / 12, "Y": 52}[unit]))


def _segment(args: argparse.Namespace) -> int:
    opened = _open(args)
    by_name = args.features.strip().lower() == "rfm"
    if args.k.strip().lower() == "auto":
        k = None
    else:
        try:
            k = int(args.k)
        except ValueError as exc:
            raise AnalyticsError(f"--k takes 'auto' or a whole number, got {args.k!r}.") from exc
    params = dataclasses.replace(
        SegmentParams.from_arguments(args),
        features=() if by_name else tuple(_columns(args.features)),
        k=k,
        exclude_cancellations=not args.include_cancellations,
    )
    options = params.options("features", "sweep", "fit")
    if by_name:  # RFM asked for by name: a customers table is refused, not given its columns
        options["features"] = "rfm"
    result = run_segmentation(opened.dataset, **options)
    return _report({"file": str(args.file), **result.to_dict()}, args.out, result.export_table)


def _rules(args: argparse.Namespace) -> int:
    params = RulesParams.from_arguments(args)
    opened = _open(args)
    dataset = opened.dataset
    if params.item is not None and params.item not in item_options(dataset):
        raise AnalyticsError(
            f"--item takes one of {', '.join(item_options(dataset)) or 'no column here'}, "
            f"got {params.item!r}."
        )
    baskets = build_baskets(
        dataset,
        **params.options("baskets"),
        exclude_cancellations=not args.include_cancellations,
    )
    rules = run_rules(baskets, **params.options("mining"))
    summary: dict[str, object] = {"file": str(args.file), **rules.to_dict(top=args.top)}
    notes = [*baskets.notes, *rules.notes]
    if baskets.problem:
        notes.append(baskets.problem)
    summary["notes"] = notes
    if args.evaluate:
        mining = params.options("mining")
        evaluation = evaluate_recommendations(
            baskets,
            min_support=mining["min_support"],
            min_confidence=mining["min_confidence"],
            min_lift=mining["min_lift"],
            max_len=mining["max_len"],
            k=args.k,
            by=args.rank_by,
            engine=mining["engine"],
        )
        summary["recommendations"] = evaluation.to_dict()
    return _report(summary, args.out, rules.export_table)


def _forecast(args: argparse.Namespace) -> int:
    metric = args.metric or ForecastParams().metric
    if metric not in METRICS and args.kind in (None, "series"):
        # A column name: the value of a series (or a numeric column of transactions to add up).
        args.role = [*args.role, f"value={metric}"] if args.kind == "series" else args.role
    opened = _open(args)
    dataset = opened.dataset
    if dataset.kind == "series" and metric not in METRICS and dataset.mapping.value != metric:
        raise AnalyticsError(f"--metric {metric!r} is not a column of this series.")
    filters: dict[str, list[str]] = {}
    for pair in args.filter:
        column, sep, value = pair.partition("=")
        if not sep:
            raise AnalyticsError(f"--filter takes COLUMN=VALUE, got {pair!r}.")
        filters.setdefault(column.strip(), []).append(value)
    params = dataclasses.replace(
        ForecastParams.from_arguments(args),
        metric=metric if metric in METRICS or dataset.kind == "transactions" else "revenue",
        filters=tuple((column, tuple(values)) for column, values in filters.items()),
    )
    series = build_series(dataset, **params.options("series"))
    result = run_forecast(series, **params.options("model"))
    return _report({"file": str(args.file), **result.to_dict()}, args.out, result.export_table)


def _propensity(args: argparse.Namespace) -> int:
    params = PropensityParams.from_arguments(args)
    opened = _open(args)
    dataset = opened.dataset
    if params.derive:
        data = target_from_transactions(
            dataset,
            kind=params.derive,
            days=params.days,
            cutoff=None if params.cutoff is None else pd.Timestamp(params.cutoff),
        )
    elif params.target:
        data = target_from_column(dataset, params.target, positive=params.positive)
    else:
        raise AnalyticsError(
            "Say what to predict: --target COLUMN (a yes/no column), or --derive churn|buy "
            "(from transactions)."
        )
    result = fit_propensity(data, **params.options("fit"))
    summary = {"file": str(args.file), **result.to_dict(params.threshold)}
    importance = feature_importance(result)
    summary["importance"] = dict(
        zip(importance["feature"].head(10), importance["importance"].head(10).round(4), strict=True)
    )
    return _report(summary, args.out, result.action_list)


def _report_command(args: argparse.Namespace) -> int:
    if args.source.exists():
        opened = open_dataset(
            args.source,
            sheets=args.sheet,
            kind=args.kind,
            roles=_roles(args.role),
            dayfirst=args.dayfirst,
        )
        table = opened.table
        cleaned = clean(opened.dataset, default_steps(opened.dataset))
        analyses: dict[str, dict[str, object]] = {}
    else:
        store = WorkspaceStore(args.store)
        workspace = store.load(store.find(str(args.source)))
        table, cleaned, analyses = workspace.table, workspace.cleaned(), workspace.analyses
    options = ReportOptions(
        title=args.title,
        author=args.author,
        date=args.date,
        sections=tuple(args.sections or SECTIONS),
        display=Display.for_locale(
            args.locale or _LOCALES[current_language()],
            args.currency or cleaned.dataset.currency,
        ),
        language=current_language(),
    )
    report = build_report(cleaned, table=table, analyses=analyses, options=options)
    args.out.write_text(report.html, encoding="utf-8")
    summary = {
        "source": str(args.source),
        "out": str(args.out),
        "bytes": report.size,
        "seconds": round(report.seconds, 2),
        "sections": {s.key: s.problem or "ok" for s in report.sections},
    }
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0


def _workspaces(args: argparse.Namespace) -> int:
    """The operator's view of the store: every workspace with its owners; deleting."""
    store = WorkspaceStore(args.store)
    if args.delete:
        store.delete_any(store.find(args.delete))
        print(json.dumps({"deleted": args.delete}))
        return 0
    if args.delete_owner:
        count = store.delete_owner(args.delete_owner)
        print(json.dumps({"owner": args.delete_owner, "deleted_workspaces": count}))
        return 0
    listing = []
    for info in store.list_workspaces(args.owner):
        entry = dataclasses.asdict(info)
        entry["owners"] = [{"owner": o, "label": label} for o, label in info.owners]
        listing.append(entry)
    print(json.dumps(listing, indent=2, ensure_ascii=False))
    return 0


def _privacy(args: argparse.Namespace) -> int:
    """What personal data a file holds and what is done to it; ``--out`` writes the safe copy."""
    table = load_table(args.file, sheets=args.sheet)
    actions = {c: "keep" for c in args.keep or ()} | {c: "drop" for c in args.drop or ()}
    key, where = privacy_key()
    protected, _ignored = protect_table(
        table, key, actions=actions, also=tuple(args.pseudonymise or ())
    )
    summary: dict[str, object] = {
        "file": str(args.file),
        "secret": where,
        "columns": [step._asdict() for step in protected.privacy],
        "found": len(protected.privacy),
    }
    return _report(summary, args.out, lambda: protected.frame)


def _report(summary: dict[str, object], out: Path | None, table: Callable[[], pd.DataFrame]) -> int:
    """Write ``table()`` to ``out`` when asked, then print the JSON summary."""
    if out is not None:
        write_table(table(), out)
        summary["out"] = str(out)
    print(json.dumps(summary, indent=2, ensure_ascii=False, default=_json_default))
    return 0


def _columns(text: str) -> list[str]:
    columns = [c.strip() for c in text.split(",") if c.strip()]
    if not columns:
        raise AnalyticsError("--features takes 'rfm' or column names separated by commas.")
    return columns


def _json_default(value: object) -> object:
    if isinstance(value, float | np.floating) and np.isnan(value):
        return None
    if isinstance(value, np.integer | np.floating):
        return value.item()
    return str(value)


def _sections(text: str) -> list[str]:
    sections = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown or not sections:
        raise argparse.ArgumentTypeError(f"sections are {', '.join(SECTIONS)}; got {text!r}")
    return sections


def _sample(args: argparse.Namespace) -> int:
    if args.lines is not None:
        fmt = "csv" if args.out.suffix.lower() == ".csv" else "parquet"
        written_at_scale = write_sample_at_scale(args.out, args.lines, fmt=fmt)
        print(json.dumps({"path": str(args.out), "format": fmt, **written_at_scale}, indent=2))
        return 0
    paths = write_samples(args.out, n_customers=args.customers, random_state=args.random_state)
    written: dict[str, object] = {kind: str(path) for kind, path in paths.items()}
    if args.sqlite is not None:
        written["sqlite"] = write_sqlite(paths, args.sqlite)
    print(json.dumps(written, indent=2))
    return 0


def write_sqlite(paths: dict[str, Path], target: Path) -> dict[str, object]:
    """The samples as tables of a SQLite file (orders, customers, daily_revenue), for trying the
    Data page's database source with no server."""
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{target}")
    tables = {"orders": "transactions", "customers": "customers", "daily_revenue": "series"}
    for table, kind in tables.items():
        frame = load_table(paths[kind]).frame
        frame.to_sql(table, engine, index=False, if_exists="replace", chunksize=20_000)
    engine.dispose()
    return {"path": str(target), "tables": list(tables)}


def _large(args: argparse.Namespace) -> int:
    def progress(share: float, message: str) -> None:
        print(f"{share:4.0%} {message}", file=sys.stderr, flush=True)

    started = time.perf_counter()
    if args.table:
        import sqlalchemy as sa

        if not args.source:
            raise AnalyticsError("--table needs the database URL as SOURCE.")
        engine = sa.create_engine(args.source)
        try:
            source = prepare_table(engine, args.table, roles=_roles(args.role), progress=progress)
        finally:
            engine.dispose()
    else:
        source = open_large(
            str(args.source),
            engine=args.engine,
            master=args.spark_master,
            roles=_roles(args.role),
            progress=progress,
        )
    prepared = time.perf_counter()
    analyses = [a.strip() for a in args.analyses.split(",") if a.strip()]
    summary = run_large(
        source,
        analyses=analyses,
        freq=args.freq,
        min_support=args.min_support,
        min_confidence=args.min_confidence,
        k=args.k,
        top=args.top,
    )
    summary["seconds"] = {"prepare": round(prepared - started, 3), **summary["seconds"]}
    print(json.dumps(summary, indent=2, ensure_ascii=False, default=_json_default))
    return 0


def _add_large_command(commands: argparse._SubParsersAction) -> None:
    """The large command: a file or folder of any size, out of core (DuckDB) or on Spark."""
    large = commands.add_parser(
        "large",
        help="Overview, RFM, segments, series and rules of a Parquet/CSV file or folder of any "
        "size, out of core with DuckDB (default) or on a Spark cluster",
    )
    large.add_argument(
        "source",
        help="a file, a folder of Parquet/CSV files, file.duckdb:table, or with --table a "
        "database URL (postgresql://…, sqlite:///…)",
    )
    large.add_argument(
        "--table", help="read this table of the database SOURCE, streamed (DuckDB engine)"
    )
    large.add_argument("--engine", choices=ENGINES, default="duckdb")
    large.add_argument(
        "--spark-master", default="local[2]", help="Spark master URL (local[2], spark://host:7077)"
    )
    large.add_argument(
        "--role", action="append", default=[], metavar="ROLE=COLUMN", help="override a role"
    )
    large.add_argument(
        "--analyses", default=",".join(ANALYSES), help=f"comma-separated ({','.join(ANALYSES)})"
    )
    large.add_argument("--freq", choices=("D", "W", "M", "Q"), default="W")
    large.add_argument("--min-support", type=float, default=0.01)
    large.add_argument("--min-confidence", type=float, default=0.5)
    large.add_argument("--k", type=int, help="segments (default: by silhouette; Spark: 4)")
    large.add_argument("--top", type=int, default=10, help="rules to show")
    large.set_defaults(run=_large)


def _add_reading_commands(commands: argparse._SubParsersAction) -> None:
    """The inspect and overview commands: what a file is, and its whole-file KPIs."""
    inspect = commands.add_parser(
        "inspect", help="read a file: its kind, column roles and quality findings"
    )
    inspect.add_argument("file", type=Path)
    _add_role_options(inspect)
    inspect.add_argument("--format", choices=("text", "json"), default="text")
    inspect.set_defaults(run=_inspect)
    overview = commands.add_parser(
        "overview",
        help="whole-file KPIs as JSON: orders, customers, revenue, lines, dates, currency, notes",
    )
    overview.add_argument("file", type=Path)
    _add_role_options(overview)
    overview.set_defaults(run=_overview)
    privacy = commands.add_parser(
        "privacy",
        help="personal columns of a file (names, e-mails, phones, ID and card numbers, "
        "addresses, IPs) and a copy with identifiers pseudonymised and the rest dropped",
    )
    privacy.add_argument("file", type=Path)
    privacy.add_argument("--sheet", action="append", help="workbook sheet(s) to read")
    privacy.add_argument("--keep", action="append", metavar="COLUMN", help="keep as it is")
    privacy.add_argument("--drop", action="append", metavar="COLUMN", help="drop")
    privacy.add_argument(
        "--pseudonymise", action="append", metavar="COLUMN", help="also pseudonymise"
    )
    privacy.add_argument("--out", type=Path, help="write the protected table (.csv or .xlsx)")
    privacy.set_defaults(run=_privacy)


def _add_analyses_commands(commands: argparse._SubParsersAction) -> None:
    """The segment and rules commands."""
    segment = commands.add_parser(
        "segment", help="segment customers: RFM or chosen columns, clustered"
    )
    segment.add_argument("file", type=Path)
    _add_role_options(segment)
    segment.add_argument(
        "--features",
        default="rfm",
        help="'rfm' (from transactions) or COL,COL,... of a customers table",
    )
    SegmentParams.add_arguments(segment)  # --analysis-date, --algorithm, --scale, --eps, …
    segment.add_argument(
        "--k", default="auto", help="number of segments, or 'auto' (best silhouette for k = 2..10)"
    )
    segment.add_argument(
        "--include-cancellations", action="store_true", help="RFM: keep cancellations and returns"
    )
    segment.add_argument("--out", type=Path, help="write customer → segment as .csv or .xlsx")
    segment.set_defaults(run=_segment)
    rules = commands.add_parser(
        "rules", help="market baskets: frequent itemsets and association rules"
    )
    rules.add_argument("file", type=Path)
    _add_role_options(rules)
    RulesParams.add_arguments(rules)  # --item, --start, --end, --min-support, … --significant
    rules.add_argument(
        "--include-cancellations", action="store_true", help="keep cancellations and returns"
    )
    rules.add_argument("--top", type=int, default=10, help="rules to print (highest lift)")
    rules.add_argument(
        "--evaluate",
        action="store_true",
        help="hit rate@k of recommendations on a temporal 80/20 split, next to popularity",
    )
    rules.add_argument("--k", type=int, default=5, help="recommendations per basket (--evaluate)")
    rules.add_argument("--rank-by", choices=RANK_BY, default="confidence")
    rules.add_argument("--out", type=Path, help="write all rules as .csv or .xlsx")
    rules.set_defaults(run=_rules)


def _add_forecasting_commands(commands: argparse._SubParsersAction) -> None:
    """The forecast and propensity commands."""
    forecast = commands.add_parser(
        "forecast", help="forecast a sales series: backtested models, prediction intervals"
    )
    forecast.add_argument("file", type=Path)
    _add_role_options(forecast)
    ForecastParams.add_arguments(forecast)  # --metric, --freq, … --holdout
    forecast.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="COLUMN=VALUE",
        help="transactions: keep rows where COLUMN is VALUE (repeatable)",
    )
    forecast.add_argument("--out", type=Path, help="write history and forecast as .csv or .xlsx")
    forecast.set_defaults(run=_forecast)
    propensity = commands.add_parser(
        "propensity", help="who will churn, buy or respond: cross-validated models, scored list"
    )
    propensity.add_argument("file", type=Path)
    _add_role_options(propensity)
    PropensityParams.add_arguments(propensity)  # --target, … --search, --threshold
    propensity.add_argument(
        "--out",
        type=Path,
        help="write the scored list as .csv or .xlsx (--derive: every customer as of the end of "
        "the data, to act on now)",
    )
    propensity.set_defaults(run=_propensity)


def _add_sharing_commands(commands: argparse._SubParsersAction) -> None:
    """The report, workspaces and sample commands."""
    report = commands.add_parser(
        "report",
        help="write a self-contained HTML report of a saved workspace or of a file",
    )
    report.add_argument(
        "source", type=Path, help="a data file, or a workspace's name or token (see workspaces)"
    )
    report.add_argument("--out", type=Path, required=True, help="the .html file to write")
    report.add_argument("--title", default="Marketing analysis")
    report.add_argument("--author", default="")
    report.add_argument(
        "--locale",
        default=None,
        help="how figures are written, e.g. en_GB, de_DE, zh_CN (default: the language's)",
    )
    report.add_argument(
        "--currency",
        default=None,
        help="ISO code of the amounts (default: the one the file states, else the locale's)",
    )
    report.add_argument("--date", type=date_argument, help="the report's date (default today)")
    report.add_argument(
        "--sections",
        type=_sections,
        help=f"sections to include, separated by commas (default all: {','.join(SECTIONS)})",
    )
    report.add_argument("--store", type=Path, help=f"workspace store (default ${STORE_ENV})")
    _add_role_options(report)
    report.set_defaults(run=_report_command)
    workspaces = commands.add_parser(
        "workspaces",
        help="the operator's view: list every saved workspace with its owners (JSON), or delete",
    )
    workspaces.add_argument("--store", type=Path, help=f"workspace store (default ${STORE_ENV})")
    workspaces.add_argument("--owner", help="list only this owner's workspaces (an owner id)")
    workspaces.add_argument("--delete", metavar="TOKEN", help="delete this workspace")
    workspaces.add_argument(
        "--delete-owner",
        metavar="OWNER",
        help="take this owner off every list and delete the workspaces no one else holds",
    )
    workspaces.set_defaults(run=_workspaces)
    clv = commands.add_parser(
        "clv",
        help="predicted lifetime value (BG/NBD + Gamma-Gamma) as JSON: parameters, holdout, top",
    )
    clv.add_argument("file", type=Path)
    _add_role_options(clv)
    clv.add_argument("--calibration-end", default=None, help="fit on purchases up to this date")
    clv.add_argument(
        "--observation-end", default=None, help="with --calibration-end: the holdout's last day"
    )
    clv.add_argument("--horizon", default="52W", help="52W, 12M or 1Y (default 52W)")
    clv.add_argument("--discount", type=float, default=0.1, help="annual discount rate (0.1)")
    clv.add_argument("--top", type=int, default=10, help="most valuable customers listed")
    clv.set_defaults(run=_clv)
    cohorts = commands.add_parser(
        "cohorts", help="acquisition cohorts as JSON: who bought again, period by period"
    )
    cohorts.add_argument("file", type=Path)
    _add_role_options(cohorts)
    cohorts.add_argument("--period", choices=("M", "Q"), default="M", help="month or quarter")
    cohorts.add_argument("--measure", choices=tuple(MEASURES), default="active")
    cohorts.add_argument("--by", help="only customers acquired with a value of this column")
    cohorts.add_argument("--value", help="with --by: the value (e.g. --by Country --value France)")
    cohorts.set_defaults(run=_cohorts)
    migration = commands.add_parser(
        "migration",
        help="RFM segment migration between two dates as JSON: who moved where, who moved down",
    )
    migration.add_argument("file", type=Path)
    _add_role_options(migration)
    migration.add_argument(
        "--before", default=None, help="the earlier date (default: a quarter before the last)"
    )
    migration.add_argument("--after", default=None, help="the later date (default: the last)")
    migration.add_argument("--top", type=int, default=20, help="moved-down customers listed")
    migration.set_defaults(run=_migration)
    campaign = commands.add_parser(
        "campaign",
        help="an experiment's results as JSON: effects per group, sample ratio, uplift",
    )
    campaign.add_argument("file", type=Path)
    _add_role_options(campaign)
    campaign.add_argument("--group", help="the column of groups (default: detected)")
    campaign.add_argument("--control", help="the control group (default: detected)")
    campaign.add_argument(
        "--outcome", action="append", help="an outcome column (repeatable; default: detected)"
    )
    campaign.add_argument("--uplift", action="store_true", help="also fit the uplift model")
    campaign.add_argument("--arm", help="uplift: the treated group (default: the best one)")
    campaign.add_argument("--uplift-outcome", help="uplift: the outcome (default: first 0/1)")
    campaign.add_argument("--approach", choices=tuple(APPROACHES), default="two_model")
    campaign.add_argument("--learner", choices=tuple(LEARNERS), default="logreg")
    campaign.add_argument("--cost", type=float, default=0.0, help="cost per contact")
    campaign.add_argument("--value", type=float, default=0.0, help="value per extra outcome")
    campaign.set_defaults(run=_campaign)
    mix = commands.add_parser(
        "mix",
        help="a marketing mix model as JSON: contributions, ROI, carry-over, the best budget split",
    )
    mix.add_argument("file", type=Path)
    _add_role_options(mix)
    mix.add_argument("--outcome", required=True, help="the sales column")
    mix.add_argument("--channels", required=True, help="spend columns, separated by commas")
    mix.add_argument("--controls", help="control columns (price, promotions …), by commas")
    mix.add_argument("--date", help="the date column (default: the first with dates)")
    mix.add_argument("--budget", type=float, help="budget per period (default: current)")
    mix.add_argument("--replicates", type=int, default=60, help="bootstrap replicates (60)")
    mix.add_argument(
        "--spend",
        type=Path,
        help="FILE is an orders export: weekly revenue from it, channels from this spend file",
    )
    mix.set_defaults(run=_mix)
    sample = commands.add_parser("sample", help="write the bundled sample datasets (deterministic)")
    sample.add_argument("--out", type=Path, default=Path("data"))
    sample.add_argument("--customers", type=int, default=3000)
    sample.add_argument("--random-state", type=int, default=0)
    sample.add_argument("--sqlite", type=Path, help="also write them as tables of this SQLite file")
    sample.add_argument(
        "--lines",
        type=int,
        help="instead, this many order lines of the sample's kind for the large-data engines: "
        "Parquet parts in the --out folder (or one CSV file when --out ends in .csv)",
    )
    sample.set_defaults(run=_sample)


def _watch(args: argparse.Namespace) -> int:
    """A saved workspace's alert rules, checked on its data (live when it follows a table)."""
    store = WorkspaceStore(args.store)
    token = store.find(str(args.workspace))
    workspace = store.load(token)
    secrets = _secrets(args.secrets)
    url = (
        args.database_url
        or os.environ.get("MARKETLENS_DATABASE_URL")
        or secrets.get("connections", {}).get("sql", {}).get("url")
    )
    import sqlalchemy as sa  # as the other database commands: only when one is used

    engine = sa.create_engine(url) if url else None
    delivery = Delivery.from_mapping(secrets.get("marketlens", {}).get("alerts", {}))
    log = AlertLog(args.log) if args.log else alert_log_for(store.path, token)
    now = pd.Timestamp(args.now) if args.now else None

    def emit(record: dict[str, object]) -> None:
        print(json.dumps(record, ensure_ascii=False, default=str), flush=True)

    return watch(
        table=workspace.table,
        kind=workspace.kind,
        mapping=workspace.mapping,
        steps=workspace.steps,
        analyses=workspace.analyses,
        alert_log=log,
        delivery=delivery if delivery.configured else None,
        engine=engine,
        options=DatabaseOptions.from_mapping(secrets.get("marketlens", {}).get("database", {})),
        clock=(lambda: now) if now is not None else pd.Timestamp.now,
        once=args.once,
        interval=args.interval,
        emit=emit,
        rounds=args.rounds,
    )


def _secrets(path: Path | None) -> dict[str, Any]:
    """The app's secrets.toml (``--secrets``, else .streamlit/secrets.toml here), or nothing."""
    chosen = path or Path(".streamlit") / "secrets.toml"
    if not chosen.exists():
        if path is not None:
            raise AnalyticsError(_("There is no secrets file at {path}.").format(path=path))
        return {}
    with chosen.open("rb") as source:
        return tomllib.load(source)


def _add_watch_command(commands: argparse._SubParsersAction) -> None:
    watch_cmd = commands.add_parser(
        "watch",
        help="check a saved workspace's alert rules on its data (live when it follows a table): "
        "deliver and log the alerts; for cron (--once) or a service",
    )
    watch_cmd.add_argument("workspace", help="the workspace's token or name")
    watch_cmd.add_argument("--store", type=Path, help=f"workspace store (default ${STORE_ENV})")
    watch_cmd.add_argument("--once", action="store_true", help="check once and exit (cron)")
    watch_cmd.add_argument("--rounds", type=int, help="stop after this many checks")
    watch_cmd.add_argument(
        "--interval", type=float, help="seconds between checks (default: the live source's, or 300)"
    )
    watch_cmd.add_argument("--now", help="check as of this moment (ISO), not the clock")
    watch_cmd.add_argument("--log", type=Path, help="the alert log (default: beside the store)")
    watch_cmd.add_argument("--database-url", help="the live source's database (SQLAlchemy URL)")
    watch_cmd.add_argument(
        "--secrets", type=Path, help="secrets.toml with [marketlens.alerts] delivery settings"
    )
    watch_cmd.set_defaults(run=_watch)


#: The number and date format each language's output starts with (``--locale`` overrides it).
_LOCALES = {"en": "en_US", "zh_CN": "zh_CN"}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m analytics", description="MarketLens analytics from the command line."
    )
    parser.add_argument(
        "--lang",
        choices=list(LANGUAGES),
        default=language_for(os.environ.get("LC_ALL") or os.environ.get("LANG")),
        help="language of messages and reports (default: from $LANG; zh_CN for 简体中文)",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_reading_commands(commands)
    _add_large_command(commands)
    _add_analyses_commands(commands)
    _add_forecasting_commands(commands)
    _add_sharing_commands(commands)
    _add_watch_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with language(args.lang):
        try:
            return int(args.run(args))
        except AnalyticsError as exc:
            print(_("error: {message}").format(message=exc), file=sys.stderr)
            return 2


if __name__ == "__main__":
    raise SystemExit(main())
