"""
Title: package trained classifiers as one averaging ensemble
Description: Loads classifiers that `zoo-train` trained on the same split
    of the same data, packages them with `zoo.models.average_ensemble`
    (optionally averaging each member's answer on the mirrored picture
    too), prints every member's and the ensemble's validation accuracy,
    measures the ensemble once on the test split and writes
    `<name>.keras` with a model card, ready for `training.publish`.

Usage:

    python -m training.ensemble saved_models/fashion_cnn.keras \\
        runs/wide/fashion_cnn_wide.keras --flip --name fashion_ensemble \\
        --validate-only
    python -m training.ensemble saved_models/fashion_cnn.keras \\
        runs/wide/fashion_cnn_wide.keras --flip --name fashion_ensemble

Choose the members (and `--flip`) on the validation scores that
`--validate-only` prints without writing anything: the test split is read
once, by the run that writes the ensemble. The members must come from
`zoo-train` runs with the same data, seed and validation split (their
cards say so), so that no member has trained on the validation examples
the ensemble is chosen on.
"""

import json
import pathlib
import shlex
import sys
import time

from training import cli
from training.io_utils import UsageError

# The card fields of a member that must agree: they fix the data and its
# validation split.
SPLIT_FIELDS = ("dataset", "seed", "validation_split")


def build_parser():
    parser = cli.ArgumentParser(
        prog="python -m training.ensemble",
        description="Average trained classifiers into one model with a card.",
    )
    parser.add_argument(
        "members",
        nargs="+",
        metavar="MODEL.keras",
        help="saved classifiers with their zoo-train model cards beside them",
    )
    parser.add_argument("--name", required=True, help="the ensemble's name")
    parser.add_argument(
        "--flip",
        action="store_true",
        help="also average each member's answer on the left-right mirrored "
        "picture (test-time flip averaging; for clothing, not digits)",
    )
    parser.add_argument(
        "--validate-only",
        action="store_true",
        help="print the validation scores and write nothing (choose the "
        "members on these; the test split stays unread)",
    )
    cli.add_count(parser, "--batch-size", "batch size (default 256)", 256)
    cli.add_count(
        parser, "--test-limit", "evaluate on the first N test examples only"
    )
    parser.add_argument(
        "--out", default=None, help="output folder (default: runs/NAME)"
    )
    return parser


def load_members(paths):
    """The saved models at `paths`, renamed `<name>_<i>` where two share a
    name (a functional model names its layers uniquely).

    Raises:
        UsageError: for a file that does not load.
    """
    from training import evaluate

    members = [evaluate.load(pathlib.Path(path)) for path in paths]
    seen = set()
    for i, member in enumerate(members):
        if member.name in seen:
            member.name = f"{member.name}_{i}"
        seen.add(member.name)
    return members


def member_split(paths):
    """`{dataset, seed, validation_split}` that every member's card agrees
    on, and the cards.

    Raises:
        UsageError: for a member without a `zoo-train` card, or members
            trained on different data or validation splits.
    """
    cards, splits = [], []
    for path in map(pathlib.Path, paths):
        card_path = path.with_suffix(".json")
        try:
            card = json.loads(card_path.read_text(encoding="utf-8"))
            hyper = card["hyperparameters"]
            split = {
                "dataset": card["dataset"],
                "seed": hyper["seed"],
                "validation_split": hyper["validation_split"],
            }
        except (OSError, ValueError, KeyError, TypeError):
            raise UsageError(
                f"{path.name}: no zoo-train model card ({card_path.name}) "
                "beside it saying its data, seed and validation split; "
                "ensemble models trained with zoo-train."
            ) from None
        if card.get("task") != "classification":
            raise UsageError(
                f"{path.name} is not a classifier: an ensemble averages "
                "class probabilities."
            )
        cards.append(card)
        splits.append((path.name, split))
    if len({json.dumps(split, sort_keys=True) for _, split in splits}) > 1:
        listed = "; ".join(
            f"{name}: " + ", ".join(f"{k}={split[k]}" for k in SPLIT_FIELDS)
            for name, split in splits
        )
        raise UsageError(
            "the members were trained on different data or validation "
            f"splits ({listed}): some would have trained on the examples "
            "the ensemble is chosen on. Ensemble models trained with the "
            "same --data, --seed and --validation-split."
        )
    return splits[0][1], cards


def ensemble_flops(members, views):
    """FLOPs per example: every member runs once per view (the mirror
    image itself costs no arithmetic)."""
    from zoo import arithmetic

    total = 0
    for member in members:
        counts = arithmetic.count_flops(member).values()
        if None in counts:
            return None
        total += views * sum(counts)
    return total


def _accuracy(model, dataset, info):
    from training import evaluate

    report = evaluate.evaluate_split(model, dataset, info)
    return report["metrics"]["test_accuracy"], report


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    started = time.time()
    split, member_cards = member_split(args.members)
    cli.import_tensorflow_quietly()
    from training import cards
    from training import data as data_lib
    from training import evaluate
    from training import io_utils
    from zoo.models import average_ensemble

    out = None
    if not args.validate_only:
        out = io_utils.check_out_dir(
            args.out or pathlib.Path("runs") / args.name
        )
    members = load_members(args.members)
    try:
        model = average_ensemble(members, args.flip, name=args.name)
    except ValueError as err:
        raise UsageError(str(err)) from None
    bundle = data_lib.load_dataset(
        split["dataset"],
        batch_size=args.batch_size,
        shuffle=False,
        seed=split["seed"],
        validation_split=split["validation_split"],
        test_limit=args.test_limit,
    )
    info = bundle.info
    evaluate.check_compatible(model, info, split["dataset"])
    if bundle.val is None:
        raise UsageError(
            f"the members kept no validation split of {split['dataset']}: "
            "nothing to choose an ensemble on."
        )
    files = [pathlib.Path(path).name for path in args.members]
    val_scores = []
    for file, member in zip(files, members):
        score, _ = _accuracy(member, bundle.val, info)
        val_scores.append(score)
        print(f"ensemble: member {file}: val_accuracy={score:.4f}")
    val_accuracy, _ = _accuracy(model, bundle.val, info)
    views = " and mirrored views" if args.flip else ""
    print(
        f"ensemble: {args.name} ({len(members)} members{views}): "
        f"val_accuracy={val_accuracy:.4f}"
    )
    if args.validate_only:
        return 0

    test_accuracy, report = _accuracy(model, bundle.test, info)
    out = io_utils.prepare_out_dir(out)
    io_utils.save_model(model, out / f"{args.name}.keras")
    card = evaluate.base_card(
        model,
        args.name,
        info,
        f"Average of {len(members)} trained classifiers "
        f"({', '.join(m.name for m in members)})"
        + (", each also on the mirrored picture." if args.flip else "."),
        # Counted per member and view: the model's own layer count sees a
        # nested member once and cannot cost the mirror layer.
        flops=ensemble_flops(members, 2 if args.flip else 1),
    )
    member_rows = [
        {
            "file": file,
            "name": member_card.get("name"),
            "model": member_card.get("model"),
            "val_accuracy": round(score, 4),
            "train_command": member_card.get("train_command"),
        }
        for file, score, member_card in zip(files, val_scores, member_cards)
    ]
    card.update(
        {
            "dataset": split["dataset"],
            "dataset_description": info.get("description", ""),
            "members": member_rows,
            "flip_average": bool(args.flip),
            "val_accuracy": round(val_accuracy, 4),
            "train_command": "python -m training.ensemble " + shlex.join(argv),
            # What the ensemble cost to train: its members' training.
            "train_time_s": round(
                sum(c.get("train_time_s", 0) for c in member_cards), 1
            ),
            "wall_time_s": round(time.time() - started, 1),
            "hyperparameters": {
                "seed": split["seed"],
                "validation_split": split["validation_split"],
                "flip_average": bool(args.flip),
            },
            "data_fingerprint": info.get("fingerprint"),
            "num_train": info.get("num_train"),
            "num_val": info.get("num_val"),
            "num_test": info.get("num_test"),
            "metrics": report["metrics"],
            "metrics_split": "test",
            "notes": [
                "Validation accuracy (the split the members did not train "
                f"on): {100 * val_accuracy:.2f} % for the ensemble; "
                + ", ".join(
                    f"{file} {100 * score:.2f} %"
                    for file, score in zip(files, val_scores)
                )
                + ".",
                "train_time_s adds up the members' training times; packaging "
                "trains nothing. The members' own commands are in the "
                "`members` field of the JSON card.",
            ],
        }
    )
    evaluate.add_class_report(
        card, report, info["class_names"], out, args.name, "test"
    )
    cards.write_card(card, out, args.name)
    print(f"ensemble: {args.name}: test_accuracy={test_accuracy:.4f}")
    print(f"ensemble: wrote {out / (args.name + '.keras')} and its model card")
    return 0


def entry_point():
    sys.exit(cli.run_main("python -m training.ensemble", main))


if __name__ == "__main__":
    entry_point()
