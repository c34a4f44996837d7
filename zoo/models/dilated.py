"""A 2-D dilated classifier with a hybrid (gridding-free) dilation schedule.

Reference:
    - [Yu & Koltun, Multi-Scale Context Aggregation by Dilated
      Convolutions, 2016](https://arxiv.org/abs/1511.07122)
    - [Wang et al., Understanding Convolution for Semantic Segmentation
      (hybrid dilated convolution), 2018](https://arxiv.org/abs/1702.08502)
"""

from keras import layers

from zoo import arithmetic
from zoo.layers import DilatedConv2D
from zoo.models import common
from zoo.utils import conv_utils
from zoo.utils import validation


def dilated_cnn(
    input_shape=(28, 28, 1),
    num_classes=10,
    widths=(32, 64),
    dilation_rates=(1, 2, 5),
    kernel_size=3,
    padding="same",
    batch_norm=True,
    dropout_rate=0.0,
    allow_gridding=False,
    name="dilated_cnn",
):
    """A classifier whose blocks grow the receptive field by dilation.

    Each block applies one `zoo.layers.DilatedConv2D` per entry of
    `dilation_rates` (each followed by batch norm and ReLU) at constant
    resolution; a 2x2 max pool separates blocks, and global average
    pooling feeds the softmax. With `kernel_size=3` the schedule
    `(1, 2, 5)` sees a 17x17 window per block with no holes, whereas
    `(2, 2, 2)` covers 13x13 but only every second pixel ("gridding").
    Schedules with holes are rejected unless `allow_gridding=True`.

    Args:
        input_shape, num_classes, widths: as in
            `zoo.models.cnn.plain_cnn`.
        dilation_rates: sequence of ints. Dilation of each conv in a block.
            Defaults to `(1, 2, 5)`.
        kernel_size: int. Kernel size of every conv. Defaults to 3.
        padding: str. `"same"` (zeros) or `"reflect"` (mirrored borders).
            Defaults to `"same"`.
        batch_norm: bool. Batch norm after every conv (the convs then have
            no bias). Defaults to `True`.
        dropout_rate: float in [0, 1). Dropout before the classifier.
            Defaults to 0.
        allow_gridding: bool. Accept a dilation schedule that leaves holes
            in the receptive field. Defaults to `False`.
        name: str. Model name. Defaults to `"dilated_cnn"`.

    Returns:
        An uncompiled functional `keras.Model` mapping raw pixels to class
        probabilities. Layers are named `block{b}_conv{i}`, `block{b}_bn{i}`,
        `block{b}_relu{i}`, `block{b}_pool`, `avg_pool`, `predictions`.

    Raises:
        ValueError: for a malformed argument, a gridding schedule (unless
            allowed), or an input too small for the pooling or for the
            reflection pad of the largest dilation.

    Example:

    >>> model = dilated_cnn(padding="reflect")
    >>> model.get_layer("block2_conv3").output.shape
    (None, 14, 14, 64)
    """
    builder = "dilated_cnn"
    input_shape = common.image_input_shape(input_shape, builder)
    validation.positive_int(num_classes, "num_classes")
    widths = common.int_list(widths, "widths", builder)
    dilation_rates = common.int_list(dilation_rates, "dilation_rates", builder)
    validation.positive_int(kernel_size, "kernel_size")
    padding = validation.standardize_padding(padding, ("same", "reflect"))
    validation.rate(dropout_rate, "dropout_rate")
    if not allow_gridding and arithmetic.has_gridding(
        kernel_size, dilation_rates
    ):
        raise ValueError(
            f"The dilation schedule leaves holes in the receptive field "
            f"(gridding) with kernel_size={kernel_size}. Use a hybrid "
            f"schedule whose rates share no common factor, such as "
            f"(1, 2, 5), or pass allow_gridding=True. "
            f"Received: dilation_rates={tuple(dilation_rates)}"
        )

    inputs = layers.Input(shape=input_shape, name="pixels")
    x = common.rescale(inputs)
    for b, filters in enumerate(widths, start=1):
        if b > 1:
            common.check_fits(x, 2, f"block{b - 1}_pool", builder, input_shape)
            x = layers.MaxPooling2D(2, name=f"block{b - 1}_pool")(x)
        for i, rate in enumerate(dilation_rates, start=1):
            conv_name = f"block{b}_conv{i}"
            if padding == "reflect":
                # The mirrored border must be narrower than the feature map.
                pad = max(conv_utils.reflect_pad_amounts(kernel_size, rate))
                common.check_fits(x, pad + 1, conv_name, builder, input_shape)
            x = DilatedConv2D(
                filters,
                kernel_size,
                dilation_rate=rate,
                padding=padding,
                use_bias=not batch_norm,
                name=conv_name,
            )(x)
            if batch_norm:
                x = layers.BatchNormalization(name=f"block{b}_bn{i}")(x)
            x = layers.ReLU(name=f"block{b}_relu{i}")(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if dropout_rate:
        x = layers.Dropout(dropout_rate, name="dropout")(x)
    outputs = common.classifier(x, num_classes)
    return common.functional_model(inputs, outputs, name)
