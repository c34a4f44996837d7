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

This module is the orchestration; the pieces live beside it: the flags in
`training.train_args`, what `fit` trains and with which loss (plain,
`--anytime`, `--distill-from`) in `training.objectives`, devices,
strategies and `TF_CONFIG` in `training.devices` (several machines:
`--strategy multiworker`, see there), optimizers in `training.optimizers`,
crash recovery and the history CSV in `training.resume`, the model card in
`training.cards`, the optimizer comparison in `training.experiments` and
`--merge-init` in `training.merge`.
"""

import contextlib
import json
import math
import pathlib
import sys
import time

from training import cli
from training import merge
from training import resume
from training.devices import configure_devices
from training.devices import make_strategy
from training.devices import split_evenly
from training.devices import worker_out_dir  # noqa: F401 (part of the API)
from training.io_utils import UsageError
from training.objectives import compile_model
from training.objectives import trainable_model
from training.optimizers import make_optimizer
from training.train_args import AUGMENT_POLICIES  # noqa: F401 (API)
from training.train_args import build_parser
from training.train_args import run_settings

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


def check_model_name(name):
    """The registry's answer to an unknown `--model`, as a usage error."""
    import zoo

    try:
        zoo.model_info(name)
    except ValueError as err:
        # The registry's message names the close matches and the list.
        message = str(err).rstrip(".")
        raise UsageError(
            f"{message[:1].lower()}{message[1:]}. Pass one of the available "
            "models (zoo-describe tells them apart)."
        ) from None


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
    if args.init_from:
        load_initial_weights(model, args.init_from)
    return model


def load_initial_weights(model, path):
    """Copies the weights of the saved model at `path` into `model`."""
    from training import evaluate

    source = evaluate.load(pathlib.Path(path))
    mine = [tuple(w.shape) for w in model.weights]
    theirs = [tuple(w.shape) for w in source.weights]
    if mine != theirs:
        raise UsageError(
            f"--init-from {pathlib.Path(path).name}: its weights "
            f"({len(theirs)} arrays) do not fit model {model.name} "
            f"({len(mine)} arrays); pass a model of the same architecture."
        )
    model.set_weights(source.get_weights())


"""## Train"""


def make_callbacks(out, name, monitor, mode, history, verbose, saved):
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
            best=resume.best_so_far(history, monitor, mode),
            verbose=verbose,
            saved=saved,
        ),
        keras.callbacks.CSVLogger(str(out / "history.csv"), append=True),
        keras.callbacks.TensorBoard(str(out / "logs")),
        resume.backup_callback(out),
    ]


def fit(model, bundle, args, out, name, settings):
    """Trains, resuming an interrupted run; returns the history dict and
    whether any training happened."""
    csv_path = out / "history.csv"
    if resume.first_epoch(out, name, settings, args.epochs) is None:
        return resume.read_history(csv_path), False
    resume.start(out, settings)
    monitor, mode = _monitor(bundle, bool(args.anytime))
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
            out,
            name,
            monitor,
            mode,
            resume.read_history(csv_path),
            args.verbose,
            # An AnytimeTrainer saves the classifier it trains.
            getattr(model, "classifier", model),
        ),
        verbose=args.verbose,
    )
    return resume.read_history(csv_path), True


def _monitor(bundle, anytime=False):
    """The score that picks the best epoch: validation when there is a
    validation split, else training. An anytime model is picked by its
    loss, which weighs the early answers as well as the final one."""
    prefix = "val_" if bundle.val is not None else ""
    if bundle.info["task"] == "classification" and not anytime:
        return prefix + "accuracy", "max"
    return prefix + "loss", "min"


def _steps_per_epoch(bundle, args):
    steps = math.ceil(bundle.info["num_train"] / args.batch_size)
    return min(steps, args.max_steps) if args.max_steps else steps


def compare_optimizers(args, out, settings):
    """The tutorials' optimizer comparison, measured on one model: each
    optimizer trains as `zoo-train` would, from the same seed."""
    import keras

    from training import experiments

    def train_one(optimizer, sub):
        keras.backend.clear_session()
        keras.utils.set_random_seed(args.seed)
        bundle = load_data(args)
        model = build_model(args, bundle.info)
        steps = _steps_per_epoch(bundle, args)
        compile_model(
            model,
            make_optimizer(optimizer, None, steps, args),
            bundle.info,
            args,
        )
        sub_settings = {**settings, "optimizer": optimizer}
        history, _ = fit(model, bundle, args, sub, args.model, sub_settings)
        resume.finish(sub, sub_settings)
        monitor, mode = _monitor(bundle)
        return history, monitor, resume.best_so_far(history, monitor, mode)

    title = f"{args.model} on {args.data}: {args.epochs} epochs"
    print(experiments.compare_optimizers(train_one, out, title))
    return 0


"""## Evaluate"""


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
        print(f"zoo-train: {cards.no_test_split_note(args.data)}")
    else:
        split = "test"
        report = evaluate.evaluate_split(model, bundle.test, info)
    plots.training_curves(history, out / f"{name}_curves.png", title=name)
    card = evaluate.base_card(
        model, name, info, zoo.model_info(args.model)["description"]
    )
    card.update(
        cards.training_fields(args, argv, info, history, wall_time, name)
    )
    card.update({"metrics": report["metrics"], "metrics_split": split})
    if args.anytime and split is not None:
        card.update(anytime_report(model, bundle.test, args, card["metrics"]))
    if split is None:
        card["metrics_note"] = cards.no_test_split_note(args.data)
    if "per_class" in report:
        evaluate.add_class_report(
            card, report, info["class_names"], out, name, split
        )
    cards.write_card(card, out, name)
    return card


def anytime_report(model, test, args, report_metrics):
    """Card fields of an anytime model: test accuracy after every reading,
    and the quarter points among the metrics."""
    from training import anytime

    every = args.anytime
    accuracies = anytime.reading_accuracies(model, test, every)
    readings = len(accuracies)
    quarters = sorted({max(1, readings * q // 4) for q in (1, 2, 3, 4)})
    return {
        "anytime": {
            "every": every,
            "final_weight": args.anytime_final_weight,
            "teacher_weight": args.anytime_teacher_weight,
            "accuracy_by_reading": [accuracies[r] for r in sorted(accuracies)],
        },
        "metrics": {
            **report_metrics,
            **{
                f"test_accuracy_after_{r}_of_{readings}": accuracies[r]
                for r in quarters
            },
        },
    }


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    started = time.time()
    name = args.name or args.model
    settings = run_settings(args)
    cli.import_tensorflow_quietly()
    import keras

    from training import io_utils

    check_model_name(args.model)
    merge.check_flags(args)
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
    if strategy is not None:
        bundle = split_evenly(
            bundle, args.batch_size, strategy.num_replicas_in_sync
        )
    if bundle.test is None and bundle.val is None:
        raise UsageError(
            f"--data {args.data} has no test split and --validation-split "
            "is 0: nothing to measure the model on; pass "
            "--validation-split 0.1."
        )
    scope = strategy.scope() if strategy else contextlib.nullcontext()
    with scope:
        model = build_model(args, bundle.info)
        model = trainable_model(model, bundle.info, args)
        optimizer = make_optimizer(
            args.optimizer, args.lr, _steps_per_epoch(bundle, args), args
        )
        compile_model(model, optimizer, bundle.info, args)
    if args.distill_from:
        from training import distill

        distill.report_teacher(
            model.teacher, bundle, args.distill_from, args.distill_flip
        )
    # Created only now, so a bad --data or --model leaves no empty folder.
    out = _open_out_dir(out)
    history, trained = fit(model, bundle, args, out, name, settings)
    merge.after_training(args, bundle, out, name, trained)
    wall_time = time.time() - started
    if not trained:
        wall_time = _previous_wall_time(out / f"{name}.json", wall_time)
    card = evaluate_and_report(
        args, argv, bundle, out, name, history, wall_time
    )
    resume.finish(out, settings)
    from training import evaluate

    metrics = evaluate.log_scores(card["metrics"])
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


def entry_point():
    sys.exit(cli.run_main("zoo-train", main))


if __name__ == "__main__":
    entry_point()
