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
continues from the last completed epoch (see `training.resume`); running it
again after it finished evaluates the saved model again without retraining.

Several machines: `--strategy multiworker` with `TF_CONFIG` set on each
machine (see `make_strategy`); workers other than the chief write their
files to `<out>/<task type><index>/`.
"""

import contextlib
import json
import math
import os
import pathlib
import sys
import time

from training import cli
from training import resume
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
# The sorted names of `training.augment.POLICIES`, listed here so that
# parsing the command line does not import TensorFlow (a test keeps them
# equal).
AUGMENT_POLICIES = ("clothing", "clothing_light", "digits", "digits_light")
# Flags that change nothing in the trained model: a run may be resumed
# with different values.
NOT_SETTINGS = ("verbose", "out")


def build_parser():
    parser = cli.ArgumentParser(
        prog="zoo-train",
        description="Train a zoo model; see `zoo-describe` for the models.",
    )
    parser.add_argument("--model", required=True, help="registered name")
    cli.add_data_spec(parser)
    cli.add_count(parser, "--epochs", "training epochs (default 10)", 10)
    cli.add_count(
        parser, "--batch-size", "global batch size (default 128)", 128
    )
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
        type=cli.non_negative_float,
        default=0.0,
        help="linear learning-rate warm-up before the cosine decay",
    )
    parser.add_argument("--clipnorm", type=cli.positive_float, default=None)
    parser.add_argument(
        "--augment",
        nargs="?",
        const=True,
        default=False,
        choices=AUGMENT_POLICIES,
        metavar="POLICY",
        help="augment the training split with the data set's policy, or "
        f"with POLICY, one of: {', '.join(AUGMENT_POLICIES)}",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--validation-split", type=cli.fraction, default=0.1)
    cli.add_count(
        parser, "--limit", "use only the first N training examples (smoke runs)"
    )
    cli.add_count(
        parser,
        "--test-limit",
        "evaluate on only the first N test examples (smoke runs)",
    )
    cli.add_count(
        parser, "--max-steps", "at most N training steps per epoch (smoke runs)"
    )
    parser.add_argument("--jit-compile", action="store_true")
    cli.add_count(
        parser,
        "--steps-per-execution",
        "training steps per compiled call (fewer Python round trips)",
        default=1,
    )
    parser.add_argument(
        "--mixed-precision",
        action="store_true",
        help="train in mixed_bfloat16 (CPUs with AVX512-BF16, TPUs, GPUs)",
    )
    parser.add_argument("--strategy", choices=STRATEGIES, default="default")
    cli.add_count(
        parser,
        "--logical-cpus",
        "split the CPU into N logical devices (to try --strategy mirrored "
        "on one machine)",
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
    """The `tf.distribute` strategy for `--strategy`, or None.

    `multiworker` reads the cluster from the `TF_CONFIG` environment
    variable, the same on every machine except `task`, e.g. on the first of
    two machines:

        TF_CONFIG='{"cluster": {"worker": ["host1:12345", "host2:12345"]},
                    "task": {"type": "worker", "index": 0}}'

    and `"index": 1` on the second. Every worker runs the same command;
    `--batch-size` is the global batch, split between the workers.
    """
    from training import distribute

    if name == "multiworker" and "TF_CONFIG" not in os.environ:
        print(
            "zoo-train: warning: TF_CONFIG is not set; "
            "MultiWorkerMirroredStrategy runs as a single worker",
            file=sys.stderr,
        )
    return distribute.make_strategy(name, logical_cpus)


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
    from training import evaluate

    evaluate.check_outputs(
        model,
        info,
        args.data,
        f"model {args.model}",
        "pick a model whose outputs have that shape.",
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
        steps_per_execution=args.steps_per_execution,
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
            except (KeyError, TypeError, ValueError):
                continue
    history = {}
    for epoch in sorted(rows):
        for key, value in rows[epoch].items():
            if key in ("epoch", None) or value in (None, ""):
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
        resume.backup_callback(out),
    ]


def _best_so_far(history, monitor, mode):
    values = history.get(monitor, [])
    if not values:
        return None
    return max(values) if mode == "max" else min(values)


def fit(model, bundle, args, out, name, settings):
    """Trains, resuming an interrupted run; returns the history dict and
    whether any training happened."""
    csv_path = out / "history.csv"
    if resume.finished(out, settings) and (out / f"{name}.keras").exists():
        print(
            f"zoo-train: {out} already holds this finished run; evaluating "
            "it again (pass a new --out to train again)"
        )
        return read_history(csv_path), False
    start = resume.completed_epochs(out, settings)
    if start:
        resume.trim_history(csv_path, start)
    else:
        resume.forget(out)
    if start >= args.epochs:
        print(
            f"zoo-train: {name} finished its {start} epochs before it was "
            "interrupted; evaluating it"
        )
        return read_history(csv_path), False
    if start:
        print(
            f"zoo-train: resuming {name} from epoch {start + 1}/"
            f"{args.epochs} ({start} completed; backup in "
            f"{out / resume.BACKUP_DIR})"
        )
    resume.start(out, settings)
    monitor, mode = _monitor(bundle)
    train = bundle.train
    if args.max_steps:
        # Capped epochs must not drain a finite dataset mid-run.
        train = train.repeat()
    model.fit(
        train,
        shuffle=False,  # the tf.data pipeline shuffles every epoch
        validation_data=bundle.val,
        epochs=args.epochs,
        steps_per_epoch=args.max_steps,
        callbacks=make_callbacks(
            out, name, monitor, mode, read_history(csv_path), args.verbose
        ),
        verbose=args.verbose,
    )
    return read_history(csv_path), True


"""## Evaluate"""


def no_test_split_note(spec):
    """What the log and the card say when the data has no test split."""
    return (
        f"no test split in --data {spec}: test metrics skipped (the "
        "validation split chose the best epoch, so its scores would not "
        "be a fair test; see history.csv for them)"
    )


def evaluate_and_report(args, argv, bundle, out, name, history, wall_time):
    """Measures the saved best model on the test split and writes the plots
    and the model card; a data set without a test split gets a card that
    says so instead of test metrics."""
    import zoo
    from training import cards
    from training import evaluate
    from training import plots

    model = evaluate.load(out / f"{name}.keras")
    info = bundle.info
    if bundle.test is None:
        split, report = None, {"metrics": {}}
        print(f"zoo-train: {no_test_split_note(args.data)}")
    else:
        split = "test"
        report = evaluate.evaluate_split(model, bundle.test, info)
    plots.training_curves(history, out / f"{name}_curves.png", title=name)
    card = evaluate.base_card(
        model, name, info, zoo.model_info(args.model)["description"]
    )
    card.update(
        {
            "model": args.model,
            "dataset": args.data,
            "dataset_description": info.get("description", ""),
            "metrics": report["metrics"],
            "metrics_split": split,
            "train_command": cards.command_line(["zoo-train", *argv]),
            "train_time_s": round(sum(history.get("epoch_time_s", [])), 1),
            "wall_time_s": round(wall_time, 1),
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
                "max_steps": args.max_steps,
                "jit_compile": args.jit_compile,
                "steps_per_execution": args.steps_per_execution,
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
    if split is None:
        card["metrics_note"] = no_test_split_note(args.data)
    if "per_class" in report:
        card["per_class"] = report["per_class"]
        plots.confusion_matrix(
            report["confusion_matrix"],
            info["class_names"],
            out / f"{name}_confusion.png",
            title=f"{name} — {split} confusion matrix",
        )
        card["confusion_png"] = f"{name}_confusion.png"
    cards.write_card(card, out, name)
    return card


def compare_optimizers(args, out, settings):
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
        run_settings = {**settings, "optimizer": name}
        history, _ = fit(model, bundle, args, sub, args.model, run_settings)
        resume.finish(sub, run_settings)
        histories[name] = history
        monitor, mode = _monitor(bundle)
        rows.append(
            {
                "optimizer": name,
                "learning_rate": DEFAULT_LR[name],
                **{k: v[-1] for k, v in history.items() if "time" not in k},
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
        table.append("| " + " | ".join(_fmt(row.get(h)) for h in header) + " |")
    text = "\n".join(table) + "\n"
    io_utils.write_text(out / "optimizers.md", text)
    print(text)
    return 0


def _fmt(value):
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _monitor(bundle):
    """The score that picks the best epoch: validation when there is a
    validation split, else training."""
    prefix = "val_" if bundle.val is not None else ""
    if bundle.info["task"] == "classification":
        return prefix + "accuracy", "max"
    return prefix + "loss", "min"


def _steps_per_epoch(bundle, args):
    steps = math.ceil(bundle.info["num_train"] / args.batch_size)
    return min(steps, args.max_steps) if args.max_steps else steps


def worker_out_dir(out, strategy):
    """`out` for the chief; `out/<type><index>` for the other workers of
    a multi-worker run, so that no two processes write the same file."""
    if strategy != "multiworker" or "TF_CONFIG" not in os.environ:
        return out
    try:
        config = json.loads(os.environ["TF_CONFIG"])
        task = config.get("task") or {}
        cluster = config.get("cluster") or {}
        task_type = task.get("type", "worker")
        index = int(task.get("index", 0))
    except (ValueError, TypeError, AttributeError) as err:
        raise UsageError(
            f"TF_CONFIG is not valid JSON of the form "
            '{"cluster": {"worker": [...]}, "task": {"type": "worker", '
            f'"index": 0}}: {err}'
        ) from None
    chief = ("chief", 0) if "chief" in cluster else ("worker", 0)
    if (task_type, index) == chief:
        return out
    return out / f"{task_type}{index}"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    started = time.time()
    name = args.name or args.model
    settings = {
        key: value
        for key, value in vars(args).items()
        if key not in NOT_SETTINGS
    }
    cli.import_tensorflow_quietly()
    import keras

    import zoo
    from training import io_utils

    check_model_name(args.model, zoo.list_models())
    out = io_utils.check_out_dir(args.out or pathlib.Path("runs") / name)
    out = worker_out_dir(out, args.strategy)
    configure_devices(args)
    keras.utils.set_random_seed(args.seed)
    if args.compare_optimizers:
        return compare_optimizers(args, _open_out_dir(out), settings)

    strategy = make_strategy(args.strategy, args.logical_cpus)
    if strategy is not None:
        print(
            f"zoo-train: {type(strategy).__name__} with "
            f"{strategy.num_replicas_in_sync} replicas"
        )
    bundle = load_data(args)
    if bundle.test is None and bundle.val is None:
        raise UsageError(
            f"--data {args.data} has no test split and --validation-split "
            "is 0: nothing to measure the model on; pass "
            "--validation-split 0.1."
        )
    scope = strategy.scope() if strategy else contextlib.nullcontext()
    with scope:
        model = build_model(args, bundle.info)
        optimizer = make_optimizer(
            args.optimizer, args.lr, _steps_per_epoch(bundle, args), args
        )
        compile_model(model, optimizer, bundle.info, args)
    # Created only now, so a bad --data or --model leaves no empty folder.
    out = _open_out_dir(out)
    history, trained = fit(model, bundle, args, out, name, settings)
    wall_time = time.time() - started
    if not trained:
        wall_time = _previous_wall_time(out / f"{name}.json", wall_time)
    card = evaluate_and_report(
        args, argv, bundle, out, name, history, wall_time
    )
    resume.finish(out, settings)
    metrics = ", ".join(
        f"{k}={v:.4g}"
        for k, v in card["metrics"].items()
        if isinstance(v, float)
    )
    print(f"zoo-train: {name}: {metrics or 'no test split, no test metrics'}")
    print(f"zoo-train: wrote {out / (name + '.keras')} and its model card")
    return 0


def _open_out_dir(out):
    from training import io_utils

    out = io_utils.prepare_out_dir(out)
    io_utils.remove_stale_temporaries(out)
    return out


def _previous_wall_time(card_path, default):
    """The training run's wall time, kept when a run is only re-evaluated."""
    try:
        return float(json.loads(card_path.read_text())["wall_time_s"])
    except (OSError, ValueError, KeyError, TypeError):
        return default


def check_model_name(name, available):
    import difflib

    if name in available:
        return
    close = difflib.get_close_matches(name, available, n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise UsageError(
        f"unknown model {name!r}.{hint} Pass one of: {', '.join(available)} "
        "(zoo-describe tells them apart)."
    )


def entry_point():
    sys.exit(cli.run_main("zoo-train", main))


if __name__ == "__main__":
    entry_point()
