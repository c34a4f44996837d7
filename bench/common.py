"""Helpers shared by every benchmark: timing, machine info, result files.

Timings on a shared CPU drift with whatever else runs, so compare two
implementations with `time_interleaved` (both measured in the same run,
alternating), never against numbers from an earlier run. Each callable must
block until its work is done: `predict_on_batch` and `train_on_batch` return
NumPy values, which forces JAX's asynchronous dispatch to finish.
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

import numpy as np

from training import machine
from training import markdown
from training.machine import package_version  # noqa: F401 - bench's API

BENCH_DIR = pathlib.Path(__file__).resolve().parent
RESULTS_ENV = "ZOO_BENCH_RESULTS_DIR"


def resolve_results_dir(path=None):
    """Where results go: `path`, else `$ZOO_BENCH_RESULTS_DIR`, else
    `bench/results/`. Tests pass a temporary folder so that they never
    overwrite the committed results."""
    if path is None:
        path = os.environ.get(RESULTS_ENV) or BENCH_DIR / "results"
    path = pathlib.Path(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def summarize(samples_ms):
    """Median, spread and count of a list of timings in milliseconds."""
    samples = np.asarray(samples_ms, dtype="float64")
    return {
        "median_ms": float(np.median(samples)),
        "p10_ms": float(np.percentile(samples, 10)),
        "p90_ms": float(np.percentile(samples, 90)),
        "min_ms": float(samples.min()),
        "mean_ms": float(samples.mean()),
        "repeats": int(samples.size),
    }


def _time_once(fn, number):
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) * 1000.0 / number


def time_fn(fn, repeats=7, warmup=2, number=1):
    """Times `fn()` and returns `summarize` of `repeats` samples.

    Args:
        fn: callable with no arguments that blocks until its work is done.
        repeats: int. Number of samples. Defaults to 7.
        warmup: int. Untimed calls first (compilation, caches). Defaults
            to 2.
        number: int. Calls averaged into each sample. Defaults to 1.

    Returns:
        A dict with `median_ms`, `p10_ms`, `p90_ms`, `min_ms`, `mean_ms`
        and `repeats`.
    """
    for _ in range(warmup):
        fn()
    return summarize([_time_once(fn, number) for _ in range(repeats)])


def time_interleaved(fns, repeats=7, warmup=2, number=1, progress_desc=None):
    """Times several callables side by side, alternating their order.

    Repeat `r` runs them in order when `r` is even and in reverse order when
    it is odd (A B, B A, ...), so slow drift in machine load hits all of
    them equally.

    Args:
        fns: dict mapping a name to a callable (see `time_fn`).
        repeats: int. Samples per callable. Defaults to 7.
        warmup: int. Untimed calls of each callable first. Defaults to 2.
        number: int. Calls averaged into each sample. Defaults to 1.
        progress_desc: str or None. When given, the repeats run under a
            `progress` bar with this description.

    Returns:
        A dict mapping each name to `summarize` of its samples, plus a
        `samples_ms` list, in repeat order, for paired comparisons.
    """
    names = list(fns)
    for _ in range(warmup):
        for name in names:
            fns[name]()
    samples = {name: [] for name in names}
    rounds = range(repeats)
    if progress_desc is not None:
        rounds = progress(rounds, progress_desc)
    for r in rounds:
        for name in names if r % 2 == 0 else names[::-1]:
            samples[name].append(_time_once(fns[name], number))
    return {
        name: {**summarize(values), "samples_ms": values}
        for name, values in samples.items()
    }


def paired_ratio(numerator, denominator):
    """Median of per-repeat ratios of two `time_interleaved` results.

    Samples taken next to each other share the machine's state at that
    moment, so their ratio is steadier than the ratio of two medians.
    """
    pairs = zip(numerator["samples_ms"], denominator["samples_ms"])
    return float(statistics.median(a / b for a, b in pairs))


def git_revision():
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=BENCH_DIR,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None


def machine_info():
    """Machine, software versions and load, to store next to timings:
    `training.machine.machine_summary()` plus the `git_revision`."""
    return {**machine.machine_summary(), "git_revision": git_revision()}


# One line for Markdown reports: "Machine: <CPU>, <N> cores, load ...".
machine_line = machine.summary_line


def _cell(value):
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, float):
        if value != 0 and abs(value) < 1e-3:
            return f"{value:.1e}"
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    if value is None:
        return "—"
    return str(value)


def markdown_table(rows, columns=None):
    """A Markdown table of `rows` (dicts), columns in first-seen order,
    cells in the benchmarks' format (3 significant decimals, yes/**no**,
    "—" for a missing value)."""
    return markdown.markdown_table(columns, rows, fmt=_cell)


def write_results(name, rows, meta, results_dir=None, columns=None):
    """Writes `<name>.json` (rows + meta) and `<name>.md` (a table).

    Args:
        name: str. File stem, e.g. `"layers_tensorflow"`.
        rows: list of dicts, one per table row; values must be JSON-able.
        meta: dict, usually `machine_info()` plus the run's settings. A
            `"title"` and a `"notes"` entry, if present, head the Markdown.
        results_dir: folder; see `resolve_results_dir`.
        columns: optional list of the row keys shown in the Markdown table
            (the JSON keeps every key).

    Returns:
        A dict with the `json` and `md` paths.
    """
    folder = resolve_results_dir(results_dir)
    json_path = folder / f"{name}.json"
    md_path = folder / f"{name}.md"
    with open(json_path, "w") as f:
        json.dump({"name": name, "meta": meta, "rows": rows}, f, indent=2)
        f.write("\n")
    parts = [f"# {meta.get('title', name)}", machine_line(meta)]
    if meta.get("notes"):
        parts.append(meta["notes"])
    parts.append(markdown_table(rows, columns))
    md_path.write_text("\n\n".join(parts) + "\n")
    return {"json": json_path, "md": md_path}


def run_result(name, rows, meta, paths, columns=None):
    """What a benchmark's `run()` returns once its files are written.

    Args:
        name: str. The result files' stem.
        rows: list of dicts, the table's rows.
        meta: dict, as given to `write_results`.
        paths: dict of the written files (`write_results` plus plots).
        columns: optional list of the row keys shown in the table.

    Returns:
        A dict with `name`, `rows`, `meta`, `markdown` (the table) and
        `paths` (the written files, as strings).
    """
    return {
        "name": name,
        "rows": rows,
        "meta": meta,
        "markdown": markdown_table(rows, columns),
        "paths": {key: str(path) for key, path in paths.items()},
    }


def new_figure(**kwargs):
    """A matplotlib `Figure(**kwargs)`, or None without matplotlib.

    Drawn without pyplot, so a plot never selects (or changes) the
    process's matplotlib backend, and needs no display.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None
    return Figure(**kwargs)


def progress(items, desc=None, enabled=True):
    """A tqdm progress bar over `items` on stderr (plain iteration when tqdm
    is missing or `enabled` is False)."""
    if not enabled:
        return items
    try:
        from tqdm import tqdm
    except ImportError:
        return items
    return tqdm(items, desc=desc, file=sys.stderr, leave=False)


def benchmark_parser(
    doc,
    quick="tiny sizes, 2 repeats",
    no_progress="hide the progress bar",
    **kwargs,
):
    """An argument parser with the flags every benchmark CLI shares.

    Adds `--quick` (unless `quick` is None), `--results-dir` and
    `--no-progress` (unless `no_progress` is None); a benchmark adds its
    own flags to the parser it gets back.

    Args:
        doc: str. The module's docstring; its first line describes the
            command.
        quick: str. Help of `--quick`, or None for a benchmark without a
            quick mode.
        no_progress: str. Help of `--no-progress`, or None for a benchmark
            without a progress bar.
        **kwargs: passed to `argparse.ArgumentParser` (e.g. `prog`).

    Returns:
        An `argparse.ArgumentParser`; see `run_kwargs` for its values.
    """
    kwargs.setdefault("description", doc.strip().splitlines()[0])
    parser = argparse.ArgumentParser(**kwargs)
    if quick is not None:
        parser.add_argument("--quick", action="store_true", help=quick)
    parser.add_argument(
        "--results-dir",
        default=None,
        help=f"output folder (default: ${RESULTS_ENV} or bench/results)",
    )
    if no_progress is not None:
        parser.add_argument(
            "--no-progress", action="store_true", help=no_progress
        )
    return parser


def run_kwargs(args):
    """The keyword arguments of a benchmark's `run()` that the shared
    flags of `benchmark_parser` set: `results_dir`, plus `quick` and
    `show_progress` when the parser has those flags."""
    kwargs = {"results_dir": args.results_dir}
    if hasattr(args, "quick"):
        kwargs["quick"] = args.quick
    if hasattr(args, "no_progress"):
        kwargs["show_progress"] = not args.no_progress
    return kwargs


def result_report(result, heading=False, notes=False):
    """The printable Markdown of a benchmark's result dict.

    Args:
        result: dict returned by a benchmark's `run()`: `meta`,
            `markdown` and `paths`, each optional.
        heading: bool. Start with the title as a `##` heading.
        notes: bool. Include `meta["notes"]` before the table.

    Returns:
        The title, the machine line (when `meta` describes the machine),
        the notes, the table and the written paths, a blank line apart.
    """
    meta = result.get("meta") or {}
    parts = []
    if heading and meta.get("title"):
        parts.append(f"## {meta['title']}")
    try:
        parts.append(machine_line(meta))
    except KeyError:
        pass
    if notes and meta.get("notes"):
        parts.append(meta["notes"])
    if result.get("markdown"):
        parts.append(result["markdown"])
    paths = result.get("paths") or {}
    if paths:
        parts.append("Wrote " + ", ".join(str(p) for p in paths.values()))
    return "\n\n".join(parts)


def print_result(result, notes=False):
    """Prints `result_report(result, notes=notes)`: the end of every
    benchmark's `main()`."""
    print(result_report(result, notes=notes))


def run_and_print(name, run, **kwargs):
    """`run(**kwargs)` for a benchmark's `main()`: prints its report and
    returns 0, or prints one "not available" line and returns 1 when the
    benchmark's requirements are missing (`bench.registry.Unavailable`)."""
    from bench.registry import Unavailable

    try:
        result = run(**kwargs)
    except Unavailable as err:
        print(f"{name}: not available: {err}", file=sys.stderr)
        return 1
    print_result(result)
    return 0
