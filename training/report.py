"""
Title: regenerate the README's model tables
Description: Writes two generated sections of README.md: the registered
    models (params, FLOPs, receptive field, from `zoo.arithmetic`) and the
    shipped models' measured results (from the model cards in
    saved_models/, plus a CPU latency measured while generating). Nothing
    in those tables is typed by hand.

Usage:

    python -m training.report            # rewrite ./README.md in place
    python -m training.report --readme README.md --models-dir saved_models

The models come from `zoo.registry.default_models_dir()` (`$ZOO_MODELS_DIR`
or the shipped folder) unless `--models-dir` names another.
"""

import json
import pathlib
import sys
import time

import numpy as np

from training import machine
from training.markdown import markdown_table
from training.markdown import replace_section

# The goals set for the shipped models, shown next to what was measured.
TARGETS = {
    "mnist_cnn": ("test_accuracy", ">=", 0.994),
    "fashion_cnn": ("test_accuracy", ">=", 0.935),
    "fashion_mobilenet_v1": ("test_accuracy", ">=", 0.945),
    "fashion_mobilenet_v2": ("test_accuracy", ">=", 0.945),
    "fashion_cnn_wide": ("test_accuracy", ">=", 0.955),
    # `python -m training.ensemble`: the best Fashion-MNIST model's goal.
    "fashion_ensemble": ("test_accuracy", ">=", 0.955),
    "seqmnist_tcn": ("test_accuracy", ">=", 0.99),
    # Trained to answer after every row too (zoo-train --anytime 28).
    "seqmnist_anytime_tcn": ("test_accuracy", ">=", 0.985),
    "mnist1d_tcn": ("test_accuracy", ">=", 0.96),
    "adding_tcn": ("test_mse", "<=", 1e-4),
}

# Goals for the best model of a data set, whichever it is.
BEST_TARGETS = {"fashion_mnist": ("test_accuracy", ">=", 0.955)}


def _goal(metric, value, target):
    """`">= 93.50 % ✅"` for a `(metric, op, bound)` target, or None."""
    if not target or metric != target[0] or value is None:
        return None
    _, op, bound = target
    met = value >= bound if op == ">=" else value <= bound
    return f"{op} {_format(metric, bound)} " + ("✅" if met else "❌ not yet")


def best_model_lines(cards_by_name):
    """One sentence per `BEST_TARGETS` data set: its best shipped model."""
    lines = []
    for dataset, target in BEST_TARGETS.items():
        scored = [
            (value, name)
            for name, card in cards_by_name.items()
            if card.get("dataset") == dataset
            for metric, value in [_metric(card)]
            if metric == target[0]
        ]
        if not scored:
            continue
        value, name = max(scored) if target[1] == ">=" else min(scored)
        lines.append(
            f"Best {dataset} model: `{name}`, {target[0]} "
            f"{_format(target[0], value)} (goal for the best model "
            f"{_goal(target[0], value, target)})."
        )
    return lines


def _max_receptive_field(rows):
    best = None
    for row in rows:
        rf = row["receptive_field"]
        if rf is None:
            continue
        size = rf if isinstance(rf, int) else max(rf)
        best = size if best is None else max(best, size)
    return best


MODELS_HEADER = [
    "model",
    "input",
    "outputs",
    "params",
    "FLOPs / example",
    "receptive field",
    "description",
]
RESULTS_HEADER = [
    "model",
    "data",
    "test metric",
    "target",
    "params",
    "FLOPs",
    "size",
    "CPU latency (1 image)",
    "train time",
]


def models_table():
    import zoo
    from zoo import arithmetic

    rows = []
    for name in zoo.list_models():
        info = zoo.model_info(name)
        model = zoo.create_model(name)
        layers = arithmetic.layer_table(model)
        flops = sum(row["flops"] or 0 for row in layers)
        rf = _max_receptive_field(layers)
        rows.append(
            [
                f"`{name}`",
                "×".join(str(d) for d in model.input_shape[1:]),
                info.get("num_classes") or info.get("num_outputs"),
                f"{model.count_params():,}",
                f"{flops / 1e6:,.1f} M",
                rf if rf is not None else "—",
                info.get("description", ""),
            ]
        )
    return markdown_table(MODELS_HEADER, rows)


def _metric(card):
    metrics = card.get("metrics", {})
    if "test_accuracy" in metrics:
        return "test_accuracy", metrics["test_accuracy"]
    if "test_mse" in metrics:
        return "test_mse", metrics["test_mse"]
    return None, None


def _format(name, value):
    if value is None:
        return "—"
    if name == "test_accuracy":
        return f"{100 * value:.2f} %"
    return f"{value:.3g}"


def _latency_ms(model, repeats=30):
    x = np.zeros((1,) + tuple(model.input_shape[1:]), np.float32)
    for _ in range(3):
        model.predict_on_batch(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict_on_batch(x)
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def results_table(models_dir):
    from zoo.saving import load_model

    card_paths = sorted(pathlib.Path(models_dir).glob("*.json"))
    if not card_paths:
        return "No trained models are shipped yet."
    rows = []
    shipped = {}
    for path in card_paths:
        card = json.loads(path.read_text())
        model_file = path.with_suffix(".keras")
        if not model_file.exists():
            continue
        shipped[card["name"]] = card
        metric, value = _metric(card)
        goal = _goal(metric, value, TARGETS.get(card["name"])) or "baseline"
        latency = _latency_ms(load_model(model_file))
        minutes = card.get("train_time_s", 0) / 60
        rows.append(
            [
                f"[`{card['name']}`](saved_models/{card['name']}.md)",
                card.get("dataset", ""),
                f"{metric}: {_format(metric, value)}",
                goal,
                f"{card.get('params', 0):,}",
                f"{card.get('flops', 0) / 1e6:,.1f} M",
                f"{model_file.stat().st_size / 1e6:.2f} MB",
                f"{latency:.1f} ms",
                f"{minutes:.0f} min",
            ]
        )
    lines = [markdown_table(RESULTS_HEADER, rows)]
    best = best_model_lines(shipped)
    if best:
        lines += ["", *best]
    lines += [
        "",
        f"Latency: median of 30 `predict_on_batch` calls on one image, "
        f"measured by `python -m training.report` on {machine.hardware()}. "
        "Each model card holds the exact training command.",
    ]
    return "\n".join(lines)


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(prog="python -m training.report")
    # The README of the checkout the command runs in, like every other
    # path the tools take; it must hold the sections' markers.
    parser.add_argument("--readme", default="README.md")
    parser.add_argument(
        "--models-dir",
        default=None,
        help="folder of shipped models (default: zoo's models folder)",
    )
    args = parser.parse_args(argv)
    readme = pathlib.Path(args.readme)
    models_dir = args.models_dir
    if models_dir is None:
        from zoo.registry import default_models_dir

        models_dir = default_models_dir()
    text = readme.read_text(encoding="utf-8")
    new = replace_section(text, "models", models_table())
    new = replace_section(new, "results", results_table(models_dir))
    readme.write_text(new, encoding="utf-8")
    print(f"updated {readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
