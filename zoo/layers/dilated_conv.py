"""Dilated convolutions with valid, same, causal and reflection padding."""

import keras
from keras import ops

from zoo.layers.base_conv import BaseConv


class BaseDilatedConv(BaseConv):
    """Shared logic of `DilatedConv1D`, `DilatedConv2D` and `ReflectionConv2D`.

    The kernel has the same shape and name as keras' `Conv{1,2}D` kernel, so
    weights can be copied between the two.
    """

    weight_options = BaseConv.weight_options + (
        "kernel_initializer",
        "kernel_regularizer",
        "kernel_constraint",
    )

    def __init__(
        self,
        filters,
        kernel_size,
        dilation_rate=1,
        strides=1,
        padding="valid",
        data_format=None,
        activation=None,
        use_bias=True,
        weight_norm=False,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            dilation_rate=dilation_rate,
            data_format=data_format,
            activation=activation,
            use_bias=use_bias,
            activity_regularizer=activity_regularizer,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
        self.weight_norm = bool(weight_norm)

    def build(self, input_shape):
        super().build(input_shape)
        input_channels = input_shape[self.channel_axis]
        kernel_shape = self.kernel_size + (input_channels, self.filters)
        self.kernel = self.add_weight(
            name="kernel",
            shape=kernel_shape,
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if self.weight_norm:
            # Weight normalisation (Salimans & Kingma, 2016): the kernel used
            # is g * v / ||v||, with g initialised to ||v|| so that training
            # starts from the same function as an unnormalised conv.
            self.weight_norm_g = self.add_weight(
                name="weight_norm_g",
                shape=(self.filters,),
                initializer=keras.initializers.Constant(
                    ops.convert_to_numpy(self._kernel_norm(self.kernel))
                ),
            )
        self.add_bias_weight()

    def _kernel_norm(self, kernel):
        axes = tuple(range(len(kernel.shape) - 1))
        return ops.sqrt(ops.sum(ops.square(kernel), axis=axes) + 1e-12)

    @property
    def conv_kernel(self):
        """The kernel the convolution uses (weight-normalised if enabled)."""
        if not self.weight_norm:
            return self.kernel
        kernel = ops.convert_to_tensor(self.kernel)
        return kernel * (self.weight_norm_g / self._kernel_norm(kernel))

    def convolve(self, x, strides, padding):
        return ops.conv(
            x,
            self.conv_kernel,
            strides=strides,
            padding=padding,
            data_format="channels_last",
            dilation_rate=self.dilation_rate,
        )

    def get_config(self):
        config = super().get_config()
        config["weight_norm"] = self.weight_norm
        return config


@keras.saving.register_keras_serializable(package="zoo")
class DilatedConv1D(BaseDilatedConv):
    """1-D dilated convolution with valid, same, causal or reflect padding.

    A dilation rate `d` spreads the `k` kernel taps `d` steps apart, so the
    kernel covers `k + (k - 1)(d - 1)` steps (`effective_kernel_size`) with
    only `k` weights. `padding="causal"` pads `(k_eff - 1)` zeros at the
    start only, so output `t` depends on inputs `<= t` (the building block
    of TCNs and WaveNet); `padding="reflect"` mirrors the sequence at both
    ends instead of adding zeros and keeps the length.

    Args:
        filters: int. Number of output channels.
        kernel_size: int or tuple of 1 int. Number of kernel taps.
        dilation_rate: int or tuple of 1 int. Spacing between taps.
            Defaults to 1.
        strides: int or tuple of 1 int. May be > 1 together with
            `dilation_rate > 1` (computed as the stride-1 dilated conv
            sampled every `strides` steps, on every backend). Defaults
            to 1.
        padding: str. One of `"valid"`, `"same"`, `"causal"`, `"reflect"`.
            Defaults to `"valid"`.
        data_format: str. `"channels_last"` or `"channels_first"`. Defaults
            to the Keras config value.
        activation: activation function or name. Defaults to `None`.
        use_bias: bool. Defaults to `True`.
        weight_norm: bool. Reparametrise the kernel as `g * v / ||v||`
            (weight normalisation, used by TCNs). Defaults to `False`.
        kernel_initializer: initializer for the kernel. Defaults to
            `"glorot_uniform"`.
        bias_initializer: initializer for the bias. Defaults to `"zeros"`.
        kernel_regularizer: optional regularizer for the kernel.
        bias_regularizer: optional regularizer for the bias.
        activity_regularizer: optional regularizer for the output.
        kernel_constraint: optional constraint for the kernel.
        bias_constraint: optional constraint for the bias.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        - If `data_format="channels_last"`: `(batch, steps, channels)`.
        - If `data_format="channels_first"`: `(batch, channels, steps)`.

    Output shape:
        - If `data_format="channels_last"`: `(batch, new_steps, filters)`.
        - If `data_format="channels_first"`: `(batch, filters, new_steps)`.
        `new_steps = floor((steps - k_eff) / strides) + 1` for `"valid"`,
        `ceil(steps / strides)` otherwise
        (`zoo.utils.conv_utils.conv_output_length`).

    Raises:
        ValueError: for non-positive `filters`, `kernel_size`,
            `dilation_rate` or `strides`, or an unknown `padding`; at build
            time for reflection padding that is not smaller than the
            input; at call time for `padding="same"` with `strides > 1`
            and `dilation_rate > 1` on an axis of unknown size.

    Example:

    >>> x = keras.ops.ones((4, 100, 3))
    >>> layer = DilatedConv1D(8, 3, dilation_rate=4, padding="causal")
    >>> layer(x).shape
    (4, 100, 8)
    >>> layer.effective_kernel_size
    (9,)

    Reference:
        - [Yu & Koltun, Multi-Scale Context Aggregation by Dilated
          Convolutions, 2016](https://arxiv.org/abs/1511.07122)
    """

    rank = 1
    allowed_padding = ("valid", "same", "causal", "reflect")

    def step(self, x_t, buffer):
        """One time step of a causal conv, for streaming inference.

        Args:
            x_t: tensor `(batch, channels)`, the input at time `t`.
            buffer: tensor `(batch, (k - 1) * d, channels)`, the last
                inputs of the conv, oldest first.

        Returns:
            `(y_t, new_buffer)`. The `k` taps are every `d`-th entry of
            buffer + new input, so the cost does not depend on how long
            the sequence has been running.
        """
        window = ops.concatenate([buffer, ops.expand_dims(x_t, 1)], axis=1)
        taps = window[:, :: self.dilation_rate[0], :]
        # Outside `__call__` keras does not autocast variables, so cast here
        # to keep mixed-precision policies working.
        kernel = ops.cast(self.conv_kernel, window.dtype)
        y = ops.einsum("bkc,kcf->bf", taps, kernel)
        if self.use_bias:
            y = y + ops.cast(self.bias, y.dtype)
        return y, window[:, 1:, :]

    def strided_causal(self, x, dilation, stride):
        """This conv's weights, causal, computed only where needed.

        Runs over `x` (channels_last) with `dilation` (in steps of `x`,
        which may itself be a subsampled sequence) and returns the outputs
        at every `stride`-th step counted back from the last one, skipping
        the work for the others: inputs that no kept output reads are
        cropped, and the conv itself is strided.
        """
        steps = x.shape[1]
        span = (self.kernel_size[0] - 1) * dilation
        first = (steps - 1) % stride
        if first > span:
            x = x[:, first - span :, :]
        elif first < span:
            x = ops.pad(x, [[0, 0], [span - first, 0], [0, 0]])
        kernel = ops.cast(self.conv_kernel, x.dtype)
        if stride == 1 or dilation == 1:
            y = ops.conv(x, kernel, strides=stride, dilation_rate=dilation)
        else:
            # TensorFlow rejects strides > 1 together with dilation > 1.
            y = ops.conv(x, kernel, dilation_rate=dilation)[:, ::stride, :]
        if self.use_bias:
            y = y + ops.cast(self.bias, y.dtype)
        return y


@keras.saving.register_keras_serializable(package="zoo")
class DilatedConv2D(BaseDilatedConv):
    """2-D dilated (atrous) convolution with valid, same or reflect padding.

    Each kernel axis covers `k + (k - 1)(d - 1)` pixels
    (`effective_kernel_size`) with only `k` weights, growing the receptive
    field without pooling. Stacking equal dilations (2, 2, 2) leaves holes
    in the receptive field ("gridding"); use a hybrid schedule such as
    (1, 2, 5) and check it with `zoo.arithmetic.has_gridding`.

    Args:
        filters: int. Number of output channels.
        kernel_size: int or tuple of 2 ints. Kernel height and width.
        dilation_rate: int or tuple of 2 ints. Defaults to 1.
        strides: int or tuple of 2 ints. May be > 1 together with
            `dilation_rate > 1` (computed as the stride-1 dilated conv
            sampled every `strides` pixels, on every backend). Defaults
            to 1.
        padding: str. One of `"valid"`, `"same"`, `"reflect"`. Defaults to
            `"valid"`.
        data_format: str. `"channels_last"` or `"channels_first"`. Defaults
            to the Keras config value.
        activation, use_bias, weight_norm, kernel_initializer,
            bias_initializer, kernel_regularizer, bias_regularizer,
            activity_regularizer, kernel_constraint, bias_constraint: as
            in `DilatedConv1D`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        - If `data_format="channels_last"`: `(batch, height, width,
          channels)`.
        - If `data_format="channels_first"`: `(batch, channels, height,
          width)`.

    Output shape:
        - If `data_format="channels_last"`: `(batch, new_height, new_width,
          filters)`.
        - If `data_format="channels_first"`: `(batch, filters, new_height,
          new_width)`.

    Raises:
        ValueError: for non-positive sizes or an unknown `padding`
            (`"causal"` is 1-D only); at build time for reflection padding
            not smaller than the input; at call time for `padding="same"`
            with `strides > 1` and `dilation_rate > 1` on an axis of
            unknown size.

    Example:

    >>> x = keras.ops.ones((2, 28, 28, 1))
    >>> DilatedConv2D(16, 3, dilation_rate=2, padding="reflect")(x).shape
    (2, 28, 28, 16)
    >>> DilatedConv2D(16, 3, dilation_rate=2, strides=2)(x).shape
    (2, 12, 12, 16)

    Reference:
        - [Wang et al., Understanding Convolution for Semantic
          Segmentation (hybrid dilated convolution), 2018](
          https://arxiv.org/abs/1702.08502)
    """

    rank = 2


@keras.saving.register_keras_serializable(package="zoo")
class CausalConv1D(DilatedConv1D):
    """`DilatedConv1D` with `padding="causal"` fixed: output `t` sees only
    inputs `<= t`.

    Args:
        filters: int. Number of output channels.
        kernel_size: int. Number of kernel taps.
        dilation_rate: int. Spacing between taps. Defaults to 1.
        **kwargs: every other `DilatedConv1D` argument except `padding`.

    Input shape:
        `(batch, steps, channels)` (`channels_last`) or
        `(batch, channels, steps)` (`channels_first`).

    Output shape:
        `(batch, ceil(steps / strides), filters)` or its `channels_first`
        transpose.

    Raises:
        ValueError: as `DilatedConv1D`, and when `padding` is passed.

    Example:

    >>> CausalConv1D(4, 2, dilation_rate=8)(keras.ops.ones((1, 32, 1))).shape
    (1, 32, 4)
    """

    def __init__(self, filters, kernel_size, dilation_rate=1, **kwargs):
        padding = kwargs.pop("padding", "causal")
        if padding != "causal":
            raise ValueError(
                "`CausalConv1D` always uses padding='causal'; use "
                "`DilatedConv1D` for other modes. "
                f"Received: padding={padding!r}"
            )
        super().__init__(
            filters,
            kernel_size,
            dilation_rate=dilation_rate,
            padding="causal",
            **kwargs,
        )
