"""What `zoo-train` fits, and with which loss.

The model itself with its task's loss; with `--anytime N` an
`AnytimeTrainer` around a sequence classifier (`training.anytime`); with
`--distill-from` a `DistilledClassifier` that also learns a frozen
teacher's answers (`training.distill`). Wrappers share every weight with
the model, and the checkpoints hold the model alone.
"""

import pathlib

from training.io_utils import UsageError


def trainable_model(model, info, args):
    """What `fit` trains: the model, or a wrapper around it (see above)."""
    _check_distill_flags(info, args)
    if args.distill_from:
        from training import distill

        teacher = distill.load_teacher(
            args.distill_from, args.distill_flip, model
        )
        return distill.DistilledClassifier(model, teacher, args.distill_weight)
    if not args.anytime:
        if args.anytime_teacher_weight:
            raise UsageError("--anytime-teacher-weight needs --anytime N.")
        return model
    one_label = info["task"] == "classification" and not info.get(
        "target_shape"
    )
    if not one_label or len(info["input_shape"]) != 2:
        raise UsageError(
            f"--anytime trains sequence classifiers; --data {args.data} is "
            "not a sequence classification task."
        )
    from training.anytime import AnytimeTrainer

    teacher = None
    if args.anytime_teacher_weight:
        if not args.init_from:
            raise UsageError(
                "--anytime-teacher-weight distils the --init-from model's "
                "answers; pass --init-from MODEL.keras too."
            )
        from training import evaluate

        teacher = evaluate.load(pathlib.Path(args.init_from))
    try:
        return AnytimeTrainer(
            model,
            args.anytime,
            final_weight=args.anytime_final_weight,
            teacher=teacher,
            teacher_weight=args.anytime_teacher_weight,
        )
    except ValueError as err:
        raise UsageError(str(err)) from None


def _check_distill_flags(info, args):
    if not args.distill_from:
        for flag, value in (
            ("--distill-flip", args.distill_flip),
            ("--distill-weight", args.distill_weight is not None),
        ):
            if value:
                raise UsageError(
                    f"{flag} goes with --distill-from TEACHER.keras."
                )
        return
    if args.anytime:
        raise UsageError(
            "--distill-from trains the final answer only; with --anytime, "
            "distil the --init-from model with --anytime-teacher-weight."
        )
    if info["task"] != "classification" or info.get("target_shape"):
        raise UsageError(
            f"--distill-from distils classifiers; --data {args.data} is not "
            "a classification task with one label per example."
        )


def compile_model(model, optimizer, info, args):
    import keras

    if getattr(model, "readings", None):
        from training import anytime

        loss = anytime.AnytimeCrossentropy(model.readings, model.final_weight)
        metrics = anytime.metrics(model.readings)
    elif info["task"] == "classification":
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
