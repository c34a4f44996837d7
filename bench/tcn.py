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
`bench/results/tcn_<backend>.{json,md,png}`.
"""

import contextlib
import logging
import os
import pathlib
import tempfile
import time
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from bench import common  # noqa: E402
from zoo.layers import TCN  # noqa: E402
from zoo.models.presets import TCN_INIT  # noqa: E402

TRAIN_GOAL_VS_KERAS_TCN = 1.25
TRAIN_GOAL_VS_LSTM = 5.0
TARGET_MSE = 0.01

# What makes a TCN learn the adding problem: weight normalisation and the
# initialisation Bai et al.'s code ends up with (PyTorch's default conv
# init; see `zoo.models.presets.TCN_INIT` for why not N(0, 0.01)), Adam
# 2e-3, no clipping.
RECIPE = {
    "kernel_initializer": TCN_INIT,
    "use_weight_norm": True,
    "learning_rate": 2e-3,
    "clipnorm": None,
}

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

TIMING_COLUMNS = [
    "model",
    "precision",
    "params",
    "train_ms",
    "infer_ms",
    "train_vs_zoo",
    "infer_vs_zoo",
    "error",
]
RACE_COLUMNS = ["model", "params", "result", "best_mse", "train_steps"]


def adding_problem(batch, steps, rng):
    """`batch` adding-problem sequences `(batch, steps, 2)` and sums."""
    x = np.zeros((batch, steps, 2), dtype="float32")
    x[:, :, 0] = rng.uniform(0.0, 1.0, (batch, steps))
    rows = np.arange(batch)
    first = rng.integers(0, steps // 2, batch)
    second = rng.integers(steps // 2, steps, batch)
    x[rows, first, 1] = 1.0
    x[rows, second, 1] = 1.0
    y = x[rows, first, 0] + x[rows, second, 0]
    return x, y[:, None].astype("float32")


@contextlib.contextmanager
def dtype_policy(name):
    """Sets the global dtype policy while models are built, so third-party
    layers that create sublayers without a `dtype` follow it too."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def regression_head(inputs, features):
    # A float32 output keeps the MSE loss in float32 under mixed precision.
    outputs = layers.Dense(1, dtype="float32", name="sum")(features)
    return keras.Model(inputs, outputs)


def zoo_tcn(sizes, all_steps=False, recipe=None):
    recipe = recipe or {}
    inputs = keras.Input((sizes["steps"], 2))
    tcn = TCN(
        nb_filters=sizes["nb_filters"],
        kernel_size=sizes["kernel_size"],
        dilations=sizes["dilations"],
        return_sequences=all_steps,
        kernel_initializer=recipe.get("kernel_initializer", "he_normal"),
        use_weight_norm=recipe.get("use_weight_norm", False),
    )
    features = tcn(inputs)
    if all_steps:
        features = features[:, -1, :]
    return regression_head(inputs, features)


def keras_tcn(sizes, recipe=None):
    import tcn as keras_tcn_package

    recipe = recipe or {}
    inputs = keras.Input((sizes["steps"], 2))
    features = keras_tcn_package.TCN(
        nb_filters=sizes["nb_filters"],
        kernel_size=sizes["kernel_size"],
        dilations=list(sizes["dilations"]),
        kernel_initializer=keras.initializers.get(
            recipe.get("kernel_initializer", "he_normal")
        ),
    )(inputs)
    return regression_head(inputs, features)


def stacked_rnn(sizes, cell):
    units = sizes[f"{cell.__name__.lower()}_units"]
    inputs = keras.Input((sizes["steps"], 2))
    x = cell(units, return_sequences=True)(inputs)
    return regression_head(inputs, cell(units)(x))


def timing_candidates(sizes):
    """(model, precision, builder) triples; the first is the reference."""
    candidates = [
        ("zoo TCN", "float32", lambda: zoo_tcn(sizes)),
        ("zoo TCN", "mixed_bfloat16", lambda: zoo_tcn(sizes)),
        ("zoo TCN, all steps", "float32", lambda: zoo_tcn(sizes, True)),
        ("keras-tcn", "float32", lambda: keras_tcn(sizes)),
        ("keras-tcn", "mixed_bfloat16", lambda: keras_tcn(sizes)),
        ("LSTM x2", "float32", lambda: stacked_rnn(sizes, layers.LSTM)),
        ("GRU x2", "float32", lambda: stacked_rnn(sizes, layers.GRU)),
    ]
    chosen = sizes.get("timing_models")
    if chosen is None:
        return candidates
    return [c for c in candidates if (c[0], c[1]) in chosen]


def build(builder, precision, learning_rate=2e-3, clipnorm=None):
    """Builds and compiles a model, or returns the exact error text."""
    try:
        with dtype_policy(precision):
            model = builder()
        optimizer = keras.optimizers.Adam(learning_rate, clipnorm=clipnorm)
        model.compile(optimizer=optimizer, loss="mse")
        return model, None
    except Exception:  # noqa: BLE001 - a failing package is a result
        return None, traceback.format_exc(limit=2).strip().splitlines()[-1]


def keras_tcn_save_check(sizes):
    """Whether a keras-tcn model survives a `.keras` save and reload."""
    model, error = build(lambda: keras_tcn(sizes), "float32")
    if error:
        return error
    x, _ = adding_problem(2, sizes["steps"], np.random.default_rng(0))
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = pathlib.Path(folder) / "keras_tcn.keras"
            model.save(path)
            loaded = keras.saving.load_model(path)
            diff = np.abs(loaded.predict_on_batch(x) - model(x)).max()
        return f"ok (.keras save/load, max |diff| {float(diff):.1e})"
    except Exception:  # noqa: BLE001
        return traceback.format_exc(limit=2).strip().splitlines()[-1]


def measure_speed(sizes, show_progress=True):
    rng = np.random.default_rng(0)
    x, y = adding_problem(sizes["batch"], sizes["steps"], rng)
    rows, fns = [], {}
    candidates = timing_candidates(sizes)
    for name, precision, builder in common.progress(
        candidates, "build", enabled=show_progress
    ):
        model, error = build(builder, precision)
        key = f"{name} [{precision}]"
        rows.append(
            {
                "model": name,
                "precision": precision,
                "params": model.count_params() if model else None,
                "error": error,
                "key": key,
            }
        )
        if model is None:
            continue
        try:
            model.train_on_batch(x, y)
            model.predict_on_batch(x)
        except Exception:  # noqa: BLE001
            rows[-1]["error"] = traceback.format_exc(limit=2).splitlines()[-1]
            continue
        fns[f"train {key}"] = lambda m=model: m.train_on_batch(x, y)
        fns[f"infer {key}"] = lambda m=model: m.predict_on_batch(x)
    timings = time_with_progress(fns, sizes, show_progress)
    reference = rows[0]["key"]
    for row in rows:
        key = row.pop("key")
        for mode in ("train", "infer"):
            result = timings.get(f"{mode} {key}")
            if result is None:
                continue
            row[f"{mode}_ms"] = result["median_ms"]
            row[f"{mode}_p10_ms"] = result["p10_ms"]
            row[f"{mode}_p90_ms"] = result["p90_ms"]
            row[f"{mode}_samples_ms"] = result["samples_ms"]
            base = timings.get(f"{mode} {reference}")
            if base is not None:
                # This row's time over the zoo TCN's (float32), per repeat.
                row[f"{mode}_vs_zoo"] = common.paired_ratio(result, base)
    return rows


def time_with_progress(fns, sizes, show_progress):
    """`common.time_interleaved` one repeat at a time, under a progress
    bar; odd repeats run in reverse order, as `time_interleaved` does."""
    common.time_interleaved(fns, repeats=1, warmup=sizes["warmup"] - 1)
    samples = {name: [] for name in fns}
    repeats = range(sizes["repeats"])
    for r in common.progress(repeats, "timing", enabled=show_progress):
        order = list(fns) if r % 2 == 0 else list(fns)[::-1]
        timed = common.time_interleaved(
            {name: fns[name] for name in order}, repeats=1, warmup=0
        )
        for name, result in timed.items():
            samples[name].extend(result["samples_ms"])
    return {
        name: {**common.summarize(values), "samples_ms": values}
        for name, values in samples.items()
    }


def race_candidates(sizes):
    candidates = [
        ("zoo TCN", lambda: zoo_tcn(sizes, recipe=RECIPE)),
        ("keras-tcn", lambda: keras_tcn(sizes, recipe=RECIPE)),
        ("LSTM x2", lambda: stacked_rnn(sizes, layers.LSTM)),
        ("GRU x2", lambda: stacked_rnn(sizes, layers.GRU)),
    ]
    chosen = sizes.get("race_models")
    if chosen is None:
        return candidates
    return [c for c in candidates if c[0] in chosen]


def evaluate_mse(model, test_x, test_y):
    batch = min(250, len(test_x))
    prediction = model.predict(test_x, batch_size=batch, verbose=0)
    return float(np.mean((prediction - test_y) ** 2))


def train_turn(racer, sizes, seconds):
    """Trains `racer` for about `seconds` of its own clock."""
    spent = 0.0
    while spent < seconds and racer["clock_s"] + spent < sizes["race_budget_s"]:
        x, y = adding_problem(sizes["batch"], sizes["steps"], racer["rng"])
        start = time.perf_counter()
        racer["model"].train_on_batch(x, y)
        spent += time.perf_counter() - start
        racer["train_steps"] += 1
    racer["clock_s"] += spent


def race(sizes, show_progress=True):
    """Round-robin training until test MSE < TARGET_MSE or the budget."""
    test_x, test_y = adding_problem(
        sizes["test_size"], sizes["steps"], np.random.default_rng(1)
    )
    racers = []
    for name, builder in race_candidates(sizes):
        keras.utils.set_random_seed(0)
        model, error = build(
            builder, "float32", RECIPE["learning_rate"], RECIPE["clipnorm"]
        )
        racer = {
            "name": name,
            "model": model,
            "params": model.count_params() if model else None,
            "error": error,
            # Every model sees the same stream of training batches.
            "rng": np.random.default_rng(0),
            "clock_s": 0.0,
            "train_steps": 0,
            "history": [],
            "done": model is None,
        }
        if model is not None:
            # The first step compiles; it trains but is not timed.
            x, y = adding_problem(sizes["batch"], sizes["steps"], racer["rng"])
            model.train_on_batch(x, y)
            racer["train_steps"] = 1
            racer["history"].append([0.0, evaluate_mse(model, test_x, test_y)])
        racers.append(racer)

    turns = int(np.ceil(sizes["race_budget_s"] / sizes["race_turn_s"]))
    for turn in common.progress(range(turns), "race", enabled=show_progress):
        running = [r for r in racers if not r["done"]]
        if not running:
            break
        for racer in running if turn % 2 == 0 else running[::-1]:
            train_turn(racer, sizes, sizes["race_turn_s"])
            mse = evaluate_mse(racer["model"], test_x, test_y)
            racer["history"].append([racer["clock_s"], mse])
            racer["done"] = (
                mse < TARGET_MSE or racer["clock_s"] >= sizes["race_budget_s"]
            )
    return [race_row(racer, sizes) for racer in racers]


def race_row(racer, sizes):
    history = racer["history"]
    reached = next((t for t, mse in history if mse < TARGET_MSE), None)
    best = min((mse for _, mse in history), default=None)
    if racer["error"]:
        result = f"failed: {racer['error']}"
    elif reached is not None:
        result = f"MSE < {TARGET_MSE} after {reached:.3g} s of training"
    else:
        result = (
            f"not reached in {racer['clock_s']:.3g} s "
            f"(budget {sizes['race_budget_s']:g} s)"
        )
    return {
        "model": racer["name"],
        "params": racer["params"],
        "result": result,
        "seconds_to_target": reached,
        "best_mse": best,
        "train_steps": racer["train_steps"],
        "train_seconds": racer["clock_s"],
        "history": history,
    }


def plot_race(race_rows, path):
    """MSE vs training time, one line per model; skipped without
    matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(7, 4))
    for row in race_rows:
        if row["history"]:
            seconds, mse = zip(*row["history"])
            ax.plot(seconds, mse, marker=".", label=row["model"])
    ax.axhline(TARGET_MSE, color="grey", linestyle="--", label="target")
    ax.set_yscale("log")
    ax.set_xlabel("training time (s)")
    ax.set_ylabel("test MSE")
    ax.set_title("Adding problem: test MSE vs training time")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def speed_goals(rows):
    """The issue's goals, each read from one interleaved timing run."""
    by_key = {(row["model"], row["precision"]): row for row in rows}

    def ratio(slow, fast):
        slow_row, fast_row = by_key.get(slow), by_key.get(fast)
        if not slow_row or not fast_row:
            return None
        if "train_samples_ms" not in slow_row:
            return None
        if "train_samples_ms" not in fast_row:
            return None
        return common.paired_ratio(
            {"samples_ms": slow_row["train_samples_ms"]},
            {"samples_ms": fast_row["train_samples_ms"]},
        )

    fp32, bf16 = "float32", "mixed_bfloat16"
    checks = [
        (
            "train step: zoo TCN vs keras-tcn, both float32",
            ("keras-tcn", fp32),
            ("zoo TCN", fp32),
            TRAIN_GOAL_VS_KERAS_TCN,
        ),
        (
            "train step: zoo TCN vs keras-tcn, both mixed_bfloat16",
            ("keras-tcn", bf16),
            ("zoo TCN", bf16),
            TRAIN_GOAL_VS_KERAS_TCN,
        ),
        (
            "train step: zoo TCN computing all steps vs keras-tcn, float32 "
            "(same work)",
            ("keras-tcn", fp32),
            ("zoo TCN, all steps", fp32),
            TRAIN_GOAL_VS_KERAS_TCN,
        ),
        (
            "train step: zoo TCN vs LSTM x2, both float32",
            ("LSTM x2", fp32),
            ("zoo TCN", fp32),
            TRAIN_GOAL_VS_LSTM,
        ),
    ]
    goals = []
    for goal, slow, fast, target in checks:
        value = ratio(slow, fast)
        goals.append(
            {
                "goal": goal,
                "target": f">= {target}x",
                "speedup": value,
                "met": None if value is None else value >= target,
            }
        )
    return goals


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
    paths["md"].write_text(
        "\n\n".join(
            [
                f"# {meta['title']}",
                common.machine_line(meta),
                meta["notes"],
                markdown,
            ]
        )
        + "\n"
    )
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


def notes(sizes, backend):
    return (
        f"Adding problem, T={sizes['steps']}, batch {sizes['batch']}. "
        "Train step = `train_on_batch` (Adam, MSE), inference = "
        "`predict_on_batch`; all models are timed in the same run, "
        "interleaved (order reversed on every other repeat), medians of "
        f"{sizes['repeats']} repeats after {sizes['warmup']} warm-up "
        "calls, in ms. `*_vs_zoo` = median over repeats of (this row's "
        "time / zoo TCN float32's time in the same repeat): > 1 means the "
        "zoo TCN is that many times faster. The machine is shared with "
        "other jobs (2 cores, load often > 2): absolute times drift, the "
        "interleaved ratios much less. 'zoo TCN' returns only the last "
        "step and computes only the steps that reach it; 'zoo TCN, all "
        "steps' does the full work, like keras-tcn. mixed_bfloat16 rows "
        "compute in bfloat16 with float32 weights and a float32 output "
        f"layer. Backend: {backend}."
    )


def report(rows, goals, race_rows, meta, plot_path):
    race_table = [{key: row[key] for key in RACE_COLUMNS} for row in race_rows]
    recipe = meta["recipe"]
    parts = [
        "## Speed",
        common.markdown_table(rows, TIMING_COLUMNS),
        "## Goals (train step, one interleaved run)",
        common.markdown_table(goals),
        f"keras-tcn {meta['keras_tcn']['version']}: "
        f"{meta['keras_tcn']['save_check']}",
        "## Convergence race (time to test MSE < "
        f"{TARGET_MSE}, float32, round robin)",
        "All models: Adam(learning_rate="
        f"{recipe['learning_rate']}, clipnorm={recipe['clipnorm']}), "
        "the same stream of fresh training batches, "
        f"{meta['sizes']['test_size']} test sequences; turns of "
        f"{meta['sizes']['race_turn_s']} s of training each, budget "
        f"{meta['sizes']['race_budget_s']:g} s per model. TCNs: "
        "kernels initialised like PyTorch's default conv init "
        "(VarianceScaling(1/3, fan_in, uniform), what Bai et al.'s code "
        "trains with); the zoo TCN also uses weight normalisation "
        "(keras-tcn 3.5 has none). Recurrent models use "
        "keras' default initialisers.",
        common.markdown_table(race_table, RACE_COLUMNS),
    ]
    if plot_path:
        parts.append(f"![test MSE vs training time]({plot_path.name})")
    return "\n\n".join(parts)


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
