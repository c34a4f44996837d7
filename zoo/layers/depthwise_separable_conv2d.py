"""Depthwise-separable 2-D convolution (MobileNet's building block)."""

import keras
from keras import ops

from zoo.layers.base_conv import BaseConv
from zoo.utils import validation


@keras.saving.register_keras_serializable(package="zoo")
class DepthwiseSeparableConv2D(BaseConv):
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

    rank = 2
    # `ops.separable_conv` is kept whole; keras' SeparableConv2D rejects
    # strides > 1 with dilation_rate > 1 too.
    allow_strided_dilation = False
    weight_options = BaseConv.weight_options + (
        "depthwise_initializer",
        "pointwise_initializer",
        "depthwise_regularizer",
        "pointwise_regularizer",
        "depthwise_constraint",
        "pointwise_constraint",
    )

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
            depthwise_initializer=depthwise_initializer,
            pointwise_initializer=pointwise_initializer,
            bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            pointwise_regularizer=pointwise_regularizer,
            bias_regularizer=bias_regularizer,
            depthwise_constraint=depthwise_constraint,
            pointwise_constraint=pointwise_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
        self.depth_multiplier = validation.positive_int(
            depth_multiplier, "depth_multiplier"
        )

    def build(self, input_shape):
        super().build(input_shape)
        channels = input_shape[self.channel_axis]
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
        self.add_bias_weight()

    def _subsamples(self):
        # TensorFlow's CPU depthwise conv only takes equal strides.
        return super()._subsamples() or self.strides[0] != self.strides[1]

    def convolve(self, x, strides, padding):
        return ops.separable_conv(
            x,
            self.depthwise_kernel,
            self.pointwise_kernel,
            strides=strides,
            padding=padding,
            data_format="channels_last",
            dilation_rate=self.dilation_rate,
        )

    def get_config(self):
        config = super().get_config()
        config["depth_multiplier"] = self.depth_multiplier
        return config
