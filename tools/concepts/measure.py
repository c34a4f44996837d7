"""Measurements the guide sets next to the formulas: receptive fields from
input gradients, and wall-clock timings.

Keras 3 has no backend-neutral gradient API, so `input_gradient` asks the
active backend's own autodiff (TensorFlow's tape, `jax.grad`, torch's
autograd).
"""

import math
import time

import keras
import numpy as np
from keras import layers


def input_gradient(model, x, index):
    """Gradient of `sum(model(x)[index])` with respect to `x`, as numpy.

    Args:
        model: a keras model.
        x: float32 numpy batch.
        index: tuple of ints and slices selecting the output units.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            target = tf.reduce_sum(model(x, training=False)[index])
        return tape.gradient(target, x).numpy()
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        def target(v):
            return jnp.sum(model(v, training=False)[index])

        # One compiled gradient instead of thousands of eager dispatches.
        return np.asarray(jax.jit(jax.grad(target))(jnp.asarray(x)))
    if backend == "torch":
        import torch

        x = torch.tensor(x, requires_grad=True)
        model(x, training=False)[index].sum().backward()
        return x.grad.numpy()
    raise ValueError(
        "Measuring receptive fields needs the tensorflow, jax or torch "
        f"backend. Received: backend={backend!r}"
    )


def _fan_in(layer, shape):
    if isinstance(layer, layers.DepthwiseConv2D | layers.DepthwiseConv1D):
        return math.prod(shape[:-2])
    return math.prod(shape[:-1])


def positive_copy(model, seed=0):
    """A clone of `model` whose units all stay in their linear range.

    Kernels become positive with each unit's weights summing to at most 1,
    biases and shifts 0, scales and variances 1. On positive inputs every
    ReLU (and ReLU6) is then active and nothing saturates, so an input
    position has a non-zero gradient exactly when a path of taps connects
    it to the output: the measured support is the receptive field.
    """
    rng = np.random.default_rng(seed)
    clone = keras.models.clone_model(model)
    for layer in clone.layers:
        values = []
        for variable in layer.weights:
            shape = tuple(variable.shape)
            name = variable.path.rsplit("/", 1)[-1]
            if len(shape) >= 2:
                fan_in = _fan_in(layer, shape)
                values.append(rng.uniform(0.5, 1.0, shape) / fan_in)
            elif name in ("bias", "beta", "moving_mean"):
                values.append(np.zeros(shape))
            else:  # gamma, moving_variance, weight-norm gains
                values.append(np.ones(shape))
        if values:
            layer.set_weights([v.astype("float32") for v in values])
    return clone


def gradient_support(model, x, index):
    """Input positions (spatial axes only) with a non-zero gradient."""
    gradient = input_gradient(model, x, index)
    return np.any(gradient != 0, axis=(0, -1))


def extent(support):
    """Length of the smallest box holding the `True` entries, per axis."""
    sizes = []
    for axis in range(support.ndim):
        others = tuple(a for a in range(support.ndim) if a != axis)
        hits = np.flatnonzero(support.any(axis=others) if others else support)
        sizes.append(int(hits[-1] - hits[0] + 1) if hits.size else 0)
    return tuple(sizes)


def bounding_box(support):
    """The smallest box of `support` holding all its `True` entries,
    holes included."""
    corners = []
    for axis in range(support.ndim):
        others = tuple(a for a in range(support.ndim) if a != axis)
        hits = np.flatnonzero(support.any(axis=others) if others else support)
        corners.append(slice(hits[0], hits[-1] + 1))
    return support[tuple(corners)]


def visible_extent(row, out_size, in_size):
    """Part of the central unit's field that lies inside the input, from a
    `zoo.arithmetic.receptive_field` row (square fields)."""
    centre = row["start"] + (out_size // 2) * row["jump"]
    low = centre - (row["rf"] - 1) / 2
    high = centre + (row["rf"] - 1) / 2
    return int(min(high, in_size - 1) - max(low, 0) + 1)


def median_seconds(function, repeats, warmup=1):
    """Median wall time of `function()` over `repeats` calls."""
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))
