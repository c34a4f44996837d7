"""Plain convolutional classifiers: the tutorial network and a VGG family.

Reference:
    - [Simonyan & Zisserman, Very Deep Convolutional Networks, 2015](
      https://arxiv.org/abs/1409.1556)
"""

from keras import layers

from zoo.layers import ReflectionConv2D
from zoo.models import common
from zoo.utils import conv_utils
from zoo.utils import validation

HEADS = ("flatten", "gap")


def seed_cnn(input_shape=(28, 28, 1), num_classes=10, name="seed_cnn"):
    """The tutorial MNIST network: two conv/pool stages and two dense layers.

    `Conv2D(32, 3, relu) -> MaxPool 2 -> Conv2D(64, 3, relu) -> MaxPool 2 ->
    Flatten -> Dense(64, relu) -> Dense(num_classes, softmax)`, with
    "valid" padding throughout: 121,930 parameters on 28x28x1 inputs. It is
    the baseline every other model in the zoo is compared with.

    Args:
        input_shape: tuple of 3 ints. `(height, width, channels)` of the raw
            0-255 images. Defaults to `(28, 28, 1)`.
        num_classes: int. Number of classes. Defaults to 10.
        name: str. Model name. Defaults to `"seed_cnn"`.

    Returns:
        An uncompiled functional `keras.Model` mapping raw pixels to class
        probabilities.

    Raises:
        ValueError: for a malformed `input_shape`, a non-positive
            `num_classes`, or an image smaller than 10x10 (the smallest
            size whose feature maps survive both stages).

    Example:

    >>> seed_cnn().count_params()
    121930
    """
    builder = "seed_cnn"
    input_shape = common.image_input_shape(input_shape, builder)
    validation.positive_int(num_classes, "num_classes")

    inputs = layers.Input(shape=input_shape, name="pixels")
    x = common.rescale(inputs)
    for block, filters in enumerate((32, 64), start=1):
        common.check_fits(x, 3, f"block{block}_conv", builder, input_shape)
        x = layers.Conv2D(
            filters, 3, activation="relu", name=f"block{block}_conv"
        )(x)
        common.check_fits(x, 2, f"block{block}_pool", builder, input_shape)
        x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(64, activation="relu", name="fc1")(x)
    outputs = common.classifier(x, num_classes)
    return common.functional_model(inputs, outputs, name)


def plain_cnn(
    input_shape=(28, 28, 1),
    num_classes=10,
    widths=(32, 64),
    convs_per_block=2,
    kernel_size=3,
    batch_norm=True,
    dropout_rate=0.0,
    padding="same",
    head="flatten",
    dense_units=(128,),
    head_dropout_rate=0.0,
    name="plain_cnn",
):
    """A VGG-like classifier: blocks of 3x3 convs, each block max-pooled.

    Block `b` has `convs_per_block` convolutions of `widths[b]` filters,
    each followed by batch norm (optional) and ReLU, then a 2x2 max pool
    and optional dropout. The head flattens (or global-average-pools) the
    last feature map and applies `dense_units` ReLU layers before the
    softmax. `padding="reflect"` uses `zoo.layers.ReflectionConv2D`, which
    keeps the size like `"same"` but mirrors the border instead of adding
    zeros.

    Args:
        input_shape: tuple of 3 ints. `(height, width, channels)` of the raw
            0-255 images. Defaults to `(28, 28, 1)`.
        num_classes: int. Number of classes. Defaults to 10.
        widths: sequence of ints. Filters of each block. Defaults to
            `(32, 64)`.
        convs_per_block: int or sequence of ints (one per block). Defaults
            to 2.
        kernel_size: int. Conv kernel size. Defaults to 3.
        batch_norm: bool. Batch norm after every conv (the convs then have
            no bias). Defaults to `True`.
        dropout_rate: float in [0, 1). Dropout after each block's pool.
            Defaults to 0.
        padding: str. `"same"` or `"reflect"`. Defaults to `"same"`.
        head: str. `"flatten"` or `"gap"` (global average pooling).
            Defaults to `"flatten"`.
        dense_units: sequence of ints. Hidden dense layers of the head.
            Defaults to `(128,)`.
        head_dropout_rate: float in [0, 1). Dropout after each dense layer
            of the head (or before the classifier when there is none).
            Defaults to 0.
        name: str. Model name. Defaults to `"plain_cnn"`.

    Returns:
        An uncompiled functional `keras.Model` mapping raw pixels to class
        probabilities. Layers are named `block{b}_conv{i}`, `block{b}_bn{i}`,
        `block{b}_relu{i}`, `block{b}_pool`, `block{b}_dropout`, `flatten`
        or `avg_pool`, `fc{j}`, `predictions`.

    Raises:
        ValueError: for a malformed argument, or an input too small for
            the number of pooling blocks.

    Example:

    >>> model = plain_cnn(widths=(16, 32), head="gap", dense_units=())
    >>> model.output.shape
    (None, 10)
    """
    builder = "plain_cnn"
    input_shape = common.image_input_shape(input_shape, builder)
    validation.positive_int(num_classes, "num_classes")
    widths = common.int_list(widths, "widths", builder)
    convs = common.int_list(convs_per_block, "convs_per_block", builder)
    if len(convs) == 1:
        convs = convs * len(widths)
    if len(convs) != len(widths):
        raise ValueError(
            f"`convs_per_block` must be an int or have one entry per block "
            f"({len(widths)} widths). Received: "
            f"convs_per_block={convs_per_block!r}, widths={tuple(widths)}"
        )
    validation.positive_int(kernel_size, "kernel_size")
    validation.rate(dropout_rate, "dropout_rate")
    validation.rate(head_dropout_rate, "head_dropout_rate")
    padding = validation.standardize_padding(padding, ("same", "reflect"))
    if head not in HEADS:
        raise ValueError(
            f"Invalid value for argument `head`. Expected one of "
            f"{list(HEADS)}. Received: head={head!r}"
        )
    dense_units = [] if dense_units is None else list(dense_units)
    for units in dense_units:
        validation.positive_int(units, "dense_units")

    inputs = layers.Input(shape=input_shape, name="pixels")
    x = common.rescale(inputs)
    for b, (filters, n_convs) in enumerate(zip(widths, convs), start=1):
        for i in range(1, n_convs + 1):
            conv_name = f"block{b}_conv{i}"
            if padding == "reflect":
                # Reflection needs a border pixel to mirror on each side.
                pad = max(conv_utils.reflect_pad_amounts(kernel_size))
                common.check_fits(x, pad + 1, conv_name, builder, input_shape)
            x = _conv(x, filters, kernel_size, padding, batch_norm, conv_name)
            if batch_norm:
                x = layers.BatchNormalization(name=f"block{b}_bn{i}")(x)
            x = layers.ReLU(name=f"block{b}_relu{i}")(x)
        common.check_fits(x, 2, f"block{b}_pool", builder, input_shape)
        x = layers.MaxPooling2D(2, name=f"block{b}_pool")(x)
        if dropout_rate:
            x = layers.Dropout(dropout_rate, name=f"block{b}_dropout")(x)

    if head == "flatten":
        x = layers.Flatten(name="flatten")(x)
    else:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if head_dropout_rate and not dense_units:
        x = layers.Dropout(head_dropout_rate, name="head_dropout")(x)
    for j, units in enumerate(dense_units, start=1):
        x = layers.Dense(units, activation="relu", name=f"fc{j}")(x)
        if head_dropout_rate:
            x = layers.Dropout(head_dropout_rate, name=f"fc{j}_dropout")(x)
    outputs = common.classifier(x, num_classes)
    return common.functional_model(inputs, outputs, name)


def _conv(x, filters, kernel_size, padding, batch_norm, name):
    # A bias right before batch norm is cancelled by its mean subtraction.
    use_bias = not batch_norm
    if padding == "reflect":
        layer = ReflectionConv2D(
            filters, kernel_size, use_bias=use_bias, name=name
        )
    else:
        layer = layers.Conv2D(
            filters, kernel_size, padding="same", use_bias=use_bias, name=name
        )
    return layer(x)
