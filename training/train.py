"""
Title: zoo-train — train a zoo model from the command line
Description: Trains a registered model on a data spec, keeps the best
    epoch (by validation score) as an atomically saved `.keras` file,
    resumes after a crash, and writes curves, a confusion matrix,
    TensorBoard logs and a model card holding the measured test metrics.

Usage:

    zoo-train --model mnist_cnn --data mnist --epochs 20 --augment
    zoo-train --model adding_tcn --data adding:600 --optimizer adam --lr 2e-3
    zoo-train --model mnist_seed_cnn --data mnist --compare-optimizers

Running the same command again after the process died (even `kill -9`)
continues from the last completed epoch.
"""

import json
import math
import os
import pathlib
import sys
import time

from training import cli
from training.io_utils import UsageError

"""## Configurable parameters"""

OPTIMIZERS = ("sgd", "momentum", "adagrad", "adam", "adamw")
COMPARED_OPTIMIZERS = ("sgd", "momentum", "adagrad", "adam")
DEFAULT_LR = {
    "sgd": 0.05,
    "momentum": 0.01,
    "adagrad": 0.05,
    "adam": 1e-3,
    "adamw": 1e-3,
}
STRATEGIES = ("default", "mirrored", "multiworker")
BACKUP_DIR = "backup"  # inside --out: the crash-recovery checkpoint


def build_parser():
    parser = cli.ArgumentParser(
        prog="zoo-train",
        description="Train a zoo model; see `zoo-describe` for the models.",
    )
    parser.add_argument("--model", required=True, help="registered name")
    parser.add_argument(
        "--data",
        required=True,
        help="data spec: mnist, fashion_mnist, idx:DIR, folder:DIR, "
        "tfds:NAME[:SPLIT], mnist1d, seqmnist, pmnist, adding:T, copy:T",
    )
    parser.add_argument("--epochs", type=cli.positive_int, default=10)
    parser.add_argument("--batch-size", type=cli.positive_int, default=128)
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default="adam")
    parser.add_argument(
        "--lr",
        type=cli.positive_float,
        help="learning rate (default: a sensible value per optimizer)",
    )
    parser.add_argument(
        "--weight-decay",
        type=cli.positive_float,
        default=None,
        help="decoupled weight decay (adamw; default 1e-4)",
    )
    parser.add_argument(
        "--schedule", choices=("cosine", "none"), default="cosine"
    )
    parser.add_argument(
        "--warmup-epochs",
        type=float,
        default=0.0,
        help="linear learning-rate warm-up before the cosine decay",
    )
    parser.add_argument("--clipnorm", type=cli.positive_float, default=None)
    parser.add_argument("--augment", action="store_true")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--validation-split", type=cli.fraction, default=0.1)
    parser.add_argument(
        "--limit",
        type=cli.positive_int,
        default=None,
        help="use only the first N training examples (smoke runs)",
    )
    parser.add_argument(
        "--test-limit",
        type=cli.positive_int,
        default=None,
        help="evaluate on only the first N test examples (smoke runs)",
    )
    parser.add_argument(
        "--max-steps",
        type=cli.positive_int,
        default=None,
        help="at most N training steps per epoch (smoke runs)",
    )
    parser.add_argument("--jit-compile", action="store_true")
    parser.add_argument(
        "--mixed-precision",
        action="store_true",
        help="train in mixed_bfloat16 (CPUs with AVX512-BF16, TPUs, GPUs)",
    )
    parser.add_argument("--strategy", choices=STRATEGIES, default="default")
    parser.add_argument(
        "--logical-cpus",
        type=cli.positive_int,
        default=None,
        help="split the CPU into N logical devices (to try --strategy "
        "mirrored on one machine)",
    )
    parser.add_argument(
        "--compare-optimizers",
        action="store_true",
        help="train with SGD, Momentum, AdaGrad and Adam and plot them",
    )
    parser.add_argument("--name", help="artefact name (default: --model)")
    parser.add_argument(
        "--out", default=None, help="output folder (default: runs/NAME)"
    )
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1)
    return parser


"""## Setup"""


def configure_devices(args):
    """Device settings that must happen before TensorFlow starts."""
    import keras

    backend = keras.backend.backend()
    if args.strategy != "default" and backend != "tensorflow":
        raise UsageError(
            f"--strategy {args.strategy} needs KERAS_BACKEND=tensorflow "
            f"(current backend: {backend})."
        )
    if args.logical_cpus:
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu,
            [tf.config.LogicalDeviceConfiguration()] * args.logical_cpus,
        )
    if args.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")


def make_strategy(name, logical_cpus=None):
    import tensorflow as tf

    if name == "mirrored":
        devices = None
        if logical_cpus:
            devices = [f"/cpu:{i}" for i in range(logical_cpus)]
        return tf.distribute.MirroredStrategy(devices)
    if name == "multiworker":
        if "TF_CONFIG" not in os.environ:
            print(
                "zoo-train: warning: TF_CONFIG is not set; "
                "MultiWorkerMirroredStrategy runs as a single worker",
                file=sys.stderr,
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    return None


def make_optimizer(name, lr, steps_per_epoch, args):
    import keras

    lr = lr or DEFAULT_LR[name]
    total_steps = max(1, args.epochs * steps_per_epoch)
    if args.schedule == "cosine":
        warmup = int(args.warmup_epochs * steps_per_epoch)
        learning_rate = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=lr if warmup == 0 else 0.0,
            decay_steps=max(1, total_steps - warmup),
            warmup_target=lr if warmup else None,
            warmup_steps=warmup,
        )
    else:
        learning_rate = lr
    common = {"learning_rate": learning_rate}
    if args.clipnorm:
        common["clipnorm"] = args.clipnorm
    if name == "sgd":
        return keras.optimizers.SGD(**common)
    if name == "momentum":
        return keras.optimizers.SGD(momentum=0.9, nesterov=True, **common)
    if name == "adagrad":
        return keras.optimizers.Adagrad(**common)
    if name == "adam":
        return keras.optimizers.Adam(**common)
    return keras.optimizers.AdamW(
        weight_decay=args.weight_decay or 1e-4, **common
    )


"""## Prepare the data"""


def load_data(args):
    from training import data as data_lib

    return data_lib.load_dataset(
        args.data,
        batch_size=args.batch_size,
        validation_split=args.validation_split,
        seed=args.seed,
        augment=args.augment,
        limit=args.limit,
        test_limit=args.test_limit,
    )


"""## Build the model"""


def build_model(args, info):
    import zoo

    model = zoo.create_model(args.model)
    expected = tuple(model.input_shape[1:])
    got = tuple(info["input_shape"])
    if expected != got:
        try:
            model = zoo.create_model(args.model, input_shape=got)
        except (TypeError, ValueError):
            raise UsageError(
                f"model {args.model} takes inputs of shape {expected} but "
                f"--data {args.data} gives {got}; pick a matching model or "
                "data spec."
            ) from None
    outputs = model.output_shape[-1]
    if info["task"] == "classification" and outputs != info["num_classes"]:
        raise UsageError(
            f"model {args.model} predicts {outputs} classes but --data "
            f"{args.data} has {info['num_classes']}."
        )
    return model


def compile_model(model, optimizer, info, args):
    import keras

    if info["task"] == "classification":
        loss = keras.losses.SparseCategoricalCrossentropy()
        metrics = [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
    else:
        loss = keras.losses.MeanSquaredError()
        metrics = [keras.metrics.MeanAbsoluteError(name="mae")]
    model.compile(
        optimizer=optimizer,
        loss=loss,
        metrics=metrics,
        jit_compile=True if args.jit_compile else "auto",
    )


"""## Train"""


def read_history(csv_path):
    """Per-epoch logs from the CSV, keeping the last row of an epoch that a
    resumed run repeated."""
    import csv

    if not csv_path.exists():
        return {}
    rows = {}
    with open(csv_path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            try:
                rows[int(row["epoch"])] = row
            except (KeyError, ValueError):
                continue
    history = {}
    for epoch in sorted(rows):
        for key, value in rows[epoch].items():
            if key == "epoch" or value in (None, ""):
                continue
            history.setdefault(key, []).append(float(value))
    return history


def make_callbacks(out, name, monitor, mode, history, verbose):
    import keras

    from training.callbacks import AtomicBestCheckpoint
    from training.callbacks import EpochTimer

    # Order matters: callbacks share the epoch logs and run in order, and
    # the backup comes last so that an epoch counts as completed only once
    # its best-model save and its CSV row are on disk.
    return [
        EpochTimer(),
        AtomicBestCheckpoint(
            out / f"{name}.keras",
            monitor=monitor,
            mode=mode,
            best=_best_so_far(history, monitor, mode),
            verbose=verbose,
        ),
        keras.callbacks.CSVLogger(str(out / "history.csv"), append=True),
        keras.callbacks.TensorBoard(str(out / "logs")),
        # Saves weights, optimizer state and the epoch counter at every
        # epoch end; double_checkpoint keeps the previous copy in case the
        # process dies while writing.
        keras.callbacks.BackupAndRestore(
            str(out / BACKUP_DIR), double_checkpoint=True
        ),
    ]


def _best_so_far(history, monitor, mode):
    values = history.get(monitor, [])
    if not values:
        return None
    return max(values) if mode == "max" else min(values)


def resumed_epoch(out):
    path = out / BACKUP_DIR / "training_metadata.json"
    try:
        return int(json.loads(path.read_text())["epoch"])
    except (OSError, ValueError, KeyError):
        return 0


def fit(model, bundle, args, out, name, monitor, mode, epochs=None):
    epochs = epochs or args.epochs
    history = read_history(out / "history.csv")
    start = resumed_epoch(out)
    if start >= epochs:
        print(f"zoo-train: {name} already trained for {start} epochs")
    elif start:
        print(
            f"zoo-train: resuming {name} from epoch {start + 1}/{epochs} "
            f"(backup in {out / BACKUP_DIR})"
        )
    elif history:
        # A finished run left its CSV behind: start a fresh history.
        (out / "history.csv").unlink()
        history = {}
    if start < epochs:
        train = bundle.train
        if args.max_steps:
            # Capped epochs must not drain a finite dataset mid-run.
            train = train.repeat()
        model.fit(
            train,
            shuffle=False,  # the tf.data pipeline shuffles every epoch
            validation_data=bundle.val,
            epochs=epochs,
            steps_per_epoch=args.max_steps,
            callbacks=make_callbacks(
                out, name, monitor, mode, history, args.verbose
            ),
            verbose=args.verbose,
        )
    return read_history(out / "history.csv")


"""## Evaluate"""


def evaluate_and_report(args, bundle, out, name, history, started):
    from training import cards
    from training import evaluate
    from training import plots

    model_path = out / f"{name}.keras"
    model = evaluate.load(model_path)
    info = bundle.info
    report = evaluate.evaluate_split(model, bundle.test, info)
    plots.training_curves(history, out / f"{name}_curves.png", title=name)
    card = evaluate.base_card(model, name, info)
    card.update(
        {
            "dataset": args.data,
            "metrics": report["metrics"],
            "train_command": cards.command_line(),
            "train_time_s": round(sum(history.get("epoch_time_s", [])), 1),
            "wall_time_s": round(time.time() - started, 1),
            "epochs_run": len(history.get("loss", [])),
            "hyperparameters": {
                "epochs": args.epochs,
                "batch_size": args.batch_size,
                "optimizer": args.optimizer,
                "learning_rate": args.lr or DEFAULT_LR[args.optimizer],
                "schedule": args.schedule,
                "augment": args.augment,
                "seed": args.seed,
                "validation_split": args.validation_split,
                "strategy": args.strategy,
                "mixed_precision": args.mixed_precision,
            },
            "curves_png": f"{name}_curves.png",
            "data_fingerprint": info.get("fingerprint"),
            "num_train": info.get("num_train"),
            "num_val": info.get("num_val"),
            "num_test": info.get("num_test"),
        }
    )
    if "per_class" in report:
        card["per_class"] = report["per_class"]
        plots.confusion_matrix(
            report["confusion_matrix"],
            info["class_names"],
            out / f"{name}_confusion.png",
            title=f"{name} — test confusion matrix",
        )
        card["confusion_png"] = f"{name}_confusion.png"
    cards.write_card(card, out, name)
    return card


def compare_optimizers(args, out):
    """The tutorials' optimizer comparison, measured on one model."""
    import keras

    from training import io_utils
    from training import plots

    histories = {}
    rows = []
    for name in COMPARED_OPTIMIZERS:
        keras.backend.clear_session()
        keras.utils.set_random_seed(args.seed)
        bundle = load_data(args)
        model = build_model(args, bundle.info)
        optimizer = make_optimizer(
            name, None, _steps_per_epoch(bundle, args), args
        )
        compile_model(model, optimizer, bundle.info, args)
        sub = out / name
        sub.mkdir(exist_ok=True)
        monitor, mode = _monitor(bundle.info)
        history = fit(model, bundle, args, sub, args.model, monitor, mode)
        histories[name] = history
        rows.append(
            {
                "optimizer": name,
                "learning_rate": DEFAULT_LR[name],
                **{
                    k: v[-1] for k, v in history.items() if k.startswith("val_")
                },
                "best_" + monitor: _best_so_far(history, monitor, mode),
            }
        )
    plots.optimizer_comparison(
        histories,
        out / "optimizers.png",
        title=f"{args.model} on {args.data}: {args.epochs} epochs",
    )
    io_utils.write_json(out / "optimizers.json", {"runs": rows})
    header = list(rows[0])
    table = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        table.append("| " + " | ".join(_fmt(row[h]) for h in header) + " |")
    text = "\n".join(table) + "\n"
    io_utils.write_text(out / "optimizers.md", text)
    print(text)
    return 0


def _fmt(value):
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _monitor(info):
    if info["task"] == "classification":
        return "val_accuracy", "max"
    return "val_loss", "min"


def _steps_per_epoch(bundle, args):
    steps = math.ceil(bundle.info["num_train"] / args.batch_size)
    return min(steps, args.max_steps) if args.max_steps else steps


def main(argv=None):
    args = build_parser().parse_args(argv)
    started = time.time()
    name = args.name or args.model
    from training import io_utils

    out = io_utils.prepare_out_dir(args.out or pathlib.Path("runs") / name)

    import keras

    import zoo

    check_model_name(args.model, zoo.list_models())
    configure_devices(args)
    keras.utils.set_random_seed(args.seed)
    if args.compare_optimizers:
        return compare_optimizers(args, out)

    strategy = make_strategy(args.strategy, args.logical_cpus)
    bundle = load_data(args)
    scope = strategy.scope() if strategy else _null_scope()
    with scope:
        model = build_model(args, bundle.info)
        optimizer = make_optimizer(
            args.optimizer, args.lr, _steps_per_epoch(bundle, args), args
        )
        compile_model(model, optimizer, bundle.info, args)
    monitor, mode = _monitor(bundle.info)
    history = fit(model, bundle, args, out, name, monitor, mode)
    card = evaluate_and_report(args, bundle, out, name, history, started)
    metrics = ", ".join(
        f"{k}={v:.4f}"
        for k, v in card["metrics"].items()
        if isinstance(v, float)
    )
    print(f"zoo-train: {name}: {metrics}")
    print(f"zoo-train: wrote {out / (name + '.keras')} and its model card")
    return 0


def check_model_name(name, available):
    import difflib

    if name in available:
        return
    close = difflib.get_close_matches(name, available, n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise UsageError(
        f"unknown model {name!r}.{hint} Available: {', '.join(available)}"
    )


def _null_scope():
    import contextlib

    return contextlib.nullcontext()


def entry_point():
    sys.exit(cli.run_main("zoo-train", main))


if __name__ == "__main__":
    entry_point()
