"""Depthwise-separable 2-D convolution (MobileNet's building block)."""

import keras
from keras import ops

from zoo.utils import conv_utils
from zoo.utils import validation


@keras.saving.register_keras_serializable(package="zoo")
class DepthwiseSeparableConv2D(keras.layers.Layer):
    """Depthwise `k x k` convolution per channel, then a pointwise `1 x 1`.

    A standard convolution mixes space and channels in one step and costs
    `2 * k * k * Cin * Cout * H * W` FLOPs. Splitting it into a depthwise
    step (`2 * k * k * Cin * H * W`) and a pointwise step
    (`2 * Cin * Cout * H * W`) cuts the cost by roughly `1/Cout + 1/k**2`,
    8-9x for 3x3 kernels. Weights are named and shaped like those of
    `keras.layers.SeparableConv2D` (`depthwise_kernel`, `pointwise_kernel`,
    `bias`), and with the same weights the outputs are equal.

    Args:
        filters: int. Number of output channels of the pointwise step.
        kernel_size: int or tuple of 2 ints. Depthwise kernel size.
        strides: int or tuple of 2 ints. Depthwise strides. Defaults to 1.
        padding: str. One of `"valid"`, `"same"`, `"reflect"`. Defaults to
            `"valid"`.
        depth_multiplier: int. Depthwise output channels per input channel.
            Defaults to 1.
        dilation_rate: int or tuple of 2 ints. Cannot be > 1 together with
            `strides > 1`. Defaults to 1.
        data_format: str. `"channels_last"` or `"channels_first"`. Defaults
            to the Keras config value.
        activation: activation applied after the pointwise step. Defaults to
            `None`.
        use_bias: bool. Adds a bias after the pointwise step. Defaults to
            `True`.
        depthwise_initializer: Defaults to `"glorot_uniform"`.
        pointwise_initializer: Defaults to `"glorot_uniform"`.
        bias_initializer: Defaults to `"zeros"`.
        depthwise_regularizer: optional regularizer.
        pointwise_regularizer: optional regularizer.
        bias_regularizer: optional regularizer.
        activity_regularizer: optional regularizer for the output.
        depthwise_constraint: optional constraint.
        pointwise_constraint: optional constraint.
        bias_constraint: optional constraint.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        `(batch, height, width, channels)` (`channels_last`) or
        `(batch, channels, height, width)` (`channels_first`).

    Output shape:
        `(batch, new_height, new_width, filters)` or its `channels_first`
        transpose.

    Raises:
        ValueError: for non-positive sizes, an unknown `padding`, or
            `strides > 1` with `dilation_rate > 1`; at build time for a
            reflection pad not smaller than the input.

    Example:

    >>> x = keras.ops.ones((2, 28, 28, 16))
    >>> DepthwiseSeparableConv2D(32, 3, strides=2, padding="same")(x).shape
    (2, 14, 14, 32)

    Reference:
        - [Howard et al., MobileNets, 2017](https://arxiv.org/abs/1704.04861)
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        depth_multiplier=1,
        dilation_rate=1,
        data_format=None,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        pointwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        pointwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        pointwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = validation.positive_int(filters, "filters")
        self.kernel_size = validation.standardize_tuple(
            kernel_size, 2, "kernel_size"
        )
        self.strides = validation.standardize_tuple(strides, 2, "strides")
        self.dilation_rate = validation.standardize_tuple(
            dilation_rate, 2, "dilation_rate"
        )
        validation.check_strides_and_dilation(self.strides, self.dilation_rate)
        self.padding = validation.standardize_padding(
            padding, ("valid", "same", "reflect")
        )
        self.depth_multiplier = validation.positive_int(
            depth_multiplier, "depth_multiplier"
        )
        self.data_format = validation.standardize_data_format(data_format)
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = keras.initializers.get(
            depthwise_initializer
        )
        self.pointwise_initializer = keras.initializers.get(
            pointwise_initializer
        )
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.depthwise_regularizer = keras.regularizers.get(
            depthwise_regularizer
        )
        self.pointwise_regularizer = keras.regularizers.get(
            pointwise_regularizer
        )
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.depthwise_constraint = keras.constraints.get(depthwise_constraint)
        self.pointwise_constraint = keras.constraints.get(pointwise_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.input_spec = keras.layers.InputSpec(ndim=4)

    @property
    def effective_kernel_size(self):
        """Footprint of the dilated depthwise kernel per axis."""
        return tuple(
            conv_utils.effective_kernel_size(k, d)
            for k, d in zip(self.kernel_size, self.dilation_rate)
        )

    @property
    def channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _spatial_axes(self):
        return (1, 2) if self.data_format == "channels_last" else (2, 3)

    def _reflect_pads(self):
        return [
            conv_utils.reflect_pad_amounts(k, d)
            for k, d in zip(self.kernel_size, self.dilation_rate)
        ]

    def _check_spatial_sizes(self, shape):
        axes = self._spatial_axes()
        for axis, k_eff, pads in zip(
            axes, self.effective_kernel_size, self._reflect_pads()
        ):
            size = shape[axis]
            if size is None:
                continue
            if self.padding == "reflect" and max(pads) >= size:
                raise ValueError(
                    f"Reflection padding must be smaller than the input size "
                    f"on each padded axis. Axis {axis} has size {size} but "
                    f"the effective kernel size {k_eff} needs "
                    f"padding={tuple(pads)}. Received input shape "
                    f"{tuple(shape)}."
                )
            if self.padding == "valid" and size < k_eff:
                raise ValueError(
                    f"The input is smaller than the effective kernel size on "
                    f"axis {axis}: size {size} < {k_eff} with padding="
                    f"'valid'. Received input shape {tuple(shape)}."
                )

    def build(self, input_shape):
        channels = input_shape[self.channel_axis]
        if channels is None:
            raise ValueError(
                f"The channel dimension of the inputs to {self.name} must be "
                f"defined. Received input shape {tuple(input_shape)}."
            )
        self._check_spatial_sizes(input_shape)
        self.input_spec = keras.layers.InputSpec(
            ndim=4, axes={self.channel_axis: channels}
        )
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel",
            shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel",
            shape=(1, 1, channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer,
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.filters,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None

    def call(self, inputs):
        padding = self.padding
        x = inputs
        if padding == "reflect":
            self._check_spatial_sizes(inputs.shape)
            pad_width = [[0, 0]] * 4
            for axis, pads in zip(self._spatial_axes(), self._reflect_pads()):
                pad_width[axis] = list(pads)
            x = ops.pad(x, pad_width, mode="reflect")
            padding = "valid"
        outputs = ops.separable_conv(
            x,
            self.depthwise_kernel,
            self.pointwise_kernel,
            strides=self.strides,
            padding=padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )
        if self.use_bias:
            if self.data_format == "channels_last":
                bias_shape = (1, 1, 1, self.filters)
            else:
                bias_shape = (1, self.filters, 1, 1)
            outputs = ops.add(outputs, ops.reshape(self.bias, bias_shape))
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        output_shape = list(input_shape)
        for axis, k, s, d in zip(
            self._spatial_axes(),
            self.kernel_size,
            self.strides,
            self.dilation_rate,
        ):
            output_shape[axis] = conv_utils.conv_output_length(
                input_shape[axis], k, self.padding, stride=s, dilation=d
            )
        output_shape[self.channel_axis] = self.filters
        return tuple(output_shape)

    def get_config(self):
        config = super().get_config()
        ser_init = keras.initializers.serialize
        ser_reg = keras.regularizers.serialize
        ser_con = keras.constraints.serialize
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "depth_multiplier": self.depth_multiplier,
                "dilation_rate": self.dilation_rate,
                "data_format": self.data_format,
                "activation": keras.activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "depthwise_initializer": ser_init(self.depthwise_initializer),
                "pointwise_initializer": ser_init(self.pointwise_initializer),
                "bias_initializer": ser_init(self.bias_initializer),
                "depthwise_regularizer": ser_reg(self.depthwise_regularizer),
                "pointwise_regularizer": ser_reg(self.pointwise_regularizer),
                "bias_regularizer": ser_reg(self.bias_regularizer),
                "activity_regularizer": ser_reg(self.activity_regularizer),
                "depthwise_constraint": ser_con(self.depthwise_constraint),
                "pointwise_constraint": ser_con(self.pointwise_constraint),
                "bias_constraint": ser_con(self.bias_constraint),
            }
        )
        return config
