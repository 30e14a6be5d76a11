"""Run benchmarks, write JSON to bench/results/ and print a table.

python -m bench.run            # every benchmark
python -m bench.run load       # one of them
python -m bench.run --quick    # fewer repeats
"""

from __future__ import annotations

import argparse
import importlib

from bench.common import print_table

BENCHMARKS = (
    "load",
    "segments",
    "baskets",
    "forecast",
    "propensity",
    "lifetime",
    "campaigns",
    "mix",
    "monitor",
    "pages",
    "large",
)


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "names", nargs="*", choices=[*BENCHMARKS, []], help="benchmarks to run (default: all)"
    )
    parser.add_argument("--quick", action="store_true", help="fewer repeats, for a smoke run")
    args = parser.parse_args()
    for name in args.names or BENCHMARKS:
        module = importlib.import_module(f"bench.{name}")
        print_table(module.run(quick=args.quick).finish())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
