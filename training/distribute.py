"""`tf.distribute` strategies for `zoo-train --strategy`.

Keras 3.15 cannot `fit` under `tf.distribute.MultiWorkerMirroredStrategy`
with more than one worker (keras-team/keras#20585). Its TensorFlow trainer
calls `strategy.reduce` in two ways that strategy rejects:

- on a whole `(x, y)` batch, to find the input shapes before the first
  step, but `Strategy.reduce` takes one value, not a nest;
- with `axis=0` on scalar per-replica metrics, which have no axis 0.

`MultiWorkerMirroredStrategy` below accepts both: it reduces each value of
a nest on its own, and reduces scalars across replicas only. Every other
call behaves as in TensorFlow's class.
"""

import tensorflow as tf


class MultiWorkerMirroredStrategy(tf.distribute.MultiWorkerMirroredStrategy):
    """`tf.distribute.MultiWorkerMirroredStrategy` that Keras 3 can fit."""

    def reduce(self, reduce_op, value, axis=None):
        def reduce_one(item):
            item_axis = axis
            if item_axis is not None:
                local = self.experimental_local_results(item)[0]
                if local.shape.rank == 0:
                    item_axis = None
            return super(MultiWorkerMirroredStrategy, self).reduce(
                reduce_op, item, axis=item_axis
            )

        return tf.nest.map_structure(reduce_one, value)


def make_strategy(name, logical_cpus=None):
    """The strategy for `--strategy`: `"default"` gives None.

    Args:
        name: `"default"`, `"mirrored"` or `"multiworker"`.
        logical_cpus: int or None. With `"mirrored"`, mirror over this many
            logical CPU devices (`/cpu:0`...) instead of the GPUs.
    """
    if name == "mirrored":
        devices = None
        if logical_cpus:
            devices = [f"/cpu:{i}" for i in range(logical_cpus)]
        return tf.distribute.MirroredStrategy(devices)
    if name == "multiworker":
        return MultiWorkerMirroredStrategy()
    return None
