"""Reflection padding layers for 1-D sequences and 2-D images."""

import keras
from keras import ops

from zoo.utils import conv_utils
from zoo.utils import validation


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _as_tuple(value):
    try:
        return tuple(value)
    except TypeError:
        return None


def _standardize_pad_pairs(padding, rank):
    """Normalises int / per-axis / per-side padding to `rank` (before, after)
    pairs of non-negative ints.

    Errors quote `padding` exactly as passed, not the entry that failed, so
    the message points at what the user wrote.
    """
    if rank == 1:
        expected = "an int or (before, after)"
    else:
        expected = (
            "an int or ((top, bottom), (left, right)) or "
            "(symmetric_height, symmetric_width)"
        )

    def invalid(requirement):
        return ValueError(
            f"The `padding` argument must be {requirement}. "
            f"Received: padding={padding!r}"
        )

    if _is_int(padding):
        pairs = ((padding, padding),) * rank
    else:
        entries = _as_tuple(padding)
        if entries is None or len(entries) != (2 if rank == 1 else rank):
            raise invalid(expected)
        if rank == 1:
            pairs = (entries,)
        else:
            pairs = tuple(
                (entry, entry) if _is_int(entry) else _as_tuple(entry)
                for entry in entries
            )
    for pair in pairs:
        if pair is None or len(pair) != 2 or not all(map(_is_int, pair)):
            raise invalid(expected)
        if min(pair) < 0:
            raise invalid("non-negative")
    return tuple(tuple(pair) for pair in pairs)


class _ReflectionPadding(keras.layers.Layer):
    """Pads the spatial axes by reflecting the input at its borders."""

    rank = None

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = _standardize_pad_pairs(padding, self.rank)
        self.data_format = validation.standardize_data_format(data_format)
        self.input_spec = keras.layers.InputSpec(ndim=self.rank + 2)

    def _spatial_axes(self):
        return conv_utils.spatial_axes(self.rank, self.data_format)

    def _check_sizes(self, shape):
        conv_utils.check_reflect_pads(shape, self._spatial_axes(), self.padding)

    def build(self, input_shape):
        self._check_sizes(input_shape)

    def compute_output_shape(self, input_shape):
        self._check_sizes(input_shape)
        output_shape = list(input_shape)
        for axis, (before, after) in zip(self._spatial_axes(), self.padding):
            if output_shape[axis] is not None:
                output_shape[axis] += before + after
        return tuple(output_shape)

    def call(self, inputs):
        self._check_sizes(inputs.shape)
        pad_width = [[0, 0] for _ in range(self.rank + 2)]
        for axis, pair in zip(self._spatial_axes(), self.padding):
            pad_width[axis] = list(pair)
        return ops.pad(inputs, pad_width, mode="reflect")

    def get_config(self):
        config = super().get_config()
        padding = self.padding[0] if self.rank == 1 else self.padding
        config.update({"padding": padding, "data_format": self.data_format})
        return config


@keras.saving.register_keras_serializable(package="zoo")
class ReflectionPadding1D(_ReflectionPadding):
    """Reflection padding for sequences, like `numpy.pad(mode="reflect")`.

    The border sample is the mirror axis and is not repeated:
    `[1, 2, 3]` padded by 2 becomes `[3, 2, 1, 2, 3, 2, 1]`.

    Args:
        padding: int or tuple of 2 ints `(before, after)`. Number of steps
            added at the start and the end of the time axis. Each must be
            smaller than the input length. Defaults to 1.
        data_format: str. `"channels_last"` (`(batch, steps, channels)`) or
            `"channels_first"` (`(batch, channels, steps)`). Defaults to
            the Keras config value, usually `"channels_last"`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        3D tensor `(batch, steps, channels)` (`channels_last`) or
        `(batch, channels, steps)` (`channels_first`).

    Output shape:
        Same rank, with `steps + before + after` on the time axis.

    Raises:
        ValueError: for negative or malformed padding, and (at build or
            call time) when a pad is not smaller than the input length.

    Example:

    >>> x = keras.ops.reshape(keras.ops.arange(6.0), (1, 3, 2))
    >>> ReflectionPadding1D(2)(x).shape
    (1, 7, 2)
    """

    rank = 1


@keras.saving.register_keras_serializable(package="zoo")
class ReflectionPadding2D(_ReflectionPadding):
    """Reflection padding for images, like `numpy.pad(mode="reflect")`.

    Unlike zero padding, reflection keeps image statistics at the border
    (no dark frame for a convolution to respond to), which is why it is
    popular for medical images and image-to-image networks.

    Args:
        padding: int, tuple of 2 ints `(symmetric_height, symmetric_width)`
            or tuple of 2 tuples `((top, bottom), (left, right))`. Each pad
            must be smaller than the input size on its axis. Defaults to 1.
        data_format: str. `"channels_last"` (`(batch, height, width,
            channels)`) or `"channels_first"` (`(batch, channels, height,
            width)`). Defaults to the Keras config value.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        4D tensor `(batch, height, width, channels)` (`channels_last`) or
        `(batch, channels, height, width)` (`channels_first`).

    Output shape:
        4D tensor with `height + top + bottom` and `width + left + right`.

    Raises:
        ValueError: for negative or malformed padding, and (at build or
            call time) when a pad is not smaller than the input size on its
            axis; the message names the axis and both sizes.

    Example:

    >>> x = keras.ops.ones((2, 28, 28, 1))
    >>> ReflectionPadding2D(((1, 2), (3, 4)))(x).shape
    (2, 31, 35, 1)
    """

    rank = 2
