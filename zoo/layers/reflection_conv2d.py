"""A 2-D convolution whose "same"-size output uses reflection padding."""

import keras

from zoo.layers.dilated_conv import DilatedConv2D


@keras.saving.register_keras_serializable(package="zoo")
class ReflectionConv2D(DilatedConv2D):
    """Convolution that keeps the spatial size by reflecting the borders.

    Equivalent to `ReflectionPadding2D` followed by a `"valid"` `Conv2D`,
    with the pad sized from the effective kernel `k + (k - 1)(d - 1)` and
    split like keras' `"same"` padding. Reflection avoids the dark frame
    that zero padding adds around every feature map, which matters for
    images whose borders carry signal (medical scans, textures, style
    transfer).

    Args:
        filters: int. Number of output channels.
        kernel_size: int or tuple of 2 ints. Kernel height and width.
        strides: int or tuple of 2 ints. Defaults to 1.
        dilation_rate: int or tuple of 2 ints. May be > 1 together with
            `strides > 1`. Defaults to 1.
        data_format: str. `"channels_last"` or `"channels_first"`. Defaults
            to the Keras config value.
        **kwargs: every other `DilatedConv2D` argument (`activation`,
            `use_bias`, initializers, regularizers, constraints, `name`...)
            except `padding`, which is always `"reflect"`.

    Input shape:
        `(batch, height, width, channels)` (`channels_last`) or
        `(batch, channels, height, width)` (`channels_first`).

    Output shape:
        `(batch, ceil(height / sh), ceil(width / sw), filters)` or its
        `channels_first` transpose.

    Raises:
        ValueError: as `DilatedConv2D`; when `padding` is passed with another
            value; at build time when the reflection pad is not smaller than
            the input on an axis (the message names the axis and sizes).

    Example:

    >>> x = keras.ops.ones((2, 28, 28, 3))
    >>> ReflectionConv2D(8, 5, strides=2)(x).shape
    (2, 14, 14, 8)
    """

    def __init__(
        self, filters, kernel_size, strides=1, dilation_rate=1, **kwargs
    ):
        padding = kwargs.pop("padding", "reflect")
        if padding != "reflect":
            raise ValueError(
                "`ReflectionConv2D` always uses padding='reflect'; use "
                "`DilatedConv2D` for other modes. "
                f"Received: padding={padding!r}"
            )
        super().__init__(
            filters,
            kernel_size,
            strides=strides,
            dilation_rate=dilation_rate,
            padding="reflect",
            **kwargs,
        )
