"""The command line's JSON before and after a change: identical but for added fields (issue 16).

Runs the same ``python -m analytics`` commands in two checkouts (this one and an earlier commit's,
made with ``git worktree add``) and compares the JSON each prints: every field the earlier one
printed must be there with the same value; fields it did not print are listed as added. Timings
(``seconds``) are left out of the comparison.

    python -m bench.cli_json --before 9dbe1d3          # checks out that commit in a temp folder
    python -m bench.cli_json --before-dir ../old-checkout
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"

#: Commands on the bundled samples and the reference datasets, each with explicit arguments where
#: a default changed on purpose (the rules defaults became the page's: pass the old ones).
RULES_OLD_DEFAULTS = ("--min-support", "0.01", "--min-confidence", "0.5", "--min-lift", "0")
COMMANDS: tuple[tuple[str, ...], ...] = (
    ("inspect", "data/transactions.csv", "--format", "json"),
    ("inspect", "data/customers.csv", "--kind", "customers", "--format", "json"),
    ("overview", "data/transactions.csv"),
    ("rules", "data/transactions.csv", *RULES_OLD_DEFAULTS),
    ("rules", "data/baskets.csv", *RULES_OLD_DEFAULTS),
    ("rules", "{shared}/groceries.csv", "--min-support", "0.001", *RULES_OLD_DEFAULTS[2:]),
    ("segment", "data/transactions.csv", "--k", "4"),
    # The command line segments on RFM unless told the columns: a customers table needs them
    # (without, both versions print the same refusal, which compares nothing).
    (
        "segment",
        "{shared}/Mall_Customers.csv",
        "--kind",
        "customers",
        "--k",
        "5",
        "--features",
        "Annual Income (k$),Spending Score (1-100)",
    ),
    ("forecast", "data/daily_revenue.csv", "--freq", "W", "--model", "ets"),
    ("forecast", "{shared}/AirPassengers.csv", "--model", "ets", "--holdout", "12"),
    ("propensity", "data/customers.csv", "--target", "Churned", "--model", "logreg"),
    # Added with the typed segment, forecast and propensity parameters (their CLI options).
    (
        "segment",
        "{shared}/Mall_Customers.csv",
        "--kind",
        "customers",
        "--features",
        "Age,Annual Income (k$),Spending Score (1-100)",
        "--algorithm",
        "gmm",
        "--scale",
        "standard",
    ),
    ("segment", "data/transactions.csv", "--algorithm", "dbscan", "--analysis-date", "2026-01-01"),
    (
        "forecast",
        "data/transactions.csv",
        "--metric",
        "orders",
        "--freq",
        "W",
        "--filter",
        "Channel=Web",
        "--season",
        "52",
        "--horizon",
        "8",
        "--origins",
        "2",
    ),
    (
        "propensity",
        "data/transactions.csv",
        "--derive",
        "buy",
        "--days",
        "60",
        "--folds",
        "3",
        "--validation",
        "cv",
        "--threshold",
        "0.3",
    ),
)


def run(checkout: Path, command: tuple[str, ...]) -> dict[str, Any] | str:
    """The command's JSON (its text if it printed no JSON), or its error line when it failed."""
    args = [part.replace("{shared}", str(SHARED)) for part in command]
    done = subprocess.run(
        [sys.executable, "-m", "analytics", *args],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:  # inspect prints text unless asked for JSON
        return done.stdout


def differences(before: Any, after: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, what) for every field of ``before`` that ``after`` lacks or changed, and every
    field ``after`` added."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key, value in before.items():
            where = f"{path}.{key}" if path else str(key)
            if key == "seconds":
                continue
            if key not in after:
                yield where, "missing"
            else:
                yield from differences(value, after[key], where)
        for key in after.keys() - before.keys():
            yield (f"{path}.{key}" if path else str(key)), "added"
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for number, (old, new) in enumerate(zip(before, after, strict=True)):
            yield from differences(old, new, f"{path}[{number}]")
    elif before != after:
        yield path, f"changed: {str(before)[:60]} → {str(after)[:60]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--before", help="a commit to compare with (checked out in a temp folder)")
    which.add_argument("--before-dir", type=Path, help="a checkout of the earlier code")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as temp:
        before_dir = args.before_dir
        if before_dir is None:
            before_dir = Path(temp) / "before"
            subprocess.run(
                ["git", "worktree", "add", "--detach", str(before_dir), args.before],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            (before_dir / "data").mkdir(exist_ok=True)
            for sample in (ROOT / "data").glob("*.csv"):  # the same sample files on both sides
                (before_dir / "data" / sample.name).write_bytes(sample.read_bytes())
        broken = 0
        try:
            for command in COMMANDS:
                old, new = run(before_dir, command), run(ROOT, command)
                found = list(differences(old, new))
                changed = [(p, w) for p, w in found if w != "added"]
                added = [p for p, w in found if w == "added"]
                broken += bool(changed)
                verdict = "same" if not changed else "DIFFERENT"
                print(
                    f"{verdict:9} {' '.join(command)}"
                    + (f"  (added: {', '.join(added)})" if added else "")
                )
                for where, what in changed[:10]:
                    print(f"          {where}: {what}")
        finally:
            if args.before_dir is None:
                subprocess.run(
                    ["git", "worktree", "remove", "--force", str(before_dir)],
                    cwd=ROOT,
                    check=False,
                    capture_output=True,
                )
    print(
        f"{len(COMMANDS) - broken} of {len(COMMANDS)} commands print the same JSON (but for added fields)"
    )
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
