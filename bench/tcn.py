"""Benchmark: zoo TCN vs keras-tcn vs LSTM vs GRU on the adding problem.

The adding problem (Bai et al., 2018): each input is `T` steps of two
channels, a random value in [0, 1] and a marker that is 1 at exactly two
steps (one in each half); the target is the sum of the two marked values.
Predicting the mean gives MSE ~0.167.

Every model has ~70k parameters, as in the paper: TCNs with kernel 8,
dilations 1..128 and 24 channels; two stacked LSTM(77); two stacked GRU
sized to match. Three measurements, all in one run:

- train step: `model.train_on_batch(x, y)` (Adam, MSE), batch 32,
- inference: `model.predict_on_batch(x)`, batch 32,
  both timed side by side, interleaved (A B C ..., ... C B A), medians of
  several repeats after warm-up;
- convergence race: every model trains on the same stream of fresh
  batches, taking turns of a few seconds each (round robin, so load drift
  hits all of them), until its test MSE < 0.01 or its time budget runs
  out. Only training time counts on a model's clock (not the evaluations,
  not the first, compiling step).

The zoo `TCN` with `return_sequences=False` computes each block only at
the steps that reach the last output (same function, same weights and
gradients, ~7x fewer FLOPs); the row "zoo TCN, all steps" reads the last
step of `return_sequences=True` instead, which does the full work as
keras-tcn does. Run it with `python -m bench.tcn [--quick]`; results go to
`bench/results/tcn_<backend>.{json,md,png}`. The models are in
`bench.tcn_models`, the timings in `bench.tcn_speed`, the race in
`bench.tcn_race` and the report in `bench.tcn_report`.
"""

import logging
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from bench import common  # noqa: E402
from bench.tcn_models import RECIPE  # noqa: E402
from bench.tcn_models import keras_tcn_save_check  # noqa: E402
from bench.tcn_race import race  # noqa: E402
from bench.tcn_report import TIMING_COLUMNS  # noqa: E402
from bench.tcn_report import notes  # noqa: E402
from bench.tcn_report import plot_race  # noqa: E402
from bench.tcn_report import report  # noqa: E402
from bench.tcn_report import write_markdown  # noqa: E402
from bench.tcn_speed import measure_speed  # noqa: E402
from bench.tcn_speed import speed_goals  # noqa: E402

FULL = {
    "steps": 600,
    "batch": 32,
    "nb_filters": 24,
    "kernel_size": 8,
    "dilations": (1, 2, 4, 8, 16, 32, 64, 128),
    "lstm_units": 77,
    "gru_units": 87,
    "repeats": 7,
    "warmup": 2,
    "race_budget_s": 300.0,
    "race_turn_s": 10.0,
    "test_size": 1000,
}
QUICK = {
    "steps": 32,
    "batch": 4,
    "nb_filters": 4,
    "kernel_size": 3,
    "dilations": (1, 2, 4, 8),
    "lstm_units": 6,
    "gru_units": 7,
    "repeats": 2,
    "warmup": 1,
    "race_budget_s": 0.5,
    "race_turn_s": 0.25,
    "test_size": 16,
    # Building and compiling dominates a quick run: check a few models.
    "timing_models": (
        ("zoo TCN", "float32"),
        ("zoo TCN", "mixed_bfloat16"),
        ("keras-tcn", "float32"),
    ),
    "race_models": ("zoo TCN", "LSTM x2"),
}


def run(quick=False, results_dir=None, show_progress=True, race_budget_s=None):
    """Runs the timings and the race; writes `tcn_<backend>[_quick].*`.

    Args:
        quick: bool. Tiny sizes and 2 repeats, to check that the benchmark
            works (the smoke test), not to measure anything.
        results_dir: folder for the results; see
            `bench.common.resolve_results_dir`.
        show_progress: bool. Show progress bars.
        race_budget_s: float. Training-time budget of each model in the
            race; defaults to 300 s (0.5 s with `quick`).

    Returns:
        A dict with `name`, `rows` (timings), `goals`, `race`, `meta`,
        `markdown` and `paths` (the written files, as strings).
    """
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    sizes = dict(QUICK if quick else FULL)
    if race_budget_s is not None:
        sizes["race_budget_s"] = float(race_budget_s)
    backend = keras.backend.backend()
    name = f"tcn_{backend}" + ("_quick" if quick else "")
    folder = common.resolve_results_dir(results_dir)

    rows = measure_speed(sizes, show_progress)
    goals = speed_goals(rows)
    race_rows = race(sizes, show_progress)
    plot_path = plot_race(race_rows, folder / f"{name}.png")

    meta = {
        "title": f"TCN vs keras-tcn vs LSTM vs GRU, adding problem ({backend})",
        "notes": notes(sizes, backend),
        "quick": quick,
        "sizes": {
            k: list(v) if isinstance(v, tuple) else v for k, v in sizes.items()
        },
        "recipe": RECIPE,
        "keras_tcn": {
            "version": common.package_version("keras-tcn"),
            "save_check": keras_tcn_save_check(sizes),
        },
        "goals": goals,
        "race": race_rows,
        **common.machine_info(),
    }
    paths = common.write_results(
        name, rows, meta, results_dir=folder, columns=TIMING_COLUMNS
    )
    markdown = report(rows, goals, race_rows, meta, plot_path)
    # write_results holds the timing table; the goals and the race follow.
    write_markdown(paths["md"], meta, markdown)
    if plot_path:
        paths["png"] = plot_path
    return {
        "name": name,
        "rows": rows,
        "goals": goals,
        "race": race_rows,
        "meta": meta,
        "markdown": markdown,
        "paths": {key: str(path) for key, path in paths.items()},
    }


def main(argv=None):
    parser = common.benchmark_parser(
        __doc__, no_progress="hide the progress bars"
    )
    parser.add_argument(
        "--race-budget",
        type=float,
        default=None,
        help="training seconds per model in the race (default 300)",
    )
    args = parser.parse_args(argv)
    result = run(**common.run_kwargs(args), race_budget_s=args.race_budget)
    common.print_result(result)


if __name__ == "__main__":
    main()
