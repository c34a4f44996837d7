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
    """`bundle` with the first batch of every split even over `replicas`.

    Keras' TensorFlow trainer averages the first batch of `fit` and
    `evaluate` over the replicas before it builds the model, which fails
    ("Inputs to operation AddN of type AddN must have the same size and
    shape", keras-team/keras#19246) unless every replica got as many
    examples: a split of 51 over 2 replicas (26 and 25) fails, and so
    does every split when the batch size is odd. Later uneven batches
    are fine. A split smaller than one batch is batched anew: in batches
    of the largest multiple of `replicas` it holds, with the rest dropped
    from the (reshuffled) training split and kept in the others.

    Raises:
        UsageError: when `batch_size` is not a multiple of `replicas` or
            a split has fewer examples than there are replicas.
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
        count = bundle.info[f"num_{split}"]
        if dataset is None or count >= batch_size or not count % replicas:
            continue
        if count < replicas:
            raise UsageError(
                f"the {split} split has {count} example(s), fewer than the "
                f"{replicas} replicas; use more data (--limit) or fewer "
                "replicas."
            )
        even = count - count % replicas
        splits[split] = dataset.unbatch().batch(
            even, drop_remainder=split == "train"
        )
    return dataclasses.replace(bundle, **splits)


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
