"""Tests for DilatedConv1D, DilatedConv2D and CausalConv1D."""

import keras
import numpy as np
import pytest

from tests.layer_test_utils import assert_matches_numpy
from tests.layer_test_utils import keras_conv
from tests.layer_test_utils import np_dilated_conv
from tests.layer_test_utils import random_weights
from tests.layer_test_utils import run_layer_test
from zoo.layers import CausalConv1D
from zoo.layers import DilatedConv1D
from zoo.layers import DilatedConv2D
from zoo.utils import conv_utils

# --- run_layer_test over configurations -----------------------------------

# Every case shares filters=4, kernel_size=3 and the input channels, so all
# kernels have one shape: on JAX each new shape recompiles the random
# initializer.
BASE = {"filters": 4, "kernel_size": 3}

CONV1D_CASES = [
    ({}, (2, 12, 3), (2, 10, 4), 2),
    ({"padding": "same"}, (2, 12, 3), (2, 12, 4), 2),
    ({"padding": "causal", "dilation_rate": 4}, (2, 12, 3), (2, 12, 4), 2),
    ({"padding": "reflect", "dilation_rate": 3}, (2, 12, 3), (2, 12, 4), 2),
    ({"padding": "same", "strides": 2}, (2, 11, 3), (2, 6, 4), 2),
    ({"padding": "valid", "strides": 3}, (2, 11, 3), (2, 3, 4), 2),
    (
        {"padding": "causal", "strides": 2, "dilation_rate": 3},
        (2, 11, 3),
        (2, 6, 4),
        2,
    ),
    (
        {"padding": "causal", "data_format": "channels_first"},
        (2, 3, 12),
        (2, 4, 12),
        2,
    ),
    (
        {
            "padding": "reflect",
            "dilation_rate": 2,
            "data_format": "channels_first",
        },
        (2, 3, 12),
        (2, 4, 12),
        2,
    ),
    ({"use_bias": False}, (2, 12, 3), (2, 10, 4), 1),
    (
        {"padding": "causal", "weight_norm": True, "activation": "relu"},
        (2, 12, 3),
        (2, 12, 4),
        3,
    ),
]


@pytest.mark.parametrize(
    "kwargs, input_shape, output_shape, num_weights", CONV1D_CASES
)
def test_dilated_conv1d_layer(
    kwargs, input_shape, output_shape, num_weights, tmp_path
):
    run_layer_test(
        DilatedConv1D,
        {**BASE, **kwargs},
        input_shape,
        expected_output_shape=output_shape,
        expected_num_trainable_weights=num_weights,
        expected_num_non_trainable_weights=0,
        tmp_path=tmp_path,
    )


CONV2D_CASES = [
    ({}, (2, 9, 9, 2), (2, 7, 7, 4), 2),
    ({"padding": "same"}, (2, 9, 8, 2), (2, 9, 8, 4), 2),
    ({"padding": "reflect", "dilation_rate": 2}, (2, 9, 9, 2), (2, 9, 9, 4), 2),
    ({"dilation_rate": (2, 3)}, (2, 9, 9, 2), (2, 5, 3, 4), 2),
    ({"padding": "reflect", "strides": 2}, (2, 9, 8, 2), (2, 5, 4, 4), 2),
    (
        {"padding": "same", "strides": 2, "dilation_rate": (2, 3)},
        (2, 9, 8, 2),
        (2, 5, 4, 4),
        2,
    ),
    (
        {"padding": "same", "strides": (2, 1), "data_format": "channels_first"},
        (2, 2, 9, 8),
        (2, 4, 5, 8),
        2,
    ),
    (
        {
            "padding": "reflect",
            "data_format": "channels_first",
            "use_bias": False,
        },
        (2, 2, 7, 7),
        (2, 4, 7, 7),
        1,
    ),
    (
        {
            "padding": "same",
            "dilation_rate": 2,
            "weight_norm": True,
            "activation": "tanh",
        },
        (2, 9, 9, 2),
        (2, 9, 9, 4),
        3,
    ),
]


@pytest.mark.parametrize(
    "kwargs, input_shape, output_shape, num_weights", CONV2D_CASES
)
def test_dilated_conv2d_layer(
    kwargs, input_shape, output_shape, num_weights, tmp_path
):
    run_layer_test(
        DilatedConv2D,
        {**BASE, **kwargs},
        input_shape,
        expected_output_shape=output_shape,
        expected_num_trainable_weights=num_weights,
        expected_num_non_trainable_weights=0,
        tmp_path=tmp_path,
    )


@pytest.mark.parametrize(
    "kwargs, input_shape, output_shape",
    [
        ({"dilation_rate": 4}, (2, 10, 3), (2, 10, 4)),
        ({"strides": 2, "weight_norm": True}, (2, 10, 3), (2, 5, 4)),
        ({"data_format": "channels_first"}, (2, 3, 10), (2, 4, 10)),
    ],
)
def test_causal_conv1d_layer(kwargs, input_shape, output_shape, tmp_path):
    layer = run_layer_test(
        CausalConv1D,
        {**BASE, **kwargs},
        input_shape,
        expected_output_shape=output_shape,
        tmp_path=tmp_path,
    )
    assert layer.padding == "causal"
    assert layer.get_config()["padding"] == "causal"


def test_unknown_spatial_dims_stay_unknown():
    layer = DilatedConv2D(4, 3, padding="reflect")
    assert layer.compute_output_shape((None, None, 7, 2)) == (None, None, 7, 4)
    layer = DilatedConv1D(4, 3, padding="valid", strides=2)
    assert layer.compute_output_shape((None, None, 2)) == (None, None, 4)


def test_effective_kernel_size():
    assert DilatedConv1D(2, 3, dilation_rate=4).effective_kernel_size == (9,)
    layer = DilatedConv2D(2, (3, 2), dilation_rate=(2, 5))
    assert layer.effective_kernel_size == (5, 6)


# --- numerics against numpy ------------------------------------------------


@pytest.mark.parametrize("padding", ["valid", "same", "causal", "reflect"])
@pytest.mark.parametrize(
    "kernel_size, dilation, strides",
    [
        (3, 1, 1),
        (3, 3, 1),
        (2, 4, 1),
        (4, 1, 2),
        (3, 1, 3),
        # Strides with dilation: the stride-1 conv, subsampled.
        (3, 2, 2),
        (2, 3, 3),
        (4, 2, 4),
    ],
)
def test_conv1d_matches_numpy(padding, kernel_size, dilation, strides):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 15, 3)).astype("float32")
    layer = DilatedConv1D(
        5,
        kernel_size,
        dilation_rate=dilation,
        strides=strides,
        padding=padding,
        kernel_initializer="zeros",
    )
    assert_matches_numpy(layer, x)


@pytest.mark.parametrize("padding", ["valid", "same", "reflect"])
@pytest.mark.parametrize(
    "kernel_size, dilation, strides",
    [
        (3, 1, 1),
        ((3, 2), (2, 3), 1),
        (2, 1, 2),
        ((3, 4), 1, (2, 3)),
        (3, 2, 2),
        ((2, 3), (3, 1), (2, 3)),
        (3, (1, 2), (3, 2)),
    ],
)
def test_conv2d_matches_numpy(padding, kernel_size, dilation, strides):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 11, 10, 3)).astype("float32")
    layer = DilatedConv2D(
        4,
        kernel_size,
        dilation_rate=dilation,
        strides=strides,
        padding=padding,
        kernel_initializer="zeros",
    )
    assert_matches_numpy(layer, x)


@pytest.mark.parametrize("rank", [1, 2])
@pytest.mark.parametrize("padding", ["same", "reflect", "causal"])
@pytest.mark.parametrize("strides", [1, 2])
def test_channels_first_matches_numpy(rank, padding, strides):
    if rank == 2 and padding == "causal":
        pytest.skip("causal padding is 1-D only")
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 3) + (9,) * rank).astype("float32")
    layer_cls = DilatedConv1D if rank == 1 else DilatedConv2D
    layer = layer_cls(
        4,
        3,
        strides=strides,
        dilation_rate=2,
        padding=padding,
        data_format="channels_first",
        kernel_initializer="zeros",
    )
    assert_matches_numpy(layer, x)


@pytest.mark.parametrize("padding", ["valid", "same", "causal", "reflect"])
@pytest.mark.parametrize("steps", [9, 10, 11])
@pytest.mark.parametrize("strides, dilation", [(2, 2), (3, 2), (2, 3)])
def test_strides_with_dilation_sizes_and_values(
    padding, steps, strides, dilation
):
    x = np.random.default_rng(9).normal(size=(1, steps, 2))
    x = x.astype("float32")
    layer = DilatedConv1D(
        3,
        3,
        strides=strides,
        dilation_rate=dilation,
        padding=padding,
        kernel_initializer="zeros",
    )
    y = assert_matches_numpy(layer, x)
    length = conv_utils.conv_output_length(
        steps, 3, padding, stride=strides, dilation=dilation
    )
    assert y.shape == (1, length, 3)


def test_strides_with_dilation_same_needs_a_known_size():
    layer = DilatedConv2D(2, 3, strides=2, dilation_rate=2, padding="same")
    # The "same" pad depends on the size, so an unknown one cannot be
    # guessed; the other modes pad a fixed amount and work.
    with pytest.raises(
        ValueError,
        match=r"DilatedConv2D with padding='same', strides=\(2, 2\) and "
        r"dilation_rate=\(2, 2\) needs a known input size on axis 1\. "
        r"Received input shape \(None, None, 8, 1\)",
    ):
        layer._explicit_pads((None, None, 8, 1))
    inputs = keras.Input((None, None, 1))
    outputs = DilatedConv2D(2, 3, strides=2, dilation_rate=2)(inputs)
    assert outputs.shape == (None, None, None, 2)


def test_causal_output_ignores_the_future():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(1, 20, 2)).astype("float32")
    layer = CausalConv1D(3, 3, dilation_rate=2, kernel_initializer="zeros")
    layer.build(x.shape)
    random_weights(layer)
    before = keras.ops.convert_to_numpy(layer(x))
    x[:, 12:] = rng.normal(size=(1, 8, 2))
    after = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_array_equal(before[:, :12], after[:, :12])
    assert not np.allclose(before[:, 12:], after[:, 12:])


# --- same weights as keras' built-in layers ---------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"padding": "valid", "dilation_rate": 3},
        {"padding": "same", "dilation_rate": 2},
        {"padding": "causal", "dilation_rate": 4},
        {"padding": "same", "strides": 2},
        {"padding": "causal", "data_format": "channels_first"},
    ],
)
def test_conv1d_equals_keras_conv1d(kwargs):
    rng = np.random.default_rng(4)
    channels_first = kwargs.get("data_format") == "channels_first"
    x = rng.normal(size=(2, 3, 17) if channels_first else (2, 17, 3))
    x = x.astype("float32")
    ours = DilatedConv1D(5, 3, kernel_initializer="zeros", **kwargs)
    ours.build(x.shape)
    reference = keras_conv(
        keras.layers.Conv1D, random_weights(ours), x, 5, 3, **kwargs
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(ours(x)), reference, rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"padding": "valid", "dilation_rate": (2, 3)},
        {"padding": "same", "dilation_rate": 2},
        {"padding": "same", "strides": (2, 3)},
        {"padding": "valid", "data_format": "channels_first"},
    ],
)
def test_conv2d_equals_keras_conv2d(kwargs):
    rng = np.random.default_rng(5)
    channels_first = kwargs.get("data_format") == "channels_first"
    shape = (2, 3, 11, 10) if channels_first else (2, 11, 10, 3)
    x = rng.normal(size=shape).astype("float32")
    ours = DilatedConv2D(4, 3, kernel_initializer="zeros", **kwargs)
    ours.build(x.shape)
    reference = keras_conv(
        keras.layers.Conv2D, random_weights(ours), x, 4, 3, **kwargs
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(ours(x)), reference, rtol=1e-5, atol=1e-5
    )


# --- weight normalisation --------------------------------------------------


@pytest.mark.parametrize("layer_cls", [DilatedConv1D, DilatedConv2D])
def test_weight_norm_kernel(layer_cls):
    rank = 1 if layer_cls is DilatedConv1D else 2
    x = np.random.default_rng(6).normal(size=(2,) + (8,) * rank + (3,))
    x = x.astype("float32")
    layer = layer_cls(4, 3, padding="same", weight_norm=True)
    layer.build(x.shape)
    names = [w.path.split("/")[-1] for w in layer.weights]
    assert names == ["kernel", "weight_norm_g", "bias"]

    v = keras.ops.convert_to_numpy(layer.kernel)
    norm = np.sqrt((v.astype("float64") ** 2).sum(axis=tuple(range(rank + 1))))
    # g starts at ||v||, so the layer starts as the plain convolution.
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer.weight_norm_g), norm, rtol=1e-5
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer.conv_kernel), v, rtol=1e-5, atol=1e-6
    )

    v, g, bias = random_weights(layer)
    norm = np.sqrt((v.astype("float64") ** 2).sum(axis=tuple(range(rank + 1))))
    expected_kernel = g * v / norm
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer.conv_kernel),
        expected_kernel,
        rtol=1e-5,
        atol=1e-6,
    )
    expected = np_dilated_conv(
        x, expected_kernel, bias, (1,) * rank, "same", (1,) * rank
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer(x)), expected, rtol=1e-4, atol=1e-4
    )


def test_weight_norm_output_is_invariant_to_kernel_scale():
    x = np.random.default_rng(8).normal(size=(2, 10, 3)).astype("float32")
    layer = DilatedConv1D(4, 3, weight_norm=True, kernel_initializer="ones")
    layer.build(x.shape)
    v, g, bias = random_weights(layer)
    before = keras.ops.convert_to_numpy(layer(x))
    layer.set_weights([v * 7.5, g, bias])
    after = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_allclose(before, after, rtol=1e-4, atol=1e-5)


# --- argument validation ---------------------------------------------------


@pytest.mark.parametrize(
    "layer_cls, kwargs, match",
    [
        (
            DilatedConv1D,
            {"dilation_rate": 0},
            r"`dilation_rate` argument must be strictly positive\. "
            r"Received: dilation_rate=0",
        ),
        (
            DilatedConv2D,
            {"dilation_rate": (2, -1)},
            r"`dilation_rate` argument must be strictly positive\. "
            r"Received: dilation_rate=\(2, -1\)",
        ),
        (
            DilatedConv1D,
            {"kernel_size": 0},
            r"`kernel_size` argument must be strictly positive\. "
            r"Received: kernel_size=0",
        ),
        (
            DilatedConv2D,
            {"kernel_size": (3, 3, 3)},
            r"`kernel_size` argument must be a tuple of 2 ints\. "
            r"Received: kernel_size=\(3, 3, 3\)",
        ),
        (
            DilatedConv1D,
            {"filters": 0},
            r"Invalid value for argument `filters`\. Expected a strictly "
            r"positive integer\. Received: filters=0",
        ),
        (
            DilatedConv2D,
            {"filters": 2.5},
            r"Received: filters=2\.5",
        ),
        (
            DilatedConv1D,
            {"padding": "full"},
            r"Invalid value for argument `padding`\. Expected one of "
            r"\['valid', 'same', 'causal', 'reflect'\]\. "
            r"Received: padding='full'",
        ),
        (
            DilatedConv2D,
            {"padding": "causal"},
            r"Expected one of \['valid', 'same', 'reflect'\]\. "
            r"Received: padding='causal'",
        ),
        (
            DilatedConv2D,
            {"data_format": "NHWC"},
            r"Invalid value for argument `data_format`\. Expected one of "
            r"\['channels_last', 'channels_first'\]\. "
            r"Received: data_format='NHWC'",
        ),
        (
            CausalConv1D,
            {"padding": "same"},
            r"`CausalConv1D` always uses padding='causal'.*"
            r"Received: padding='same'",
        ),
    ],
)
def test_bad_init_args(layer_cls, kwargs, match):
    args = {"filters": 4, "kernel_size": 3}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        layer_cls(**args)


def test_reflect_padding_not_smaller_than_input_at_build():
    layer = DilatedConv2D(4, 3, dilation_rate=3, padding="reflect")
    # k_eff = 7 needs 3 pixels each side: fine for width 6, not height 3.
    with pytest.raises(
        ValueError,
        match=r"Reflection padding must be smaller than the input size on "
        r"each padded axis\. Axis 1 has size 3 but the effective kernel size "
        r"7 needs padding=\(3, 3\)\. Received input shape \(2, 3, 6, 1\)",
    ):
        layer.build((2, 3, 6, 1))


def test_reflect_padding_not_smaller_than_input_at_call():
    layer = DilatedConv1D(4, 5, padding="reflect", data_format="channels_first")
    layer.build((None, 2, None))
    with pytest.raises(
        ValueError,
        match=r"Axis 2 has size 2 but the effective kernel size 5 needs "
        r"padding=\(2, 2\)",
    ):
        layer(np.zeros((1, 2, 2), "float32"))


def test_reflect_padding_rejected_in_functional_model():
    inputs = keras.Input((4, 4, 1))
    with pytest.raises(ValueError, match=r"Axis 2 has size 4"):
        DilatedConv2D(2, (1, 9), padding="reflect")(inputs)


@pytest.mark.parametrize(
    "layer_cls, kwargs, shape, match",
    [
        (
            DilatedConv1D,
            {"kernel_size": 3, "dilation_rate": 4},
            (1, 8, 2),
            r"The input is smaller than the effective kernel size on axis 1: "
            r"size 8 < 9 with padding='valid'\. "
            r"Received input shape \(1, 8, 2\)",
        ),
        (
            DilatedConv2D,
            {"kernel_size": (1, 5), "data_format": "channels_first"},
            (1, 2, 8, 4),
            r"on axis 3: size 4 < 5 with padding='valid'",
        ),
    ],
)
def test_valid_input_smaller_than_kernel(layer_cls, kwargs, shape, match):
    with pytest.raises(ValueError, match=match):
        layer_cls(filters=2, **kwargs).build(shape)
