"""Model cards: what a trained model is, how it was made and how it scores.

A card is a JSON file for programs (the app, the README table, the tests)
and a Markdown file for people, written side by side from the same dict.
"""

import datetime
import os
import platform
import shlex
import sys

from training import io_utils


def hardware():
    """A one-line description of the machine (CPU model, cores, GPUs)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    cores = (
        len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count()
    )
    gpus = []
    try:
        import tensorflow as tf

        gpus = [d.name for d in tf.config.list_physical_devices("GPU")]
    except ImportError:
        pass
    text = f"{cpu}, {cores} cores"
    if gpus:
        text += f", {len(gpus)} GPU(s)"
    return text


def versions():
    import keras
    import numpy

    found = {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "numpy": numpy.__version__,
    }
    for module in ("tensorflow", "jax"):
        if module in sys.modules:
            found[module] = sys.modules[module].__version__
    return found


def command_line(argv=None):
    """The command as a user would retype it (`zoo-train ...`)."""
    argv = sys.argv if argv is None else argv
    program = os.path.basename(argv[0]) if argv else "python"
    return shlex.join([program, *argv[1:]])


def today():
    return datetime.date.today().isoformat()


def _format_metric(name, value):
    if isinstance(value, float):
        if "accuracy" in name or name in ("precision", "recall", "f1"):
            return f"{100 * value:.2f} %"
        return f"{value:.4g}"
    return str(value)


def to_markdown(card):
    """Renders a card dict as a human-readable Markdown page."""
    lines = [f"# {card['name']}", ""]
    if card.get("description"):
        lines += [card["description"], ""]
    lines += ["| field | value |", "|---|---|"]
    for key in (
        "task",
        "dataset",
        "input_shape",
        "params",
        "flops",
        "train_time_s",
        "epochs_run",
        "hardware",
        "date",
    ):
        if key in card:
            value = card[key]
            if key in ("params", "flops") and isinstance(value, int):
                value = f"{value:,}"
            lines.append(f"| {key} | {value} |")
    lines += ["", "## Test metrics (measured once, on the test split)", ""]
    if card.get("metrics_note"):
        lines += [card["metrics_note"][0].upper() + card["metrics_note"][1:]]
    if card.get("metrics") or not card.get("metrics_note"):
        lines += ["| metric | value |", "|---|---|"]
    for name, value in card.get("metrics", {}).items():
        if isinstance(value, (int, float, str)):
            lines.append(f"| {name} | {_format_metric(name, value)} |")
    if card.get("per_class"):
        lines += ["", "## Per-class precision / recall / F1", ""]
        lines += [
            "| class | precision | recall | F1 | support |",
            "|---|---|---|---|---|",
        ]
        for row in card["per_class"]:
            lines.append(
                f"| {row['class']} | {row['precision']:.3f} | "
                f"{row['recall']:.3f} | {row['f1']:.3f} | {row['support']} |"
            )
    if card.get("robustness"):
        lines += ["", "## Robustness (perturbed test images)", ""]
        lines += ["| perturbation | accuracy |", "|---|---|"]
        for name, value in card["robustness"].items():
            lines.append(f"| {name} | {100 * value:.2f} % |")
    for key, title in (
        ("curves_png", "Training curves"),
        ("confusion_png", "Confusion matrix"),
    ):
        if card.get(key):
            lines += ["", f"## {title}", "", f"![{title}]({card[key]})"]
    if card.get("classes"):
        lines += [
            "",
            "## Classes (output order)",
            "",
            ", ".join(str(c) for c in card["classes"]),
        ]
    if card.get("notes"):
        lines += ["", "## Notes", ""]
        lines += [f"- {note}" for note in card["notes"]]
    lines += [
        "",
        "## Reproduce",
        "",
        "```bash",
        card.get("train_command", ""),
        "```",
        "",
        "## Versions",
        "",
    ]
    for name, value in card.get("versions", {}).items():
        lines.append(f"- {name} {value}")
    if card.get("data_fingerprint"):
        lines += ["", f"Data fingerprint: `{card['data_fingerprint']}`"]
    return "\n".join(lines) + "\n"


def write_card(card, out_dir, name):
    """Writes `<name>.json` and `<name>.md` atomically."""
    io_utils.write_json(out_dir / f"{name}.json", card)
    io_utils.write_text(out_dir / f"{name}.md", to_markdown(card))
