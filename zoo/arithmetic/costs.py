"""Parameters and FLOPs of each layer, from the layers' hyper-parameters.

Conventions (those of the tutorials and of TensorFlow's profiler):

- One multiply-add is 2 FLOPs. A convolution costs
  `2 * Kh * Kw * (Cin / groups) * Cout * Hout * Wout`, a dense layer
  `2 * in * out` per position it is applied to.
- Bias adds, activations, normalization, merges (Add, Concatenate),
  padding, reshapes and dropout count 0: they are linear in the tensor
  size and small next to the multiply-adds. (TensorFlow's profiler does
  count `BiasAdd`, one FLOP per output element.)
- Depthwise convs cost `2 * Kh * Kw * Cin * depth_multiplier * Hout *
  Wout`; separable convs add the pointwise part
  `2 * Cin * depth_multiplier * Cout * Hout * Wout`.
- `TCNBlock` and `TCN` cost the sum of their dilated convs and 1x1
  shortcut projections, `2 * k * Cin * Cout * steps` each.
- Pooling costs one operation per window element:
  `Kh * Kw * C * Hout * Wout`; global pooling one per input element.
- FLOPs are per example (batch size 1). A layer whose cost is not
  modelled, or whose spatial size is unknown (`None`), gets `None`.
"""

import math

import keras
from keras import layers

from zoo.arithmetic import graph

ZERO_COST_LAYERS = graph.POINTWISE_LAYERS + (
    graph.PADDING_LAYERS
    + graph.CROPPING_LAYERS
    + (
        layers.Flatten,
        layers.Reshape,
        layers.Permute,
        layers.RepeatVector,
        layers.Embedding,
    )
)
GLOBAL_POOLING = tuple(
    g for g in graph.GLOBAL_LAYERS if g is not layers.Flatten
)


def _is_separable(layer):
    return hasattr(layer, "depth_multiplier") and hasattr(layer, "filters")


def _is_depthwise(layer):
    return hasattr(layer, "depth_multiplier") and not hasattr(layer, "filters")


def _is_conv(layer):
    return (
        hasattr(layer, "filters")
        and hasattr(layer, "kernel_size")
        and not isinstance(layer, graph.UNSUPPORTED_WINDOWS)
    )


def _data_format(layer):
    return getattr(layer, "data_format", "channels_last")


def _in_channels(layer):
    return graph.channel_dim(graph.input_shape(layer), _data_format(layer))


def _out_positions(layer):
    """Output positions per example (`None` if a size is unknown)."""
    shape = tuple(graph.tensors_out(layer)[0].shape)
    dims = graph.spatial_dims(shape, _data_format(layer))
    if any(d is None for d in dims):
        return None
    return math.prod(dims)


def _kernel_taps(layer):
    kernel = layer.kernel_size
    return kernel if isinstance(kernel, int) else math.prod(kernel)


def _times(count, positions):
    return None if positions is None else count * positions


# --- parameters -----------------------------------------------------------


def _conv_params(layer, cin):
    groups = getattr(layer, "groups", 1)
    params = _kernel_taps(layer) * cin // groups * layer.filters
    if getattr(layer, "weight_norm", False):
        params += layer.filters  # the per-filter gain g
    return params + layer.filters * layer.use_bias


def _tcn_block_params(block, cin):
    f = block.filters
    params = _conv_params(block.conv1, cin) + _conv_params(block.conv2, f)
    if cin != f:
        params += _conv_params(block.downsample, cin)
    for norm in (block.norm1, block.norm2):
        if norm is not None:
            params += norm.count_params()
    return params


def layer_params(layer):
    """Number of weights of `layer` in a built model, from its formula.

    `(K * Cin / groups + 1) * Cout` for convs (plus `Cout` weight-norm
    gains), `K * Cin * dm (+ Cin * dm)` for depthwise convs, depthwise plus
    `Cin * dm * Cout (+ Cout)` for separable convs, `(in + 1) * out` for
    Dense, `4 C` for batch normalization (2 C of them non-trainable), the
    sum of the dilated convs, 1x1 shortcut and norms for `TCNBlock` and
    `TCN`. Other layers report `layer.count_params()`.

    Args:
        layer: a built layer of a functional or Sequential model.

    Returns:
        An int.

    Example:

    >>> inputs = keras.Input((28, 28, 1))
    >>> conv = keras.layers.Conv2D(32, 3)
    >>> _ = conv(inputs)
    >>> layer_params(conv)
    320
    """
    if isinstance(layer, graph.POINTWISE_LAYERS) and not isinstance(
        layer, (layers.Dense, layers.BatchNormalization)
    ):
        return layer.count_params()
    if graph.is_tcn(layer):
        cin, total = _in_channels(layer), 0
        for block in layer.blocks:
            total += _tcn_block_params(block, cin)
            cin = block.filters
        return total
    if graph.is_tcn_block(layer):
        return _tcn_block_params(layer, _in_channels(layer))
    if isinstance(layer, layers.Dense):
        cin = graph.input_shape(layer)[-1]
        return (cin + layer.use_bias) * layer.units
    if isinstance(layer, layers.BatchNormalization):
        channels = graph.input_shape(layer)[layer.axis]
        return channels * (2 + layer.center + layer.scale)
    if _is_depthwise(layer) or _is_separable(layer):
        cin = _in_channels(layer)
        mid = cin * layer.depth_multiplier
        params = _kernel_taps(layer) * mid
        if _is_separable(layer):
            return params + mid * layer.filters + layer.filters * layer.use_bias
        return params + mid * layer.use_bias
    if _is_conv(layer):
        return _conv_params(layer, _in_channels(layer))
    return layer.count_params()


# --- FLOPs ----------------------------------------------------------------


def separable_flops(layer):
    """`(depthwise, pointwise)` FLOPs of a separable conv layer.

    Works for keras' `SeparableConv1D/2D` and the zoo's
    `DepthwiseSeparableConv2D`; either part is `None` when the output size
    is unknown.
    """
    positions = _out_positions(layer)
    mid = _in_channels(layer) * layer.depth_multiplier
    depthwise = _times(2 * _kernel_taps(layer) * mid, positions)
    pointwise = _times(2 * mid * layer.filters, positions)
    return depthwise, pointwise


def _tcn_block_flops(block, cin, steps):
    if steps is None:
        return None
    f, k = block.filters, block.kernel_size
    macs = k * cin * f + k * f * f + (cin * f if cin != f else 0)
    return 2 * macs * steps


def layer_flops(layer):
    """FLOPs of one layer for one example, with the module's conventions.

    Args:
        layer: a built layer of a functional or Sequential model.

    Returns:
        An int, or `None` for a layer whose cost is not modelled or whose
        spatial size is unknown.

    Example:

    >>> inputs = keras.Input((28, 28, 1))
    >>> conv = keras.layers.Conv2D(32, 3)
    >>> _ = conv(inputs)
    >>> layer_flops(conv)  # 2 * 3 * 3 * 1 * 32 * 26 * 26
    389376
    """
    if graph.is_tcn(layer):
        cin, steps, total = _in_channels(layer), graph.input_shape(layer)[1], 0
        for block in layer.blocks:
            flops = _tcn_block_flops(block, cin, steps)
            if flops is None:
                return None
            total += flops
            cin = block.filters
        return total
    if graph.is_tcn_block(layer):
        steps = graph.input_shape(layer)[1]
        return _tcn_block_flops(layer, _in_channels(layer), steps)
    if isinstance(layer, layers.Dense):
        shape = graph.input_shape(layer)
        positions = math.prod(shape[1:-1]) if None not in shape[1:] else None
        return _times(2 * shape[-1] * layer.units, positions)
    if isinstance(layer, ZERO_COST_LAYERS):
        return 0
    if isinstance(layer, GLOBAL_POOLING):
        shape = graph.input_shape(layer)[1:]
        return None if None in shape else math.prod(shape)
    if _is_separable(layer):
        depthwise, pointwise = separable_flops(layer)
        return None if depthwise is None else depthwise + pointwise
    if _is_depthwise(layer):
        mid = _in_channels(layer) * layer.depth_multiplier
        return _times(2 * _kernel_taps(layer) * mid, _out_positions(layer))
    if _is_conv(layer):
        groups = getattr(layer, "groups", 1)
        macs = _kernel_taps(layer) * _in_channels(layer) // groups
        return _times(2 * macs * layer.filters, _out_positions(layer))
    if isinstance(layer, keras.Model) and getattr(layer, "inputs", None):
        flops = count_flops(layer).values()
        return None if None in flops else sum(flops)
    if hasattr(layer, "pool_size") and hasattr(layer, "strides"):
        pool = layer.pool_size
        taps = pool if isinstance(pool, int) else math.prod(pool)
        channels = graph.channel_dim(
            graph.input_shape(layer), _data_format(layer)
        )
        return _times(taps * channels, _out_positions(layer))
    return None


def count_flops(model):
    """FLOPs per layer of a functional or Sequential model.

    See the module docstring for the conventions: 2 FLOPs per
    multiply-add, bias adds and element-wise layers free, pooling one
    operation per window element, per example.

    Args:
        model: a functional `keras.Model`, or a `keras.Sequential` started
            with `keras.Input`.

    Returns:
        A dict `{layer name: FLOPs}` in `model.layers` order; a value is
        `None` where the cost is not modelled or the size is unknown.
        `sum(count_flops(model).values())` is the model's total when no
        value is `None`.

    Raises:
        ValueError: when `model` is not a keras model with a layer graph.

    Example:

    >>> inputs = keras.Input((28, 28, 1), name="pixels")
    >>> x = keras.layers.Conv2D(32, 3, name="conv")(inputs)
    >>> x = keras.layers.MaxPooling2D(2, name="pool")(x)
    >>> count_flops(keras.Model(inputs, x))
    {'pixels': 0, 'conv': 389376, 'pool': 21632}
    """
    graph.check_model(model)
    return {layer.name: layer_flops(layer) for layer in model.layers}
