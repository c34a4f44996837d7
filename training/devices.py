"""Where `zoo-train` runs: device settings, the `tf.distribute` strategy,
and which worker of a multi-worker cluster this process is.

Nothing here imports TensorFlow until it is needed, so that parsing the
command line stays fast.

Several machines: `--strategy multiworker` with `TF_CONFIG` set on each
machine, the same on every machine except `task`, e.g. on the first of
two machines:

    TF_CONFIG='{"cluster": {"worker": ["host1:12345", "host2:12345"]},
                "task": {"type": "worker", "index": 0}}'

and `"index": 1` on the second. Every worker runs the same command;
`--batch-size` is the global batch, split between the workers. Workers
other than the chief write their files to `<out>/<task type><index>/`.
"""

import dataclasses
import functools
import itertools
import json
import os
import sys

from training.io_utils import UsageError

STRATEGIES = ("default", "mirrored", "multiworker")


def configure_devices(args):
    """Device settings that must happen before TensorFlow starts:
    `--logical-cpus`, `--mixed-precision`; checks `--strategy` fits the
    backend."""
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
    """The `tf.distribute` strategy for `--strategy`, or None for
    `"default"` (see `training.distribute.make_strategy`)."""
    if name == "default":
        return None
    from training import distribute

    if name == "multiworker" and "TF_CONFIG" not in os.environ:
        print(
            "zoo-train: warning: TF_CONFIG is not set; "
            "MultiWorkerMirroredStrategy runs as a single worker",
            file=sys.stderr,
        )
    return distribute.make_strategy(name, logical_cpus)


def split_evenly(bundle, batch_size, replicas):
    """`bundle` batched so that every replica gets examples of every batch,
    and as many as the others in the first.

    Keras' TensorFlow trainer averages the first batch of `fit` and
    `evaluate` over the replicas before it builds the model, which fails
    ("Inputs to operation AddN of type AddN must have the same size and
    shape", keras-team/keras#19246) unless every replica got as many
    examples: a split of 51 over 2 replicas (26 and 25) fails, and so
    does every split when the batch size is odd. Later uneven batches are
    fine, but not one smaller than the number of replicas: some replica
    then gets no example, and TensorFlow's oneDNN convolution fails on the
    empty batch on some CPUs ("input depth must be evenly divisible by
    filter depth: 1 vs 32", seen on an Intel Xeon). So the plan
    (`batch_plan`) takes `replicas` examples from the batch before such a
    last batch, or, in the (reshuffled) training split, drops it.

    Raises:
        UsageError: when `batch_size` is not a multiple of `replicas` or
            a split is too small to give every replica an example.
    """
    if replicas <= 1:
        return bundle
    if batch_size % replicas:
        raise UsageError(
            f"--batch-size {batch_size} does not split evenly over "
            f"{replicas} replicas; pass a multiple of {replicas}."
        )
    splits = {}
    for split in ("train", "val", "test"):
        dataset = getattr(bundle, split)
        if dataset is None:
            continue
        count = bundle.info[f"num_{split}"]
        plan = batch_plan(count, batch_size, replicas, keep=split != "train")
        if plan is None:
            raise UsageError(
                f"the {split} split has {count} example(s), too few to give "
                f"each of the {replicas} replicas some; use more data "
                "(--limit) or fewer replicas."
            )
        if plan != _plain_batches(count, batch_size):
            splits[split] = _rebatch(dataset, plan)
    return dataclasses.replace(bundle, **splits)


def _plain_batches(count, batch_size):
    full, rest = divmod(count, batch_size)
    return [batch_size] * full + ([rest] if rest else [])


def batch_plan(count, batch_size, replicas, keep=True):
    """The batch sizes `split_evenly` gives a split of `count` examples.

    The first batch is a multiple of `replicas` and no batch is smaller
    than `replicas`. With `keep`, every example is in a batch; without,
    fewer than `replicas` may be left out.

    Returns:
        A list of batch sizes, or None when `count` is too small.

    Example:

    >>> batch_plan(33, 32, 2), batch_plan(33, 32, 2, keep=False)
    ([30, 3], [32])
    >>> batch_plan(7, 128, 2), batch_plan(100, 32, 2)
    ([4, 3], [32, 32, 32, 4])
    """
    sizes = _plain_batches(count, batch_size)
    if sizes and sizes[0] % replicas:  # count < batch_size
        sizes = [count - count % replicas, count % replicas]
    if sizes and sizes[-1] < replicas:
        last = sizes.pop()
        if not keep:
            pass  # dropped: the training split is reshuffled every epoch
        elif sizes and sizes[-1] > replicas:
            sizes[-1] -= replicas
            sizes.append(replicas + last)
        elif len(sizes) > 1:
            sizes[-1] += last
        else:
            return None
    if not sizes or sizes[0] % replicas or min(sizes) < replicas:
        return None
    return sizes


def _rebatch(dataset, sizes):
    """`dataset` in batches of `sizes` (at most three distinct runs)."""
    examples = dataset.unbatch()
    if len(set(sizes)) == 1:
        # One size: one pass, so a reshuffling split stays one shuffle.
        return examples.batch(sizes[0], drop_remainder=True)
    parts, start = [], 0
    for size, run in itertools.groupby(sizes):
        total = size * len(list(run))
        parts.append(examples.skip(start).take(total).batch(size))
        start += total
    return functools.reduce(lambda a, b: a.concatenate(b), parts)


def worker_out_dir(out, strategy):
    """`out` for the chief; `out/<type><index>` for the other workers of
    a multi-worker run, so that no two processes write the same file.

    Raises:
        UsageError: when `TF_CONFIG` is not valid JSON of the expected form.
    """
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
