"""The optimizers `zoo-train` offers, their default learning rates and the
learning-rate schedule.

The defaults are the ones the optimizer comparison (`zoo-train
--compare-optimizers`) trains each optimizer with: a sensible rate per
optimizer, since one rate for all would favour one of them.
"""

OPTIMIZERS = ("sgd", "momentum", "adagrad", "adam", "adamw")
# The tutorials' four, in the order they were invented.
COMPARED_OPTIMIZERS = ("sgd", "momentum", "adagrad", "adam")
DEFAULT_LR = {
    "sgd": 0.05,
    "momentum": 0.01,
    "adagrad": 0.05,
    "adam": 1e-3,
    "adamw": 1e-3,
}
DEFAULT_WEIGHT_DECAY = 1e-4  # adamw


def learning_rate(name, lr=None):
    """`lr`, or the default learning rate of the optimizer `name`."""
    return lr or DEFAULT_LR[name]


def schedule(lr, steps_per_epoch, args):
    """The learning rate (or `keras` schedule) for `--schedule`: a cosine
    decay over the whole run after `--warmup-epochs` of linear warm-up."""
    import keras

    if args.schedule != "cosine":
        return lr
    total_steps = max(1, args.epochs * steps_per_epoch)
    warmup = int(args.warmup_epochs * steps_per_epoch)
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=lr if warmup == 0 else 0.0,
        decay_steps=max(1, total_steps - warmup),
        warmup_target=lr if warmup else None,
        warmup_steps=warmup,
    )


def make_optimizer(name, lr, steps_per_epoch, args):
    """A new Keras optimizer for `zoo-train`'s flags.

    Args:
        name: str, one of `OPTIMIZERS`.
        lr: float or None (the default of `name`).
        steps_per_epoch: int, training steps per epoch (for the schedule).
        args: the parsed `zoo-train` flags (`epochs`, `schedule`,
            `warmup_epochs`, `clipnorm`, `weight_decay`).

    Returns:
        A `keras.optimizers.Optimizer`.

    Raises:
        ValueError: for a name not in `OPTIMIZERS`.
    """
    import keras

    if name not in OPTIMIZERS:
        raise ValueError(
            f"Unknown optimizer {name!r}; expected one of {OPTIMIZERS}. "
            f"Received: name={name!r}"
        )
    common = {
        "learning_rate": schedule(
            learning_rate(name, lr), steps_per_epoch, args
        )
    }
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
        weight_decay=args.weight_decay or DEFAULT_WEIGHT_DECAY, **common
    )
