"""
Title: publish a trained model into saved_models/
Description: Copies a `zoo-train` run's model, card and figures into the
    folder the app and `zoo.load_pretrained` read
    (`zoo.registry.default_models_dir()`, unless `--dest` names another),
    optionally measuring the digit model's robustness to perturbed drawings
    first (added to the card).

Usage:

    python -m training.publish runs/mnist_cnn/mnist_cnn.keras --robustness
    python -m training.publish runs/x/x.keras --note "chosen by validation"
"""

import json
import pathlib
import shlex
import shutil
import sys

from training import cli
from training.io_utils import UsageError


def build_parser():
    parser = cli.ArgumentParser(
        prog="python -m training.publish",
        description="Copy a trained model and its card into saved_models/.",
    )
    parser.add_argument("model", help="the run's .keras file")
    parser.add_argument(
        "--dest",
        default=None,
        help="destination folder (default: the folder zoo loads models "
        "from, $ZOO_MODELS_DIR or saved_models/)",
    )
    parser.add_argument(
        "--robustness",
        action="store_true",
        help="measure accuracy on perturbed MNIST test digits (digit models)",
    )
    cli.add_count(
        parser, "--limit", "robustness on the first N test digits only"
    )
    parser.add_argument(
        "--note",
        action="append",
        default=[],
        help="a sentence for the card's Notes section, such as how the run "
        "was chosen or what shared the CPU while it trained (repeatable)",
    )
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    # Checked before the model is loaded and measured, which takes minutes.
    notes = [note.strip() for note in args.note]
    if not all(notes):
        raise UsageError("--note must not be empty")
    from training import cards
    from training import io_utils
    from training.evaluate import load

    source = pathlib.Path(args.model)
    name = source.stem
    card_path = source.with_suffix(".json")
    if not card_path.exists():
        raise UsageError(
            f"no model card next to {source}: train with zoo-train"
        )
    card = json.loads(card_path.read_text())
    model = load(source)  # refuse to publish a file that does not load
    if args.robustness:
        from training import data as data_lib
        from training.robustness import digit_robustness

        x, y = data_lib.load_arrays("mnist", "test", limit=args.limit)
        card["robustness"] = {
            key: round(value, 4)
            for key, value in digit_robustness(model, x, y).items()
        }
        card["robustness_command"] = "python -m training.publish " + (
            shlex.join(sys.argv[1:] if argv is None else argv)
        )
    if notes:
        # After the notes the tool that made the run wrote (an ensemble's
        # validation scores, for one).
        card["notes"] = [*card.get("notes", []), *notes]
    dest = args.dest
    if dest is None:
        from zoo.registry import default_models_dir

        dest = default_models_dir()
    dest = io_utils.prepare_out_dir(dest)
    with io_utils.atomic_path(dest / f"{name}.keras") as tmp:
        shutil.copyfile(source, tmp)
    for key in ("curves_png", "confusion_png"):
        if card.get(key):
            with io_utils.atomic_path(dest / card[key]) as tmp:
                shutil.copyfile(source.parent / card[key], tmp)
    cards.write_card(card, dest, name)
    print(f"published {name} to {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run_main("publish", main))
