"""Tests for `zoo.arithmetic`: every formula against what Keras does.

Output sizes are compared with real convolutions, parameters with
`count_params()`, FLOPs with TensorFlow's profiler and receptive fields
with the input positions that actually reach one output unit (non-zero
input gradients).
"""

import itertools

import keras
import numpy as np
import pytest
from keras import layers

import zoo.layers as zoo_layers
from zoo import arithmetic
from zoo.layers import TCN
from zoo.layers import CausalConv1D
from zoo.layers import DepthwiseSeparableConv2D
from zoo.layers import DilatedConv1D
from zoo.layers import DilatedConv2D
from zoo.layers import ReflectionConv2D
from zoo.layers import ReflectionPadding1D
from zoo.layers import ReflectionPadding2D
from zoo.layers import TCNBlock

BACKEND = keras.backend.backend()
NO_BIAS = {"use_bias": False}
# Random initializers compile once per weight shape on JAX (seconds each);
# these tests set the weights they need, so zeros keep them fast.
ZERO_KERNEL = {"kernel_initializer": "zeros"}
ZERO_DEPTHWISE = {"depthwise_initializer": "zeros"}
ZERO_SEPARABLE = {**ZERO_DEPTHWISE, "pointwise_initializer": "zeros"}


# --- output sizes -----------------------------------------------------------


def reference_output_size(size, kernel, stride, padding, dilation):
    """The tutorials' formula, written out independently."""
    k_eff = kernel + (kernel - 1) * (dilation - 1)
    if padding == "valid":
        padding = 0
    if isinstance(padding, int):
        return (size - k_eff + 2 * padding) // stride + 1
    return -(-size // stride)  # same, causal, reflect: ceil(W / S)


def keras_conv_length(size, kernel, stride, padding, dilation):
    x = np.ones((1, size, 1), "float32")
    if isinstance(padding, int):
        x = np.pad(x, ((0, 0), (padding, padding), (0, 0)))
        padding = "valid"
    y = keras.ops.conv(
        x,
        np.ones((kernel, 1, 1), "float32"),
        strides=stride,
        padding=padding,
        dilation_rate=dilation,
    )
    return y.shape[1]


def size_cases():
    for size, kernel, stride, dilation, padding in itertools.product(
        (7, 8), (1, 2, 3, 4), (1, 2, 3), (1, 2, 3), ("valid", "same", 1)
    ):
        if stride > 1 and dilation > 1:
            continue  # rejected by keras layers, unsupported by TF on CPU
        k_eff = kernel + (kernel - 1) * (dilation - 1)
        pad = 1 if padding == 1 else 0
        if padding != "same" and size + 2 * pad < k_eff:
            continue  # no output: covered by test_no_output_is_an_error
        yield size, kernel, stride, padding, dilation


def test_conv_output_size_matches_keras_and_the_formula():
    cases = list(size_cases())
    assert len(cases) > 60
    for size, kernel, stride, padding, dilation in cases:
        expected = keras_conv_length(size, kernel, stride, padding, dilation)
        got = arithmetic.conv_output_size(
            size, kernel, stride=stride, padding=padding, dilation=dilation
        )
        case = (size, kernel, stride, padding, dilation)
        assert got == expected, case
        assert got == reference_output_size(*case), case


@pytest.mark.parametrize("pool_size, stride", [(2, 2), (3, 2), (3, 1)])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv_output_size_matches_pooling(pool_size, stride, padding):
    x = np.ones((1, 13, 1), "float32")
    y = keras.ops.max_pool(x, pool_size, strides=stride, padding=padding)
    assert y.shape[1] == arithmetic.conv_output_size(
        13, pool_size, stride=stride, padding=padding
    )


@pytest.mark.parametrize(
    "padding, kernel, stride, dilation",
    [
        ("causal", 3, 1, 4),
        ("causal", 2, 2, 1),
        ("reflect", 3, 1, 2),
        ("reflect", 4, 1, 1),
        ("reflect", 5, 3, 1),
    ],
)
def test_conv_output_size_causal_and_reflect(padding, kernel, stride, dilation):
    layer = DilatedConv1D(
        1,
        kernel,
        dilation_rate=dilation,
        strides=stride,
        padding=padding,
        **ZERO_KERNEL,
    )
    y = layer(np.ones((1, 11, 1), "float32"))
    assert y.shape[1] == arithmetic.conv_output_size(
        11, kernel, stride=stride, padding=padding, dilation=dilation
    )


def test_effective_kernel_size():
    assert arithmetic.effective_kernel_size(3, 1) == 3
    assert arithmetic.effective_kernel_size(3, 4) == 9
    assert arithmetic.effective_kernel_size((3, 5), (2, 1)) == (5, 5)
    assert arithmetic.effective_kernel_size((3, 3), 2) == (5, 5)
    assert DilatedConv2D(1, 3, dilation_rate=(2, 3)).effective_kernel_size == (
        arithmetic.effective_kernel_size((3, 3), (2, 3))
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"size": -4}, "Received: size=-4"),
        ({"size": 0}, "Received: size=0"),
        ({"size": 2.5}, "Received: size=2.5"),
        ({"kernel_size": 0}, "Received: kernel_size=0"),
        ({"stride": 0}, "Received: stride=0"),
        ({"dilation": -1}, "Received: dilation=-1"),
        ({"padding": -1}, "Received: padding=-1"),
        ({"padding": "full"}, "Received: padding='full'"),
        ({"padding": None}, "Received: padding=None"),
    ],
)
def test_conv_output_size_rejects_bad_arguments(kwargs, match):
    args = {"size": 8, "kernel_size": 3, **kwargs}
    with pytest.raises(ValueError, match=match):
        arithmetic.conv_output_size(**args)


def test_no_output_is_an_error():
    with pytest.raises(ValueError, match="does not fit"):
        arithmetic.conv_output_size(4, 3, dilation=2)
    with pytest.raises(ValueError, match="does not fit"):
        arithmetic.conv_output_size(2, 5, padding=1)
    with pytest.raises(ValueError, match="smaller than the input"):
        arithmetic.conv_output_size(3, 3, padding="reflect", dilation=4)


def test_effective_kernel_size_rejects_bad_arguments():
    with pytest.raises(ValueError, match="Received: kernel_size=0"):
        arithmetic.effective_kernel_size(0, 1)
    with pytest.raises(ValueError, match="Received: dilation=0"):
        arithmetic.effective_kernel_size(3, 0)
    with pytest.raises(ValueError, match="tuple of 2"):
        arithmetic.effective_kernel_size((3, 3), (1, 2, 3))


# --- gridding ---------------------------------------------------------------


def brute_force_offsets(kernel_size, dilations):
    return {
        sum(d * t for d, t in zip(dilations, taps))
        for taps in itertools.product(range(kernel_size), repeat=len(dilations))
    }


@pytest.mark.parametrize(
    "kernel_size, dilations, holes",
    [
        (3, [2, 2, 2], True),
        (3, [1, 2, 5], False),
        (3, [1, 2, 4, 8], False),
        (3, [1, 2, 9], True),
        (2, [1, 2, 4, 8], False),
        (2, [2, 4], True),
        (1, [4, 4], False),
        (5, [1, 4], False),
    ],
)
def test_has_gridding(kernel_size, dilations, holes):
    assert arithmetic.has_gridding(kernel_size, dilations) is holes
    reach = brute_force_offsets(kernel_size, dilations)
    assert (reach != set(range(max(reach) + 1))) is holes
    coverage = arithmetic.dilation_coverage(kernel_size, dilations)
    assert set(np.flatnonzero(coverage)) == reach
    assert coverage.sum() == kernel_size ** len(dilations)


@pytest.mark.parametrize(
    "kernel_size, dilations, match",
    [
        (0, [1, 2], "Received: kernel_size=0"),
        (3, [], r"Received: dilations=\[\]"),
        (3, [1, 0], r"Received: dilations=\[1, 0\]"),
        (3, 2.0, "Received: dilations=2.0"),
        ([1, 2, 5], 3, r"Received: kernel_size=\[1, 2, 5\]"),
    ],
)
def test_gridding_rejects_bad_arguments(kernel_size, dilations, match):
    with pytest.raises(ValueError, match=match):
        arithmetic.has_gridding(kernel_size, dilations)


# --- parameters -------------------------------------------------------------


def tutorial_cnn():
    inputs = keras.Input((28, 28, 1))
    x = layers.Conv2D(4, 3, name="conv1", **ZERO_KERNEL)(inputs)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = layers.Conv2D(4, 3, name="conv2", **ZERO_KERNEL)(x)
    x = layers.MaxPooling2D(2, name="pool2")(x)
    x = layers.Flatten(name="flatten")(x)
    return keras.Model(inputs, layers.Dense(10, name="fc", **ZERO_KERNEL)(x))


def mobile_model():
    inputs = keras.Input((16, 16, 3))
    x = layers.Rescaling(1 / 255)(inputs)
    x = layers.Conv2D(
        8, 3, strides=2, padding="same", use_bias=False, **ZERO_KERNEL
    )(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    y = layers.DepthwiseConv2D(
        3, padding="same", depth_multiplier=2, **ZERO_DEPTHWISE
    )(x)
    y = layers.Conv2D(8, 1, groups=2, **ZERO_KERNEL)(y)
    x = layers.Add()([x, y])
    x = layers.SeparableConv2D(
        12, 3, depth_multiplier=2, use_bias=False, **ZERO_SEPARABLE
    )(x)
    x = layers.BatchNormalization(center=False)(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.1)(x)
    return keras.Model(inputs, layers.Dense(5, **ZERO_KERNEL)(x))


def zoo_image_model():
    inputs = keras.Input((20, 20, 3))
    x = ReflectionPadding2D(1)(inputs)
    x = DilatedConv2D(4, 3, dilation_rate=2, weight_norm=True, **ZERO_KERNEL)(x)
    x = ReflectionConv2D(6, 3, strides=2, use_bias=False, **ZERO_KERNEL)(x)
    x = DepthwiseSeparableConv2D(
        8, 3, depth_multiplier=2, padding="reflect", **ZERO_SEPARABLE
    )(x)
    x = DepthwiseSeparableConv2D(
        5, 3, strides=2, padding="same", **ZERO_SEPARABLE
    )(x)
    x = layers.AveragePooling2D(2)(x)
    return keras.Model(inputs, x)


def zoo_sequence_model():
    inputs = keras.Input((32, 2))
    x = ReflectionPadding1D((2, 1))(inputs)
    x = DilatedConv1D(4, 3, dilation_rate=2, padding="same", **ZERO_KERNEL)(x)
    x = CausalConv1D(6, 2, dilation_rate=3, weight_norm=True, **ZERO_KERNEL)(x)
    x = TCNBlock(8, 3, dilation_rate=2, normalization="batch", **ZERO_KERNEL)(x)
    x = TCNBlock(8, 2, dilation_rate=4, normalization="weight", **ZERO_KERNEL)(
        x
    )
    x = TCN(
        nb_filters=5,
        kernel_size=3,
        dilations=[1, 2],
        nb_stacks=2,
        use_layer_norm=True,
        return_sequences=True,
        **ZERO_KERNEL,
    )(x)
    x = TCN(
        nb_filters=[3, 4],
        dilations=[1, 4],
        use_skip_connections=False,
        **ZERO_KERNEL,
    )(x)
    return keras.Model(inputs, layers.Dense(1, **ZERO_KERNEL)(x))


def channels_first_model():
    inputs = keras.Input((3, 12, 10))
    x = layers.Conv2D(4, (3, 2), data_format="channels_first", **ZERO_KERNEL)(
        inputs
    )
    x = layers.DepthwiseConv2D(
        3, data_format="channels_first", **ZERO_DEPTHWISE
    )(x)
    x = layers.MaxPooling2D(2, data_format="channels_first")(x)
    x = layers.GlobalMaxPooling2D(data_format="channels_first")(x)
    return keras.Model(inputs, x)


def sequential_model():
    return keras.Sequential(
        [
            keras.Input((24, 3)),
            layers.Conv1D(
                4, 3, padding="causal", dilation_rate=2, **ZERO_KERNEL
            ),
            layers.MaxPooling1D(2),
            layers.Conv1D(6, 3, strides=2, **ZERO_KERNEL),
            layers.GlobalMaxPooling1D(),
            layers.Dense(2, **ZERO_KERNEL),
        ]
    )


MODELS = {
    "tutorial_cnn": tutorial_cnn,
    "mobile": mobile_model,
    "zoo_image": zoo_image_model,
    "zoo_sequence": zoo_sequence_model,
    "channels_first": channels_first_model,
    "sequential": sequential_model,
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_table_params_equal_count_params(name):
    model = MODELS[name]()
    rows = arithmetic.layer_table(model)
    assert [row["name"] for row in rows] == [lay.name for lay in model.layers]
    for row, layer in zip(rows, model.layers):
        assert row["params"] == layer.count_params(), row["name"]
        assert row["type"] == type(layer).__name__
        assert isinstance(row["flops"], int), row["name"]
        assert row["receptive_field"] is not None, row["name"]
        shape = row["output_shape"]
        if isinstance(shape, list):
            shape = shape[0]
        assert shape == tuple(keras.tree.flatten(layer.output)[0].shape)
    assert sum(row["params"] for row in rows) == model.count_params()


def test_channels_first_fields_and_flops():
    rows = arithmetic.layer_table(channels_first_model())
    assert [row["receptive_field"] for row in rows] == [
        1,
        (3, 2),
        (5, 4),
        (6, 5),
        (12, 10),  # the whole input, read off the spatial axes
    ]
    assert rows[1]["flops"] == 2 * 6 * 3 * 4 * 10 * 9
    assert rows[2]["flops"] == 2 * 9 * 4 * 8 * 7
    assert rows[3]["flops"] == 4 * 4 * 4 * 3
    assert rows[4]["flops"] == 4 * 4 * 3


def test_every_zoo_layer_is_in_a_table():
    seen = set()
    for build in (zoo_image_model, zoo_sequence_model):
        seen |= {row["type"] for row in arithmetic.layer_table(build())}
    assert set(zoo_layers.__all__) <= seen


def test_format_table_has_totals():
    model = tutorial_cnn()
    text = arithmetic.format_table(arithmetic.layer_table(model))
    lines = text.splitlines()
    assert lines[0].split("|")[1].strip() == "Layer"
    assert len(lines) == 2 + len(model.layers) + 1
    total = [cell.strip() for cell in lines[-1].split("|")]
    assert total[1] == "Total"
    assert total[4] == f"{model.count_params():,}"
    flops = sum(arithmetic.count_flops(model).values())
    assert total[5] == f"{flops:,}"
    assert len({len(line) for line in lines}) == 1  # aligned columns


def test_format_table_marks_unknowns():
    inputs = keras.Input((8, 3))
    x = layers.Conv1D(4, 3, **ZERO_KERNEL)(inputs)
    x = layers.UpSampling1D(2)(x)
    rows = arithmetic.layer_table(keras.Model(inputs, x))
    assert rows[-1]["flops"] is None
    assert rows[-1]["receptive_field"] is None
    total = arithmetic.format_table(rows).splitlines()[-1]
    assert f">= {rows[1]['flops']:,}" in total


# --- FLOPs ------------------------------------------------------------------


def single_layer_model(layer, input_shape):
    inputs = keras.Input(input_shape)
    return keras.Model(inputs, layer(inputs))


def test_flops_formulas():
    h, w, cin = 10, 12, 3
    cases = [
        (layers.Conv2D(8, 3, **ZERO_KERNEL), 2 * 9 * cin * 8 * 8 * 10),
        (
            layers.Conv2D(8, (3, 5), strides=2, **ZERO_KERNEL),
            2 * 15 * cin * 8 * 4 * 4,
        ),
        (layers.Conv2D(6, 3, groups=3, **ZERO_KERNEL), 2 * 9 * 1 * 6 * 8 * 10),
        (
            layers.DepthwiseConv2D(3, depth_multiplier=2, **ZERO_DEPTHWISE),
            2 * 9 * 6 * 8 * 10,
        ),
        (
            layers.SeparableConv2D(8, 3, padding="same", **ZERO_SEPARABLE),
            2 * 9 * cin * h * w + 2 * cin * 8 * h * w,
        ),
        (layers.MaxPooling2D(2), 4 * cin * 5 * 6),
        (layers.AveragePooling2D(3, strides=1), 9 * cin * 8 * 10),
        (layers.GlobalAveragePooling2D(), h * w * cin),
        (layers.Dense(7, **ZERO_KERNEL), 2 * cin * 7 * h * w),
        (layers.BatchNormalization(), 0),
        (layers.ReLU(), 0),
    ]
    for layer, expected in cases:
        single_layer_model(layer, (h, w, cin))
        assert arithmetic.layer_flops(layer) == expected, layer.name


def test_separable_flops_split():
    layer = DepthwiseSeparableConv2D(
        16, 3, depth_multiplier=2, padding="same", **ZERO_SEPARABLE
    )
    single_layer_model(layer, (8, 8, 4))
    depthwise, pointwise = arithmetic.separable_flops(layer)
    assert depthwise == 2 * 9 * 8 * 64
    assert pointwise == 2 * 8 * 16 * 64
    assert arithmetic.layer_flops(layer) == depthwise + pointwise


def conv_flops_from_weights(conv, steps):
    """2 * (kernel weights) * (output steps), read off the built kernel."""
    return 2 * int(np.prod(conv.kernel.shape)) * steps


def test_tcn_flops_are_the_sum_of_their_dilated_convs():
    steps = 30
    block = TCNBlock(6, 3, dilation_rate=2, **ZERO_KERNEL)
    tcn = TCN(
        nb_filters=5,
        kernel_size=2,
        dilations=[1, 2, 4],
        nb_stacks=2,
        **ZERO_KERNEL,
    )
    single_layer_model(block, (steps, 4))
    single_layer_model(tcn, (steps, 4))
    convs = [block.conv1, block.conv2, block.downsample]
    expected = sum(conv_flops_from_weights(c, steps) for c in convs)
    assert arithmetic.layer_flops(block) == expected
    convs = [
        conv
        for b in tcn.blocks
        for conv in (b.conv1, b.conv2, b.downsample)
        if conv is not None
    ]
    assert len(convs) == 13  # one projection, in the first block only
    expected = sum(conv_flops_from_weights(c, steps) for c in convs)
    assert arithmetic.layer_flops(tcn) == expected


def test_count_flops_is_per_layer():
    model = tutorial_cnn()
    flops = arithmetic.count_flops(model)
    assert list(flops) == [layer.name for layer in model.layers]
    assert flops["conv1"] == 2 * 9 * 1 * 4 * 26 * 26
    assert flops["pool1"] == 4 * 4 * 13 * 13
    assert flops["fc"] == 2 * 100 * 10


def test_unknown_sizes_give_no_flops():
    inputs = keras.Input((None, 3))
    x = layers.Conv1D(4, 3, **ZERO_KERNEL)(inputs)
    model = keras.Model(inputs, x)
    assert arithmetic.count_flops(model)[model.layers[-1].name] is None


def tf_profiler_flops(layer, input_shape):
    """Float ops of one layer call, as counted by TensorFlow's profiler.

    Grouped convs are left out: keras runs them in a nested function the
    profiler does not look into (it reports 0).
    """
    import tensorflow as tf

    fn = tf.function(lambda x: layer(x))
    graph = fn.get_concrete_function(
        tf.TensorSpec((1, *input_shape), tf.float32)
    ).graph
    builder = tf.compat.v1.profiler.ProfileOptionBuilder
    options = builder(builder.float_operation()).with_empty_output().build()
    return tf.compat.v1.profiler.profile(graph, options=options).total_float_ops


@pytest.mark.skipif(
    BACKEND != "tensorflow", reason="TensorFlow's profiler needs TF graphs"
)
@pytest.mark.parametrize(
    "make_layer, input_shape",
    [
        (
            lambda: layers.Conv2D(8, 3, use_bias=False, **ZERO_KERNEL),
            (10, 10, 3),
        ),
        (
            lambda: layers.Conv2D(
                8, 3, strides=2, padding="same", **NO_BIAS, **ZERO_KERNEL
            ),
            (11, 9, 3),
        ),
        (
            lambda: layers.DepthwiseConv2D(3, 2, **NO_BIAS, **ZERO_DEPTHWISE),
            (10, 10, 3),
        ),
        (
            lambda: layers.DepthwiseConv2D(
                5, depth_multiplier=3, **NO_BIAS, **ZERO_DEPTHWISE
            ),
            (10, 10, 2),
        ),
        (
            lambda: layers.SeparableConv2D(
                8, 3, 2, **NO_BIAS, **ZERO_SEPARABLE
            ),
            (10, 10, 3),
        ),
        (lambda: layers.Dense(7, use_bias=False, **ZERO_KERNEL), (5,)),
        (
            lambda: DilatedConv2D(
                4, 3, dilation_rate=2, **NO_BIAS, **ZERO_KERNEL
            ),
            (12, 12, 3),
        ),
        (
            lambda: DepthwiseSeparableConv2D(
                8, 3, depth_multiplier=2, **NO_BIAS, **ZERO_SEPARABLE
            ),
            (10, 10, 3),
        ),
    ],
)
def test_flops_match_tensorflow_profiler(make_layer, input_shape):
    layer = make_layer()
    single_layer_model(layer, input_shape)
    assert arithmetic.layer_flops(layer) == tf_profiler_flops(
        layer, input_shape
    )


@pytest.mark.skipif(
    BACKEND != "tensorflow", reason="TensorFlow's profiler needs TF graphs"
)
def test_profiler_counts_bias_adds_we_do_not():
    dense = layers.Dense(7, **ZERO_KERNEL)
    single_layer_model(dense, (5,))
    assert tf_profiler_flops(dense, (5,)) == arithmetic.layer_flops(dense) + 7


# --- receptive fields -------------------------------------------------------


def input_gradient_support(model, x, unit):
    """Input positions with a non-zero gradient of output `unit` (summed
    over channels), pooled over the batch: `(spatial...)` bool array."""
    index = (slice(None),) + tuple(unit)
    if BACKEND == "tensorflow":
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            target = tf.reduce_sum(model(x)[index])
        grad = tape.gradient(target, x).numpy()
    elif BACKEND == "jax":
        import jax
        import jax.numpy as jnp

        grad = np.asarray(
            jax.grad(lambda v: jnp.sum(model(v)[index]))(jnp.asarray(x))
        )
    elif BACKEND == "torch":
        import torch

        x = torch.tensor(x, requires_grad=True)
        model(x)[index].sum().backward()
        grad = x.grad.detach().cpu().numpy()
    else:
        pytest.skip(f"no gradient helper for backend {BACKEND}")
    return np.any(grad != 0, axis=(0, -1))


def positive_weights(model, seed=0):
    """Positive weights: no cancellation, so every connected input counts."""
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        values = rng.uniform(0.5, 1.0, tuple(weight.shape))
        weight.assign(values.astype("float32"))


def as_axes(value, rank):
    return value if isinstance(value, tuple) else (value,) * rank


def predicted_extent(row, unit):
    """First and last input position seen by output `unit`."""
    rank = len(unit)
    rf, jump, start = (as_axes(row[k], rank) for k in ("rf", "jump", "start"))
    return [
        (s + i * j - (r - 1) / 2, s + i * j + (r - 1) / 2)
        for r, j, s, i in zip(rf, jump, start, unit)
    ]


def central_unit(row, in_sizes, out_sizes):
    """The output unit whose predicted field is centred on the input."""
    rank = len(in_sizes)
    jump, start = as_axes(row["jump"], rank), as_axes(row["start"], rank)
    return tuple(
        min(max(round(((n - 1) / 2 - s) / j), 0), m - 1)
        for n, m, j, s in zip(in_sizes, out_sizes, jump, start)
    )


def assert_rf_matches_gradient(model, batch=1, seed=0):
    """The predicted field of one output unit is exactly the span of input
    positions with a non-zero gradient."""
    rows = arithmetic.receptive_field(model)
    last = rows[-1]
    in_sizes = tuple(model.inputs[0].shape[1:-1])
    unit = central_unit(last, in_sizes, tuple(model.outputs[0].shape[1:-1]))
    predicted = predicted_extent(last, unit)
    for (lo, hi), n in zip(predicted, in_sizes):
        assert 0 <= lo and hi <= n - 1, "field must fit in the input"

    positive_weights(model, seed)
    shape = (batch,) + tuple(model.inputs[0].shape[1:])
    x = np.random.default_rng(seed).normal(size=shape).astype("float32")
    support = input_gradient_support(model, x, unit)
    measured = []
    for axis in range(support.ndim):
        other = tuple(a for a in range(support.ndim) if a != axis)
        hit = np.flatnonzero(support.any(axis=other))
        measured.append((int(hit[0]), int(hit[-1])))
    assert predicted == measured, (last, unit)
    return rows, support


def linear(x):
    return x


def test_rf_of_the_tutorial_stack():
    model = tutorial_cnn()
    rows = arithmetic.receptive_field(model)
    assert [r["rf"] for r in rows] == [1, 3, 4, 8, 10, 28, 28]
    assert [r["jump"] for r in rows][:5] == [1, 1, 2, 2, 4]
    # Max pooling passes the gradient to one input of each window, so the
    # union over a batch of random inputs traces the whole field.
    feature_model = keras.Model(model.input, model.get_layer("pool2").output)
    assert_rf_matches_gradient(feature_model, batch=64)


def test_rf_of_a_sequential_model():
    model = keras.Sequential(
        [
            keras.Input((20, 20, 1)),
            layers.Conv2D(2, 3, padding="same", **ZERO_KERNEL),
            layers.AveragePooling2D(2),
            layers.Conv2D(2, 3, padding="same", **ZERO_KERNEL),
        ]
    )
    rows, _ = assert_rf_matches_gradient(model)
    assert [r["rf"] for r in rows] == [3, 4, 8]


def test_rf_of_a_strided_stack():
    # Strided "same" padding on even sizes pads on the right only, so the
    # field's start depends on the input size: the gradient checks it.
    inputs = keras.Input((64, 64, 1))
    x = layers.Conv2D(2, 3, strides=2, padding="same", **ZERO_KERNEL)(inputs)
    x = ReflectionConv2D(2, 3, strides=2, **ZERO_KERNEL)(x)
    x = layers.ZeroPadding2D(((1, 0), (2, 1)))(x)
    x = layers.Conv2D(2, (3, 5), **ZERO_KERNEL)(x)
    x = DepthwiseSeparableConv2D(
        2, 3, strides=2, padding="same", **ZERO_SEPARABLE
    )(x)
    x = layers.DepthwiseConv2D(2, padding="same", **ZERO_DEPTHWISE)(x)
    x = layers.SeparableConv2D(
        2, 3, strides=2, padding="same", **ZERO_SEPARABLE
    )(x)
    rows, _ = assert_rf_matches_gradient(keras.Model(inputs, x))
    assert rows[4]["rf"] == (15, 23)  # the (3, 5) kernel
    assert rows[-1]["jump"] == 16


def test_rf_of_a_dilated_stack():
    inputs = keras.Input((40, 40, 1))
    x = inputs
    for rate in (1, 2, 5):
        x = DilatedConv2D(
            2, 3, dilation_rate=rate, padding="reflect", **ZERO_KERNEL
        )(x)
    rows, support = assert_rf_matches_gradient(keras.Model(inputs, x))
    assert rows[-1]["rf"] == 17
    assert support.sum() == 17 * 17  # no holes: the schedule has no gridding


def test_rf_of_a_gridding_stack_has_the_predicted_holes():
    inputs = keras.Input((40, 1))
    x = inputs
    for _ in range(3):
        x = layers.Conv1D(1, 3, dilation_rate=2, padding="same", **ZERO_KERNEL)(
            x
        )
    rows, support = assert_rf_matches_gradient(keras.Model(inputs, x))
    assert rows[-1]["rf"] == 13
    lo = np.flatnonzero(support)[0]
    coverage = arithmetic.dilation_coverage(3, [2, 2, 2])
    np.testing.assert_array_equal(
        support[lo : lo + len(coverage)], coverage > 0
    )


def test_rf_of_causal_convs_ends_at_the_output_step():
    inputs = keras.Input((40, 1))
    x = inputs
    for rate in (1, 2, 4, 8):
        x = CausalConv1D(2, 2, dilation_rate=rate, **ZERO_KERNEL)(x)
    x = layers.Conv1D(2, 3, padding="causal", **ZERO_KERNEL)(x)
    rows, _ = assert_rf_matches_gradient(keras.Model(inputs, x))
    assert rows[-1]["rf"] == 18
    assert rows[-1]["start"] - (rows[-1]["rf"] - 1) / 2 == -17


def test_rf_of_a_merge_is_the_largest_input():
    inputs = keras.Input((30, 1))
    a = layers.Conv1D(2, 3, padding="same", **ZERO_KERNEL)(inputs)
    b = layers.Conv1D(2, 7, padding="same", **ZERO_KERNEL)(inputs)
    x = layers.Concatenate()([a, layers.Add()([a, b])])
    rows, _ = assert_rf_matches_gradient(keras.Model(inputs, x))
    assert [r["rf"] for r in rows][-2:] == [7, 7]


@pytest.mark.parametrize("padding", ["causal", "same"])
def test_rf_of_tcn_layers_matches_gradient_and_property(padding):
    init = "zeros"  # positive_weights sets them
    block = TCNBlock(
        3, 3, 2, padding=padding, activation=linear, kernel_initializer=init
    )
    tcn = TCN(
        nb_filters=3,
        kernel_size=3,
        dilations=[1, 2, 4],
        nb_stacks=2,
        padding=padding,
        activation=linear,
        kernel_initializer=init,
        return_sequences=True,
    )
    inputs = keras.Input((80, 2))
    x = block(inputs)
    x = tcn(x)
    rows, _ = assert_rf_matches_gradient(keras.Model(inputs, x))
    assert rows[1]["rf"] == block.receptive_field == 9
    assert rows[2]["rf"] == block.receptive_field + tcn.receptive_field - 1


def test_rf_after_a_single_step_tcn():
    inputs = keras.Input((50, 2))
    tcn = TCN(nb_filters=4, kernel_size=2, dilations=[1, 2, 4], **ZERO_KERNEL)
    x = layers.Dense(1, **ZERO_KERNEL)(tcn(inputs))
    rows = arithmetic.receptive_field(keras.Model(inputs, x))
    assert rows[1]["rf"] == rows[2]["rf"] == tcn.receptive_field == 15
    assert rows[1]["jump"] is None


def test_rf_of_layers_it_does_not_model_is_none():
    inputs = keras.Input((8, 8, 2))
    x = layers.Conv2DTranspose(2, 3, **ZERO_KERNEL)(inputs)
    x = layers.Conv2D(2, 3, **ZERO_KERNEL)(x)
    rows = arithmetic.receptive_field(keras.Model(inputs, x))
    assert [r["rf"] for r in rows] == [1, None, None]


# --- bad models -------------------------------------------------------------


class Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(2)

    def call(self, x):
        return self.dense(x)


@pytest.mark.parametrize(
    "function",
    [
        arithmetic.receptive_field,
        arithmetic.count_flops,
        arithmetic.layer_table,
    ],
)
def test_model_functions_reject_non_models(function):
    with pytest.raises(ValueError, match="Expected a keras.Model"):
        function(layers.Conv2D(2, 3))
    with pytest.raises(ValueError, match="Expected a keras.Model"):
        function("mnist_seed_cnn")
    with pytest.raises(ValueError, match="layer graph"):
        function(Subclassed())
    with pytest.raises(ValueError, match="layer graph"):
        function(keras.Sequential([layers.Dense(2)]))
