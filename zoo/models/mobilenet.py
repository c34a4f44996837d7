"""MobileNet-style classifiers sized for 28x28 inputs.

`keras.applications.MobileNet` and `MobileNetV2` need inputs of at least
32x32 and downsample 32x. These builders keep the papers' blocks but start
with a stride-1 stem and use a stride schedule that downsamples 8x, so a
28x28 digit ends as a 4x4 feature map instead of vanishing.

Reference:
    - [Howard et al., MobileNets, 2017](https://arxiv.org/abs/1704.04861)
    - [Sandler et al., MobileNetV2: Inverted Residuals and Linear
      Bottlenecks, 2018](https://arxiv.org/abs/1801.04381)
"""

import math

from keras import layers

from zoo.models import common
from zoo.utils import validation

# (filters, strides) of each depthwise-separable block: the paper's
# schedule without the stem stride and with the last stride-2 block kept
# at stride 1 (28 -> 14 -> 7 -> 4).
V1_BLOCKS = (
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
    (256, 1),
    (512, 2),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (1024, 1),
    (1024, 1),
)

# (filters, repeats, strides) of each inverted-residual stage: the paper's
# table with the stem stride and the last two stride-2 stages at stride 1.
V2_STAGES = (
    (16, 1, 1),
    (24, 2, 2),
    (32, 3, 2),
    (64, 4, 2),
    (96, 3, 1),
    (160, 3, 1),
    (320, 1, 1),
)

STEM_FILTERS = 32


def make_divisible(value, divisor=8):
    """Rounds a scaled channel count to a multiple of `divisor`.

    Same rule as the MobileNet reference code: round to the nearest
    multiple, but never drop more than 10% below `value`.
    """
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def apply_depthwise_separable_block(
    x, filters, strides=1, depth_multiplier=1, name="block"
):
    """MobileNet-v1 block: DW 3x3 -> BN -> ReLU6 -> PW 1x1 -> BN -> ReLU6.

    Args:
        x: `(batch, height, width, channels)` tensor.
        filters: int. Output channels of the pointwise conv.
        strides: int. Strides of the depthwise conv. Defaults to 1.
        depth_multiplier: int. Depthwise channels per input channel.
            Defaults to 1.
        name: str. Prefix of the layer names. Defaults to `"block"`.

    Returns:
        The block's output tensor.
    """
    x = layers.DepthwiseConv2D(
        3,
        strides=strides,
        padding="same",
        depth_multiplier=depth_multiplier,
        use_bias=False,
        name=f"{name}_dw",
    )(x)
    x = _bn_relu6(x, f"{name}_dw")
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_pw")(x)
    return _bn_relu6(x, f"{name}_pw")


def apply_inverted_residual_block(
    x, filters, expansion=6, strides=1, name="block"
):
    """MobileNet-v2 block: expand 1x1 -> DW 3x3 -> linear project 1x1.

    The expansion and depthwise convs are followed by batch norm and ReLU6;
    the projection has batch norm but no activation (the linear
    bottleneck). The input is added back when `strides == 1` and the
    channel count does not change.

    Args:
        x: `(batch, height, width, channels)` tensor.
        filters: int. Output channels of the projection.
        expansion: int. Hidden channels = `expansion * input channels`; 1
            skips the expansion conv. Defaults to 6.
        strides: int. Strides of the depthwise conv. Defaults to 1.
        name: str. Prefix of the layer names. Defaults to `"block"`.

    Returns:
        The block's output tensor.
    """
    in_channels = x.shape[-1]
    shortcut = x
    if expansion != 1:
        x = layers.Conv2D(
            in_channels * expansion, 1, use_bias=False, name=f"{name}_expand"
        )(x)
        x = _bn_relu6(x, f"{name}_expand")
    x = layers.DepthwiseConv2D(
        3, strides=strides, padding="same", use_bias=False, name=f"{name}_dw"
    )(x)
    x = _bn_relu6(x, f"{name}_dw")
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_project")(x)
    x = layers.BatchNormalization(name=f"{name}_project_bn")(x)
    if strides == 1 and in_channels == filters:
        x = layers.Add(name=f"{name}_add")([shortcut, x])
    return x


def mobilenet_v1_style(
    input_shape=(28, 28, 1),
    num_classes=10,
    alpha=1.0,
    depth_multiplier=1,
    blocks=V1_BLOCKS,
    dropout_rate=0.0,
    name="mobilenet_v1_style",
):
    """A MobileNet-v1 classifier built from depthwise-separable blocks.

    Stem `Conv2D(32 * alpha, 3)` -> BN -> ReLU6, then one
    `apply_depthwise_separable_block` per entry of `blocks`, global average
    pooling, optional dropout and a softmax. A depthwise-separable block
    costs about `1/filters + 1/9` of a standard 3x3 conv of the same width.

    Args:
        input_shape: tuple of 3 ints. `(height, width, channels)` of the raw
            0-255 images. Defaults to `(28, 28, 1)`.
        num_classes: int. Number of classes. Defaults to 10.
        alpha: float. Width multiplier: every layer has `alpha` times the
            channels (rounded to a multiple of 8), so the parameters and
            FLOPs scale by about `alpha**2`. Defaults to 1.
        depth_multiplier: int. Depthwise channels per input channel.
            Defaults to 1.
        blocks: sequence of `(filters, strides)` pairs. Defaults to
            `V1_BLOCKS` (13 blocks, 8x downsampling).
        dropout_rate: float in [0, 1). Dropout before the classifier.
            Defaults to 0.
        name: str. Model name. Defaults to `"mobilenet_v1_style"`.

    Returns:
        An uncompiled functional `keras.Model` mapping raw pixels to class
        probabilities. Layers are named `stem_conv`, `block{i}_dw`,
        `block{i}_dw_bn`, `block{i}_dw_relu`, `block{i}_pw`, ...,
        `avg_pool`, `predictions`.

    Raises:
        ValueError: for a malformed argument, or an input smaller than the
            total downsampling factor.

    Example:

    >>> model = mobilenet_v1_style(alpha=0.25)
    >>> model.get_layer("block13_pw").output.shape
    (None, 4, 4, 256)
    """
    validation.positive_int(depth_multiplier, "depth_multiplier")
    input_shape, alpha, blocks = _check_arguments(
        "mobilenet_v1_style",
        input_shape,
        num_classes,
        alpha,
        dropout_rate,
        blocks,
        "blocks",
        ("filters", "strides"),
    )

    inputs, x = _stem(input_shape, alpha)
    for i, (filters, strides) in enumerate(blocks, start=1):
        x = apply_depthwise_separable_block(
            x,
            make_divisible(filters * alpha),
            strides=strides,
            depth_multiplier=depth_multiplier,
            name=f"block{i}",
        )
    outputs = _head(x, num_classes, dropout_rate)
    return common.functional_model(inputs, outputs, name)


def mobilenet_v2_style(
    input_shape=(28, 28, 1),
    num_classes=10,
    alpha=1.0,
    expansion=6,
    stages=V2_STAGES,
    head_filters=1280,
    dropout_rate=0.0,
    name="mobilenet_v2_style",
):
    """A MobileNet-v2 classifier built from inverted residual blocks.

    Stem `Conv2D(32 * alpha, 3)` -> BN -> ReLU6, then for each stage
    `(filters, repeats, strides)` that many
    `apply_inverted_residual_block`s (only the first one strided), a 1x1
    head conv -> BN -> ReLU6, global average pooling and a softmax. As in
    the paper, the very first block does not expand its input.

    Args:
        input_shape: tuple of 3 ints. `(height, width, channels)` of the raw
            0-255 images. Defaults to `(28, 28, 1)`.
        num_classes: int. Number of classes. Defaults to 10.
        alpha: float. Width multiplier of every block (rounded to a
            multiple of 8); the head only grows when `alpha > 1`, as in the
            paper. Defaults to 1.
        expansion: int. Expansion factor of the inverted residuals.
            Defaults to 6.
        stages: sequence of `(filters, repeats, strides)` triples. Defaults
            to `V2_STAGES` (17 blocks, 8x downsampling).
        head_filters: int. Channels of the final 1x1 conv. Defaults to 1280.
        dropout_rate: float in [0, 1). Dropout before the classifier.
            Defaults to 0.
        name: str. Model name. Defaults to `"mobilenet_v2_style"`.

    Returns:
        An uncompiled functional `keras.Model` mapping raw pixels to class
        probabilities. After `stem_conv`, block `i` has `block{i}_expand`
        (not in block 1), `block{i}_dw`, `block{i}_project` and, where
        stride and width allow the shortcut, `block{i}_add`; then come
        `head_conv`, `avg_pool` and `predictions`.

    Raises:
        ValueError: for a malformed argument, or an input smaller than the
            total downsampling factor.

    Example:

    >>> model = mobilenet_v2_style(alpha=0.5, head_filters=256)
    >>> model.get_layer("head_conv").output.shape
    (None, 4, 4, 256)
    """
    validation.positive_int(expansion, "expansion")
    validation.positive_int(head_filters, "head_filters")
    input_shape, alpha, stages = _check_arguments(
        "mobilenet_v2_style",
        input_shape,
        num_classes,
        alpha,
        dropout_rate,
        stages,
        "stages",
        ("filters", "repeats", "strides"),
    )

    inputs, x = _stem(input_shape, alpha)
    index = 0
    for filters, repeats, strides in stages:
        for repeat in range(repeats):
            index += 1
            x = apply_inverted_residual_block(
                x,
                make_divisible(filters * alpha),
                expansion=1 if index == 1 else expansion,
                strides=strides if repeat == 0 else 1,
                name=f"block{index}",
            )
    x = layers.Conv2D(
        make_divisible(head_filters * max(alpha, 1.0)),
        1,
        use_bias=False,
        name="head_conv",
    )(x)
    x = _bn_relu6(x, "head")
    outputs = _head(x, num_classes, dropout_rate)
    return common.functional_model(inputs, outputs, name)


def _check_arguments(
    builder, input_shape, num_classes, alpha, dropout_rate, value, arg, fields
):
    """Checks what both builders take; returns the input shape, `alpha`
    and the schedule `value` as a list of tuples of `fields` (the last
    one the strides)."""
    input_shape = common.image_input_shape(input_shape, builder)
    validation.positive_int(num_classes, "num_classes")
    alpha = common.positive_float(alpha, "alpha")
    validation.rate(dropout_rate, "dropout_rate")
    try:
        rows = [tuple(row) for row in value]
    except TypeError:
        rows = []
    if not rows or any(len(row) != len(fields) for row in rows):
        layout = "(" + ", ".join(fields) + ")"
        raise ValueError(
            f"`{builder}` expects `{arg}` to be a non-empty sequence of "
            f"{layout} tuples. Received: {arg}={value!r}"
        )
    for row in rows:
        for entry in row:
            validation.positive_int(entry, arg)
    common.check_downsampling(
        input_shape, math.prod(row[-1] for row in rows), builder
    )
    return input_shape, alpha, rows


def _bn_relu6(x, prefix):
    x = layers.BatchNormalization(name=f"{prefix}_bn")(x)
    return layers.ReLU(6.0, name=f"{prefix}_relu")(x)


def _stem(input_shape, alpha):
    inputs = layers.Input(shape=input_shape, name="pixels")
    x = common.rescale(inputs)
    x = layers.Conv2D(
        make_divisible(STEM_FILTERS * alpha),
        3,
        padding="same",
        use_bias=False,
        name="stem_conv",
    )(x)
    return inputs, _bn_relu6(x, "stem")


def _head(x, num_classes, dropout_rate):
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if dropout_rate:
        x = layers.Dropout(dropout_rate, name="dropout")(x)
    return common.classifier(x, num_classes)
