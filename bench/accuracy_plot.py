"""Benchmark: test accuracy against size and cost of the shipped models.

Reads the model cards `saved_models/*.json` written by `zoo-train` /
`training.publish` (fields `name`, `dataset`, `params`, `flops` and
`metrics.test_accuracy` or `metrics.test_mse`) and draws, per data set,
the test metric against the parameter count and against the FLOPs per
example (log x axes), plus one table of every model. Nothing is measured
here and nothing is made up: with no cards, the table says so.

Run it with `python -m bench.accuracy_plot` or
`zoo-bench --only accuracy_plot`; results go to
`bench/results/accuracy.{json,md}` and `accuracy_<dataset>.png`.
"""

import json
import pathlib
import re
import sys

from bench import common

NAME = "accuracy"
METRICS = ("test_accuracy", "test_mse")
TABLE_COLUMNS = [
    "dataset",
    "model",
    "params",
    "flops",
    "test_accuracy",
    "test_mse",
    "epochs",
    "train_time_s",
]


def _count(value):
    return int(value) if isinstance(value, (int, float)) else None


def read_cards(models_dir):
    """Model cards of `models_dir` that have a test metric, as table rows.

    Files that are not cards (unreadable JSON, no `name`, no test
    metric) are skipped.
    """
    rows = []
    for path in sorted(pathlib.Path(models_dir).glob("*.json")):
        try:
            card = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(card, dict) or not card.get("name"):
            continue
        metrics = card.get("metrics") or {}
        if not any(isinstance(metrics.get(m), (int, float)) for m in METRICS):
            continue
        rows.append(
            {
                "dataset": str(card.get("dataset") or "unknown"),
                "model": card["name"],
                "params": _count(card.get("params")),
                "flops": _count(card.get("flops")),
                "test_accuracy": metrics.get("test_accuracy"),
                "test_mse": metrics.get("test_mse"),
                "epochs": card.get("epochs_run"),
                "train_time_s": card.get("train_time_s"),
            }
        )
    rows.sort(key=lambda r: (r["dataset"], r["params"] or 0, r["model"]))
    return rows


def _slug(text):
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower() or "data"


def plot_dataset(rows, dataset, path):
    """Metric vs params and vs FLOPs for one data set; `None` when there
    is nothing to draw or matplotlib is missing."""
    metric = (
        "test_accuracy" if rows[0]["test_accuracy"] is not None else "test_mse"
    )
    axes_keys = [
        key
        for key in ("params", "flops")
        if any(r[key] and r[metric] is not None for r in rows)
    ]
    if not axes_keys:
        return None
    fig = common.new_figure(figsize=(5.2 * len(axes_keys), 4.0))
    if fig is None:
        return None
    from matplotlib.ticker import NullFormatter

    axes = fig.subplots(1, len(axes_keys), squeeze=False)
    for ax, key in zip(axes[0], axes_keys):
        points = [r for r in rows if r[key] and r[metric] is not None]
        scale = 100.0 if metric == "test_accuracy" else 1.0
        xs = [r[key] for r in points]
        ys = [r[metric] * scale for r in points]
        ax.scatter(xs, ys, zorder=3)
        for r, x, y in zip(points, xs, ys):
            ax.annotate(
                r["model"],
                (x, y),
                textcoords="offset points",
                xytext=(4, 4),
                fontsize=7,
            )
        if metric == "test_accuracy":
            # Accuracy cannot pass 100 %: keep the axis from suggesting it.
            pad = max(0.5, 0.1 * (max(ys) - min(ys)))
            ax.set_ylim(min(ys) - pad, min(100.0, max(ys) + pad))
        ax.set_xscale("log")
        # Room for the labels, and only decade ticks labelled.
        ax.set_xlim(min(xs) / 2, max(xs) * 3)
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("parameters" if key == "params" else "FLOPs per example")
        ax.set_ylabel(
            "test accuracy (%)" if metric == "test_accuracy" else "test MSE"
        )
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle(f"{dataset}: {metric} vs size and cost", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def run(quick=False, results_dir=None, models_dir=None):
    """Writes `accuracy.{json,md}` and one PNG per data set.

    Args:
        quick: bool. Accepted for the `zoo-bench` interface; reading cards
            is already quick.
        results_dir: folder for the results; see
            `bench.common.resolve_results_dir`.
        models_dir: folder of model cards. Defaults to the repository's
            `saved_models/` (or `$ZOO_MODELS_DIR`).

    Returns:
        A dict with `name`, `rows`, `meta`, `markdown` and `paths`.
    """
    from zoo import registry

    models_dir = pathlib.Path(models_dir or registry.default_models_dir())
    rows = read_cards(models_dir)
    folder = common.resolve_results_dir(results_dir)
    pngs = {}
    for dataset in sorted({r["dataset"] for r in rows}):
        path = plot_dataset(
            [r for r in rows if r["dataset"] == dataset],
            dataset,
            folder / f"{NAME}_{_slug(dataset)}.png",
        )
        if path is not None:
            pngs[dataset] = path.name
    if rows:
        notes = (
            f"{len(rows)} model card(s) from `saved_models/`: test metrics "
            "measured once on each data set's test split by `zoo-train` "
            "(an ensemble's by `python -m training.ensemble`); "
            "params and FLOPs per example (`zoo.arithmetic`) from the "
            "cards."
        )
    else:
        notes = (
            "No model cards with test metrics in `saved_models/` yet: "
            "train and publish models (`zoo-train`, then "
            "`python -m training.publish`) and run this again. No numbers "
            "are shown until they are measured."
        )
    meta = {
        "title": "Accuracy vs parameters and FLOPs of the shipped models",
        "notes": notes,
        "quick": quick,
        "models_dir": models_dir.name,
        "cards": len(rows),
        "plots": pngs,
        **common.machine_info(),
    }
    paths = common.write_results(
        NAME, rows, meta, results_dir=folder, columns=TABLE_COLUMNS
    )
    for dataset, filename in pngs.items():
        paths[f"png_{_slug(dataset)}"] = folder / filename
    return common.run_result(NAME, rows, meta, paths, TABLE_COLUMNS)


def main(argv=None):
    parser = common.benchmark_parser(__doc__, quick=None, no_progress=None)
    parser.add_argument(
        "--models", default=None, help="folder of model cards (*.json)"
    )
    args = parser.parse_args(argv)
    result = run(**common.run_kwargs(args), models_dir=args.models)
    common.print_result(result, notes=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
