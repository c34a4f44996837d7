"""
Title: zoo-eval — measure a trained model on a data split
Description: Accuracy, top-k, per-class precision / recall / F1 and the
    confusion matrix (PNG + table) for classifiers; MSE / MAE for
    regressors.

Usage:

    zoo-eval saved_models/mnist_cnn.keras --data mnist
    zoo-eval runs/fashion_cnn/fashion_cnn.keras --data fashion_mnist --out eval/
"""

import pathlib
import sys

import numpy as np

from training import cards
from training import cli
from training import machine
from training.io_utils import UsageError
from training.markdown import markdown_table


def load(path):
    """Loads a `.keras` file safely; user-facing errors become UsageError."""
    import zoo  # noqa: F401  (registers the zoo's layers)
    from zoo.saving import ModelFileError
    from zoo.saving import load_model

    try:
        return load_model(path)
    except ModelFileError as err:
        raise UsageError(str(err)) from None


def predict_split(model, dataset):
    """Runs the model over a batched `(x, y)` dataset; returns y and preds."""
    labels, outputs = [], []
    # numpy batches: the JAX backend cannot take TensorFlow tensors.
    for x, y in dataset.as_numpy_iterator():
        outputs.append(np.asarray(model.predict_on_batch(x)))
        labels.append(y)
    if not outputs:
        raise UsageError("the evaluation split is empty")
    return np.concatenate(labels), np.concatenate(outputs)


def evaluate_split(model, dataset, info, top_k=5):
    """The metrics report of `training.metrics` for one split."""
    from training import metrics

    y_true, outputs = predict_split(model, dataset)
    if info["task"] == "classification":
        report = metrics.classification_report
        if outputs.ndim > 2:  # one class per step (copy:T)
            report = metrics.per_step_classification_report
        return report(y_true, outputs, info["class_names"], top_k=top_k)
    return metrics.regression_report(y_true, outputs)


def named_for_split(metrics, split):
    """Renames `test_*` metrics to `val_*` or `train_*` for those splits.

    Example:

    >>> named_for_split({"test_accuracy": 0.9}, "val")
    {'val_accuracy': 0.9}
    """
    prefix = "test_"
    return {
        f"{split}_{key[len(prefix) :]}"
        if key.startswith(prefix)
        else key: value
        for key, value in metrics.items()
    }


def log_scores(metrics):
    """The float metrics as `name=value` pairs, for one log line.

    >>> log_scores({"test_accuracy": 0.98765, "test_examples": 10})
    'test_accuracy=0.9877'
    """
    return ", ".join(
        f"{key}={value:.4g}"
        for key, value in metrics.items()
        if isinstance(value, float)
    )


def add_class_report(card, report, class_names, out, name, split):
    """Puts a classification report's per-class table into `card` and
    draws its confusion matrix as `<out>/<name>_confusion.png`."""
    from training import plots

    card["per_class"] = report["per_class"]
    plots.confusion_matrix(
        report["confusion_matrix"],
        class_names,
        out / f"{name}_confusion.png",
        title=f"{name} — {split} confusion matrix",
    )
    card["confusion_png"] = f"{name}_confusion.png"


def base_card(model, name, info, description="", flops=None):
    """The card fields that describe the model itself.

    `flops` per example, when the caller knows them better than counting
    the model's layers does (an ensemble runs nested models per view).
    """
    card = {
        "name": name,
        "description": description,
        "task": info["task"],
        "classes": [str(c) for c in info.get("class_names") or []],
        "input_shape": list(model.input_shape[1:]),
        "params": int(model.count_params()),
    }
    if flops is not None:
        card["flops"] = int(flops)
    else:
        try:
            from zoo import arithmetic

            card["flops"] = int(sum(arithmetic.count_flops(model).values()))
        except Exception as err:  # FLOPs are informative, never fatal
            print(f"warning: could not count FLOPs: {err}", file=sys.stderr)
    card.update(
        {
            "hardware": machine.hardware(),
            "versions": machine.versions(),
            "date": cards.today(),
        }
    )
    return card


def build_parser():
    parser = cli.ArgumentParser(
        prog="zoo-eval", description="Evaluate a trained .keras model."
    )
    parser.add_argument("model", help="path to a .keras file")
    cli.add_data_spec(parser)
    parser.add_argument(
        "--split", choices=("test", "val", "train"), default="test"
    )
    cli.add_count(parser, "--batch-size", "batch size (default 256)", 256)
    cli.add_count(parser, "--top-k", "k of the top-k accuracy (default 5)", 5)
    cli.add_count(parser, "--limit", "evaluate on the first N examples only")
    parser.add_argument(
        "--out",
        default=None,
        help="folder for metrics.json, metrics.md and PNGs",
    )
    return parser


def _batch_shape(shape):
    return str((None, *shape))


def check_outputs(model, info, spec, subject, fix):
    """Refuses a model whose output shape does not fit the data's targets.

    A classifier with another number of classes is named as such. A
    classifier needs `(*target_shape, num_classes)`: `(num_classes,)` for
    one label per example, `(steps, num_classes)` for one label per step
    (copy:T). A regressor needs `target_shape`.

    Args:
        model: the Keras model.
        info: the data's info dict (`task`, `target_shape`, `num_classes`).
        spec: str. The data spec, for the message.
        subject: str. How the message names the model.
        fix: str. The sentence that ends the message.
    """
    target = tuple(info.get("target_shape") or ())
    if info["task"] == "classification":
        expected = (*target, info["num_classes"])
    elif target:
        expected = target
    else:
        return
    got = tuple(model.output_shape[1:])
    if got == expected:
        return
    if info["task"] == "classification" and got[-1] != expected[-1]:
        raise UsageError(
            f"{subject} predicts {got[-1]} classes but --data {spec} has "
            f"{expected[-1]}; {fix}"
        )
    per_step = ""
    if info["task"] == "classification" and target and len(got) == 1:
        per_step = (
            f" (one class per step for {target[0]} steps, but the model "
            "gives one prediction per sequence)"
        )
    raise UsageError(
        f"{subject} gives outputs of shape {_batch_shape(got)} but --data "
        f"{spec} needs {_batch_shape(expected)}{per_step}; {fix}"
    )


def check_compatible(model, info, spec):
    """Refuses data whose inputs or classes the model does not match."""
    expected = tuple(model.input_shape[1:])
    got = tuple(info["input_shape"])
    if expected != got:
        raise UsageError(
            f"the model takes inputs of shape {expected} but --data {spec} "
            f"gives {got}; pass the data spec the model was trained on."
        )
    check_outputs(
        model,
        info,
        spec,
        "the model",
        "pass the data spec the model was trained on.",
    )


def main(argv=None):
    args = build_parser().parse_args(argv)
    cli.import_tensorflow_quietly()
    from training import data as data_lib
    from training import io_utils
    from training import plots

    # Only checked here: the folder is created once there is something to
    # write, so a bad model file or data spec leaves nothing behind.
    out = io_utils.check_out_dir(args.out) if args.out else None
    model = load(args.model)
    bundle = data_lib.load_dataset(
        args.data,
        batch_size=args.batch_size,
        augment=False,
        shuffle=False,
        test_limit=args.limit if args.split == "test" else None,
        limit=args.limit if args.split != "test" else None,
    )
    dataset = {"test": bundle.test, "val": bundle.val, "train": bundle.train}[
        args.split
    ]
    if dataset is None:
        raise UsageError(
            f"--data {args.data} has no {args.split} split; pass another "
            "--split."
        )
    check_compatible(model, bundle.info, args.data)
    report = evaluate_split(model, dataset, bundle.info, args.top_k)
    report["metrics"] = named_for_split(report["metrics"], args.split)
    lines = [
        f"# {pathlib.Path(args.model).name} on {args.data} ({args.split})",
        "",
        markdown_table(
            ["metric", "value"],
            [
                (key, f"{value:.4f}" if isinstance(value, float) else value)
                for key, value in report["metrics"].items()
            ],
        ),
    ]
    if "per_class" in report:
        names = bundle.info["class_names"]
        matrix = np.asarray(report["confusion_matrix"])
        lines += [
            "",
            cards.per_class_table(report["per_class"]),
            "",
            "Confusion matrix (rows: true, columns: predicted)",
            "",
            markdown_table(
                ["true \\ pred", *names],
                [[name, *row] for name, row in zip(names, matrix)],
            ),
        ]
    text = "\n".join(lines) + "\n"
    print(text)
    if out is not None:
        out = io_utils.prepare_out_dir(out)
        io_utils.write_json(out / "metrics.json", report)
        io_utils.write_text(out / "metrics.md", text)
        if "confusion_matrix" in report:
            plots.confusion_matrix(
                report["confusion_matrix"],
                bundle.info["class_names"],
                out / "confusion.png",
            )
    return 0


def entry_point():
    sys.exit(cli.run_main("zoo-eval", main))


if __name__ == "__main__":
    entry_point()
