"""What the TCN benchmark writes: the race plot, the notes and the
Markdown report (speed, goals, race)."""

from bench import common
from bench.tcn_race import TARGET_MSE

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


def plot_race(race_rows, path):
    """MSE vs training time, one line per model; skipped without
    matplotlib."""
    fig = common.new_figure(figsize=(7, 4))
    if fig is None:
        return None
    ax = fig.subplots()
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
    return path


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
    """The Markdown below the title and machine line: speed table, goals,
    keras-tcn's save check, the race and its plot."""
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


def write_markdown(path, meta, markdown):
    """Replaces the timing-only Markdown that `common.write_results` wrote
    with the whole report."""
    path.write_text(
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
