"""Walking a functional or Sequential model and reading layer geometry.

Everything here is duck-typed on the public attribute names that keras'
layers and the zoo's layers share (`kernel_size`, `strides`, `padding`,
`dilation_rate`, `data_format`, `pool_size`, ...), so a zoo layer needs no
special case unless its shape arithmetic differs.
"""

import keras
from keras import layers

from zoo.layers.reflection_padding import ReflectionPadding1D
from zoo.layers.reflection_padding import ReflectionPadding2D
from zoo.utils import conv_utils

GLOBAL_LAYERS = (
    layers.GlobalAveragePooling1D,
    layers.GlobalAveragePooling2D,
    layers.GlobalAveragePooling3D,
    layers.GlobalMaxPooling1D,
    layers.GlobalMaxPooling2D,
    layers.GlobalMaxPooling3D,
    layers.Flatten,
)
PADDING_LAYERS = (
    layers.ZeroPadding1D,
    layers.ZeroPadding2D,
    layers.ZeroPadding3D,
    ReflectionPadding1D,
    ReflectionPadding2D,
)
CROPPING_LAYERS = (layers.Cropping1D, layers.Cropping2D, layers.Cropping3D)
# Layers that act on each position (or each channel vector) separately, or
# merge same-shaped tensors: they leave the spatial geometry unchanged.
POINTWISE_LAYERS = (
    layers.InputLayer,
    layers.Activation,
    layers.ReLU,
    layers.LeakyReLU,
    layers.PReLU,
    layers.ELU,
    layers.Softmax,
    layers.BatchNormalization,
    layers.LayerNormalization,
    layers.GroupNormalization,
    layers.UnitNormalization,
    layers.Rescaling,
    layers.Normalization,
    layers.Dropout,
    layers.SpatialDropout1D,
    layers.SpatialDropout2D,
    layers.SpatialDropout3D,
    layers.GaussianNoise,
    layers.GaussianDropout,
    layers.AlphaDropout,
    layers.ActivityRegularization,
    layers.Identity,
    layers.Dense,
    layers.Add,
    layers.Subtract,
    layers.Multiply,
    layers.Average,
    layers.Maximum,
    layers.Minimum,
    layers.Concatenate,
)
UNSUPPORTED_WINDOWS = (
    layers.Conv1DTranspose,
    layers.Conv2DTranspose,
    layers.Conv3DTranspose,
    layers.RNN,
)


def check_model(model):
    """Returns `model` if its layer graph can be walked, else raises."""
    if not isinstance(model, keras.Model):
        raise ValueError(
            "Expected a keras.Model (functional or Sequential). "
            f"Received: model={model!r} of type {type(model).__name__}"
        )
    try:
        inputs = model.inputs
    except AttributeError:
        inputs = None
    if not inputs:
        raise ValueError(
            "The conv arithmetic walks the model's layer graph, so it needs "
            "a functional model or a Sequential model that starts with "
            "`keras.Input(shape)`; subclassed and unbuilt models have no "
            f"graph. Received: model={model.name!r} of type "
            f"{type(model).__name__}"
        )
    return model


def tensors_in(layer):
    """The tensors of a layer's first call (empty for an `InputLayer`)."""
    if isinstance(layer, layers.InputLayer):
        return []
    return keras.tree.flatten(layer.input)


def tensors_out(layer):
    return keras.tree.flatten(layer.output)


def input_shape(layer):
    """Shape of the layer's first input, batch axis included."""
    tensors = tensors_in(layer) or tensors_out(layer)
    return tuple(tensors[0].shape)


def spatial_dims(shape, data_format="channels_last"):
    """The spatial axes of a `(batch, *spatial, channels)` shape."""
    if data_format == "channels_first":
        return tuple(shape[2:])
    return tuple(shape[1:-1])


def channel_dim(shape, data_format="channels_last"):
    return shape[1] if data_format == "channels_first" else shape[-1]


def _as_tuple(value, rank):
    if isinstance(value, int):
        return (value,) * rank
    return tuple(value)


def window(kernel_size, stride, dilation, padding, size):
    """One axis of a conv or pool: `(k_eff, stride, pad_left)`.

    `pad_left` is what the receptive-field recurrence needs. Keras' "same"
    pads `max((ceil(n / s) - 1) s + k_eff - n, 0)` in all, the smaller half
    first, so with strides it depends on the input size `n`.
    """
    k_eff = conv_utils.effective_kernel_size(kernel_size, dilation)
    if padding == "valid":
        return k_eff, stride, 0
    if padding == "causal":
        return k_eff, stride, k_eff - 1
    if padding == "reflect":
        return k_eff, stride, conv_utils.reflect_pad_amounts(k_eff, 1)[0]
    if size is None:
        # Exact whenever the unknown size is a multiple of the stride.
        total = max(k_eff - stride, 0)
    else:
        out = -(-size // stride)
        total = max((out - 1) * stride + k_eff - size, 0)
    return k_eff, stride, total // 2


def _stage(layer, sizes, pool=False):
    rank = len(sizes)
    kernel = _as_tuple(layer.pool_size if pool else layer.kernel_size, rank)
    strides = _as_tuple(layer.strides or kernel, rank)
    dilation = _as_tuple(getattr(layer, "dilation_rate", 1), rank)
    return tuple(
        window(k, s, d, layer.padding, n)
        for k, s, d, n in zip(kernel, strides, dilation, sizes)
    )


def _pad_stage(pairs, sign):
    return tuple((1, 1, sign * before) for before, _ in pairs)


def _pairs(value, rank):
    """keras stores 1-D padding as `(before, after)`, N-D as pairs."""
    if rank == 1 and isinstance(value[0], int):
        return (tuple(value),)
    return tuple(tuple(pair) for pair in value)


class Footprint:
    """How a layer moves over its input's spatial axes.

    Attributes:
        windows: list of stages, each a tuple with one `(k_eff, stride,
            pad_left)` per spatial axis, applied in order.
        collapse: `None` (spatial axes stay), `"whole_input"` (global
            pooling, flatten: every input position is seen) or `"keep"`
            (the spatial axes go, the receptive field stays, as in a TCN
            returning one step).
    """

    def __init__(self, windows=(), collapse=None):
        self.windows = list(windows)
        self.collapse = collapse


def is_tcn(layer):
    """Duck-typed `zoo.layers.TCN` (or a look-alike with `blocks`)."""
    return hasattr(layer, "blocks") and hasattr(layer, "return_sequences")


def is_tcn_block(layer):
    """Duck-typed `zoo.layers.TCNBlock`: two dilated convs and a shortcut."""
    return hasattr(layer, "conv1") and hasattr(layer, "conv2")


def footprint(layer, sizes):
    """The `Footprint` of `layer` for input spatial sizes `sizes`.

    Returns `None` for layers whose geometry is not modelled (transposed
    convs, recurrent layers, reshapes, nested models, custom layers).
    """
    if is_tcn(layer):
        stages = [
            _stage(conv, sizes)
            for block in layer.blocks
            for conv in (block.conv1, block.conv2)
        ]
        return Footprint(stages, None if layer.return_sequences else "keep")
    if is_tcn_block(layer):
        return Footprint([_stage(c, sizes) for c in (layer.conv1, layer.conv2)])
    if isinstance(layer, GLOBAL_LAYERS):
        return Footprint(collapse="whole_input")
    if isinstance(layer, PADDING_LAYERS):
        return Footprint([_pad_stage(_pairs(layer.padding, len(sizes)), 1)])
    if isinstance(layer, CROPPING_LAYERS):
        pairs = _pairs(layer.cropping, len(sizes))
        return Footprint([_pad_stage(pairs, -1)])
    if isinstance(layer, POINTWISE_LAYERS):
        return Footprint()
    if isinstance(layer, (UNSUPPORTED_WINDOWS, keras.Model)):
        return None
    if all(hasattr(layer, a) for a in ("kernel_size", "strides", "padding")):
        return Footprint([_stage(layer, sizes)])
    if all(hasattr(layer, a) for a in ("pool_size", "strides", "padding")):
        return Footprint([_stage(layer, sizes, pool=True)])
    return None
