"""Model cards: what a trained model is, how it was made and how it scores.

A card is a JSON file for programs (the app, the README table, the tests)
and a Markdown file for people, written side by side from the same dict.
"""

import datetime
import os
import pathlib
import shlex
import sys

from training import io_utils
from training.markdown import markdown_table


def command_line(argv=None):
    """The command as a user would retype it (`zoo-train ...`)."""
    argv = sys.argv if argv is None else argv
    program = os.path.basename(argv[0]) if argv else "python"
    return shlex.join([program, *argv[1:]])


def today():
    return datetime.date.today().isoformat()


# The card facts shown in the Markdown page's first table, in order.
CARD_FIELDS = (
    "task",
    "dataset",
    "input_shape",
    "params",
    "flops",
    "train_time_s",
    "epochs_run",
    "hardware",
    "date",
)


def per_class_table(per_class):
    """The per-class precision / recall / F1 rows of a report as Markdown."""
    return markdown_table(
        ["class", "precision", "recall", "F1", "support"],
        [
            [
                row["class"],
                f"{row['precision']:.3f}",
                f"{row['recall']:.3f}",
                f"{row['f1']:.3f}",
                row["support"],
            ]
            for row in per_class
        ],
    )


def anytime_table(anytime, input_shape=None):
    """Accuracy after each reading of an anytime model (`zoo-train
    --anytime`) as Markdown: readings, steps read, accuracy."""
    every = anytime["every"]
    accuracies = anytime["accuracy_by_reading"]
    steps = input_shape[0] if input_shape else every * len(accuracies)
    return markdown_table(
        ["reading", "steps read", "accuracy"],
        [
            [
                f"{r} of {len(accuracies)}",
                f"{r * every} of {steps}",
                f"{100 * value:.2f} %",
            ]
            for r, value in enumerate(accuracies, start=1)
        ],
    )


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
    fields = []
    for key in CARD_FIELDS:
        if key in card:
            value = card[key]
            if key in ("params", "flops") and isinstance(value, int):
                value = f"{value:,}"
            fields.append((key, value))
    lines += [markdown_table(["field", "value"], fields)]
    lines += ["", "## Test metrics (measured once, on the test split)", ""]
    if card.get("metrics_note"):
        lines += [card["metrics_note"][0].upper() + card["metrics_note"][1:]]
    if card.get("metrics") or not card.get("metrics_note"):
        metrics = [
            (name, _format_metric(name, value))
            for name, value in card.get("metrics", {}).items()
            if isinstance(value, (int, float, str))
        ]
        lines += [markdown_table(["metric", "value"], metrics)]
    if card.get("per_class"):
        lines += ["", "## Per-class precision / recall / F1", ""]
        lines += [per_class_table(card["per_class"])]
    if card.get("robustness"):
        lines += ["", "## Robustness (perturbed test images)", ""]
        robustness = [
            (name, f"{100 * value:.2f} %")
            for name, value in card["robustness"].items()
        ]
        lines += [markdown_table(["perturbation", "accuracy"], robustness)]
    if card.get("anytime"):
        lines += ["", "## Answers before the end (test split)", ""]
        lines += [anytime_table(card["anytime"], card.get("input_shape"))]
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


def no_test_split_note(spec):
    """What the log and the card say when the data has no test split."""
    return (
        f"no test split in --data {spec}: test metrics skipped (the "
        "validation split chose the best epoch, so its scores would not "
        "be a fair test; see history.csv for them)"
    )


def training_fields(args, argv, info, history, wall_time, name):
    """The card fields that say how `zoo-train` made the model.

    Args:
        args: the parsed `zoo-train` flags.
        argv: list of str, the command's arguments (for `train_command`).
        info: dict, the data bundle's facts.
        history: dict of per-epoch lists (`training.resume.read_history`).
        wall_time: float, seconds the training command took.
        name: str, the artefact name.
    """
    from training.optimizers import learning_rate

    return {
        "model": args.model,
        "dataset": args.data,
        "dataset_description": info.get("description", ""),
        "train_command": command_line(["zoo-train", *argv]),
        "train_time_s": round(sum(history.get("epoch_time_s", [])), 1),
        "wall_time_s": round(wall_time, 1),
        "epochs_run": len(history.get("loss", [])),
        "hyperparameters": {
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "optimizer": args.optimizer,
            "learning_rate": learning_rate(args.optimizer, args.lr),
            "schedule": args.schedule,
            "augment": args.augment,
            "seed": args.seed,
            "validation_split": args.validation_split,
            "max_steps": args.max_steps,
            "jit_compile": args.jit_compile,
            "steps_per_execution": args.steps_per_execution,
            "strategy": args.strategy,
            "mixed_precision": args.mixed_precision,
            "merge_init": args.merge_init,
            "distill_from": [
                pathlib.Path(path).name for path in args.distill_from or ()
            ],
            # The weight distillation used (1 unless given), or None.
            "distill_weight": (
                (1.0 if args.distill_weight is None else args.distill_weight)
                if args.distill_from
                else None
            ),
            "distill_flip": args.distill_flip,
        },
        "curves_png": f"{name}_curves.png",
        "data_fingerprint": info.get("fingerprint"),
        "num_train": info.get("num_train"),
        "num_val": info.get("num_val"),
        "num_test": info.get("num_test"),
    }
