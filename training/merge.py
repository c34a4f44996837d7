"""Weight-space merging of a fine-tuned model with its starting point.

`zoo-train --init-from START.keras --merge-init ALPHA` fine-tunes as usual,
then replaces the best checkpoint's weights `w` with

    (1 - ALPHA) * w_start + ALPHA * w

(WiSE-FT: Wortsman et al., "Robust fine-tuning of zero-shot models",
CVPR 2022). A fine-tuned model stays in its starting point's basin, so the
straight line between the two keeps much of what each is good at: for the
anytime seq-MNIST TCN, the early answers learnt by fine-tuning and the
final answer of the model it started from. `ALPHA = 1` is the fine-tuned
model, and small values approach the start.

The fine-tuned checkpoint is kept beside the merged one
(`<name>_before_merge.keras`), and a merge always starts from it. ALPHA is
not one of the run's settings (`training.resume`): the same command with
another ALPHA, or without the flag, evaluates the finished run again with
that merge, or none, in seconds and without training again. Choose ALPHA
by the validation scores the merge prints, never by the test split.
"""

import os
import pathlib

from training import io_utils
from training.io_utils import UsageError


def interpolate_weights(start, tuned, alpha):
    """`(1 - alpha) * start + alpha * tuned`, array by array.

    >>> import numpy as np
    >>> [w.tolist() for w in interpolate_weights(
    ...     [np.zeros(2)], [np.ones(2)], 0.25)]
    [[0.25, 0.25]]
    """
    if not 0.0 < alpha <= 1.0:
        raise ValueError(f"Expected alpha in (0, 1], got {alpha}.")
    start, tuned = list(start), list(tuned)
    shapes = [w.shape for w in start], [w.shape for w in tuned]
    if shapes[0] != shapes[1]:
        raise ValueError(
            "The two models have weights of different shapes "
            f"({len(start)} and {len(tuned)} arrays); only a model and its "
            "own fine-tuning can be merged."
        )
    return [(1.0 - alpha) * s + alpha * t for s, t in zip(start, tuned)]


def before_merge_path(out, name):
    """Where the fine-tuned checkpoint is kept once merged."""
    return pathlib.Path(out) / f"{name}_before_merge.keras"


def merge_checkpoint(out, name, init_from, alpha, trained):
    """Merges `<out>/<name>.keras` with the `init_from` model, in place.

    Args:
        out: the run folder.
        name: str, the artefact name.
        init_from: path of the model the run started from.
        alpha: float in (0, 1], the fine-tuned model's share.
        trained: bool, whether this command trained (then the checkpoint
            is new and an older `_before_merge` file is stale).
    """
    from training import evaluate

    checkpoint = pathlib.Path(out) / f"{name}.keras"
    kept = before_merge_path(out, name)
    if trained or not kept.exists():
        # The checkpoint is the fine-tuned model: keep it, merge from it.
        os.replace(checkpoint, kept)
    tuned = evaluate.load(kept)
    start = evaluate.load(pathlib.Path(init_from))
    try:
        weights = interpolate_weights(
            start.get_weights(), tuned.get_weights(), alpha
        )
    except ValueError as err:
        raise UsageError(f"--merge-init: {err}") from None
    tuned.set_weights(weights)
    io_utils.save_model(tuned, checkpoint)
    return tuned


def check_flags(args):
    """`--merge-init` needs the model it merges with."""
    if args.merge_init is not None and not args.init_from:
        raise UsageError(
            "--merge-init merges the trained model with the --init-from "
            "model; pass --init-from MODEL.keras too."
        )


def after_training(args, bundle, out, name, trained):
    """`zoo-train`'s merge step, run after every `fit`.

    With `--merge-init`, merges the checkpoint (`merge_checkpoint`) and
    prints the merged model's validation scores. Without it, a checkpoint
    an earlier command merged gets its fine-tuned weights back.
    """
    from training import evaluate

    kept = before_merge_path(out, name)
    if not args.merge_init:
        if kept.exists():
            checkpoint = pathlib.Path(out) / f"{name}.keras"
            if trained:
                kept.unlink()  # stale: this command saved a new checkpoint
            else:
                os.replace(kept, checkpoint)
        return
    model = merge_checkpoint(
        out, name, args.init_from, args.merge_init, trained
    )
    scores = ""
    if bundle.val is not None:
        report = evaluate.evaluate_split(model, bundle.val, bundle.info)
        metrics = evaluate.named_for_split(report["metrics"], "val")
        scores = ": " + evaluate.log_scores(metrics)
    print(
        f"zoo-train: merged with {pathlib.Path(args.init_from).name} "
        f"(alpha {args.merge_init}){scores}"
    )
