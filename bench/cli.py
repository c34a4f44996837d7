"""`zoo-bench`: run the benchmark suite and publish its tables.

    zoo-bench                          # every benchmark, full size
    zoo-bench --quick                  # tiny sizes, 2 repeats (CI smoke)
    zoo-bench --only separable,layers  # a selection
    zoo-bench --list                   # what there is
    zoo-bench --update-readme          # README "Performance" from results

Each benchmark (listed in `bench.registry`) is a module with
`run(quick, results_dir=None) -> dict` that writes
`<results-dir>/<name>*.{json,md}` (and PNG plots) and returns `name`,
`rows`, `meta`, `markdown` and `paths`. Modules are imported only when
they run, so a benchmark whose module or dependencies are missing is
reported as not available and the others still run. Timings are
published, never asserted: tests only check that benchmarks run.
"""

import argparse
import importlib
import os
import sys
import time

from bench.registry import BENCHMARKS
from bench.registry import Unavailable
from bench.registry import is_available

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PROG = "zoo-bench"


def parse_only(values):
    """Names from repeated, comma-separated `--only` values, in suite
    order; raises `ValueError` naming an unknown one."""
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        raise ValueError(
            f"unknown benchmark {unknown[0]!r}; choose from: "
            + ", ".join(BENCHMARKS)
        )
    return [n for n in BENCHMARKS if n in names]


def build_parser():
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Run the zoo's benchmarks side by side with their "
        "alternatives and write Markdown/JSON/PNG results.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes and 2 repeats: checks that benchmarks run (CI)",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME[,NAME]",
        help="run only these benchmarks (see --list)",
    )
    parser.add_argument(
        "--results-dir",
        default=None,
        help="output folder (default: $ZOO_BENCH_RESULTS_DIR or bench/results)",
    )
    parser.add_argument(
        "--list", action="store_true", help="list the benchmarks and exit"
    )
    parser.add_argument(
        "--update-readme",
        action="store_true",
        help="rewrite the README's Performance section from the results "
        "(after running the --only benchmarks, if any)",
    )
    return parser


def print_list(out):
    width = max(len(name) for name in BENCHMARKS)
    for benchmark in BENCHMARKS.values():
        state = "" if is_available(benchmark) else "  (not available)"
        print(
            f"{benchmark.name:<{width}}  {benchmark.description}{state}",
            file=out,
        )


def _say(text, bar):
    """Prints without breaking the progress bar."""
    if hasattr(bar, "write"):
        bar.write(text, file=sys.stdout)
    else:
        print(text)


def run_one(benchmark, quick, results_dir):
    """Runs one benchmark; returns `(status, detail, result)`."""
    try:
        module = importlib.import_module(benchmark.module)
    except ModuleNotFoundError as err:
        return "not available", str(err), None
    try:
        result = module.run(quick=quick, results_dir=results_dir)
    except (Unavailable, ModuleNotFoundError) as err:
        return "not available", str(err).splitlines()[0], None
    except Exception as err:  # one broken benchmark must not stop the rest
        return "failed", f"{type(err).__name__}: {err}", None
    return "ok", "", result


def run_selected(names, quick, results_dir):
    """Runs `names` in order, printing each table; returns summary rows."""
    from bench import common

    summary = []
    bar = common.progress(names, PROG)
    for name in bar:
        if hasattr(bar, "set_description"):
            bar.set_description(f"{PROG}: {name}")
        started = time.perf_counter()
        status, detail, result = run_one(BENCHMARKS[name], quick, results_dir)
        seconds = time.perf_counter() - started
        if result is not None:
            _say(common.result_report(result, heading=True) + "\n", bar)
        else:
            _say(f"{name}: {status}: {detail}\n", bar)
        summary.append(
            {
                "benchmark": name,
                "status": status,
                "seconds": round(seconds, 1),
                "detail": detail or None,
            }
        )
    return summary


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list:
        print_list(sys.stdout)
        return 0
    try:
        names = parse_only(args.only)
    except ValueError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    if not names and not args.update_readme:
        names = list(BENCHMARKS)

    code = 0
    if names:
        from bench import common

        summary = run_selected(names, args.quick, args.results_dir)
        print("## zoo-bench summary\n")
        print(common.markdown_table(summary))
        if any(row["status"] == "failed" for row in summary):
            code = 1
    if args.update_readme:
        from bench import update_readme

        try:
            changed = update_readme.update_readme(results_dir=args.results_dir)
        except (OSError, ValueError) as err:
            print(f"{PROG}: error: {err}", file=sys.stderr)
            return 2
        state = "updated" if changed else "already up to date"
        print(f"README Performance section {state}.")
    return code


if __name__ == "__main__":
    sys.exit(main())
