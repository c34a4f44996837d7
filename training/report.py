"""
Title: regenerate the README's model tables
Description: Writes two generated sections of README.md: the registered
    models (params, FLOPs, receptive field, from `zoo.arithmetic`) and the
    shipped models' measured results (from the model cards in
    saved_models/, plus a CPU latency measured while generating). Nothing
    in those tables is typed by hand.

Usage:

    python -m training.report            # rewrite README.md in place
"""

import json
import pathlib
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODELS_MARKERS = ("<!-- models:start -->", "<!-- models:end -->")
RESULTS_MARKERS = ("<!-- results:start -->", "<!-- results:end -->")

# The goals set for the shipped models, shown next to what was measured.
TARGETS = {
    "mnist_cnn": ("test_accuracy", ">=", 0.993),
    "fashion_cnn": ("test_accuracy", ">=", 0.935),
    "fashion_mobilenet_v1": ("test_accuracy", ">=", 0.945),
    "fashion_mobilenet_v2": ("test_accuracy", ">=", 0.945),
    "fashion_cnn_wide": ("test_accuracy", ">=", 0.955),
    "seqmnist_tcn": ("test_accuracy", ">=", 0.98),
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


def models_table():
    import zoo
    from zoo import arithmetic

    lines = [
        "| model | input | outputs | params | FLOPs / example | "
        "receptive field | description |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in zoo.list_models():
        info = zoo.model_info(name)
        model = zoo.create_model(name)
        rows = arithmetic.layer_table(model)
        flops = sum(row["flops"] or 0 for row in rows)
        rf = _max_receptive_field(rows)
        outputs = info.get("num_classes") or info.get("num_outputs")
        shape = "×".join(str(d) for d in model.input_shape[1:])
        lines.append(
            f"| `{name}` | {shape} | {outputs} | {model.count_params():,} | "
            f"{flops / 1e6:,.1f} M | {rf if rf is not None else '—'} | "
            f"{info.get('description', '')} |"
        )
    return "\n".join(lines)


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
    from training import cards
    from zoo.saving import load_model

    card_paths = sorted(pathlib.Path(models_dir).glob("*.json"))
    if not card_paths:
        return "No trained models are shipped yet."
    lines = [
        "| model | data | test metric | target | params | FLOPs | size | "
        "CPU latency (1 image) | train time |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
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
        lines.append(
            f"| [`{card['name']}`](saved_models/{card['name']}.md) | "
            f"{card.get('dataset', '')} | {metric}: {_format(metric, value)} | "
            f"{goal} | {card.get('params', 0):,} | "
            f"{card.get('flops', 0) / 1e6:,.1f} M | "
            f"{model_file.stat().st_size / 1e6:.2f} MB | {latency:.1f} ms | "
            f"{minutes:.0f} min |"
        )
    best = best_model_lines(shipped)
    if best:
        lines += ["", *best]
    lines += [
        "",
        f"Latency: median of 30 `predict_on_batch` calls on one image, "
        f"measured by `python -m training.report` on {cards.hardware()}. "
        "Each model card holds the exact training command.",
    ]
    return "\n".join(lines)


def replace_section(text, markers, body):
    start, end = markers
    if start not in text or end not in text:
        raise ValueError(f"README.md lacks the markers {start} ... {end}")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}\n{end}{tail}"


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(prog="python -m training.report")
    parser.add_argument("--readme", default=str(ROOT / "README.md"))
    parser.add_argument("--models-dir", default=str(ROOT / "saved_models"))
    args = parser.parse_args(argv)
    readme = pathlib.Path(args.readme)
    text = readme.read_text(encoding="utf-8")
    new = replace_section(text, MODELS_MARKERS, models_table())
    new = replace_section(new, RESULTS_MARKERS, results_table(args.models_dir))
    readme.write_text(new, encoding="utf-8")
    print(f"updated {readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
