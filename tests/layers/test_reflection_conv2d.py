"""Tests for ReflectionConv2D."""

import keras
import numpy as np
import pytest

from tests.layer_test_utils import assert_matches_numpy
from tests.layer_test_utils import keras_conv
from tests.layer_test_utils import random_weights
from tests.layer_test_utils import run_layer_test
from zoo.layers import ReflectionConv2D
from zoo.layers import ReflectionPadding2D

BASE = {"filters": 4, "kernel_size": 3}


@pytest.mark.parametrize(
    "kwargs, input_shape, output_shape, num_weights",
    [
        ({}, (2, 7, 6, 2), (2, 7, 6, 4), 2),
        ({"dilation_rate": (2, 3)}, (2, 7, 8, 2), (2, 7, 8, 4), 2),
        ({"strides": 2}, (2, 7, 6, 2), (2, 4, 3, 4), 2),
        (
            {"data_format": "channels_first", "activation": "relu"},
            (2, 2, 7, 6),
            (2, 4, 7, 6),
            2,
        ),
        ({"use_bias": False}, (2, 7, 6, 2), (2, 7, 6, 4), 1),
        ({"weight_norm": True}, (2, 7, 6, 2), (2, 7, 6, 4), 3),
    ],
)
def test_layer(kwargs, input_shape, output_shape, num_weights, tmp_path):
    layer = run_layer_test(
        ReflectionConv2D,
        {**BASE, **kwargs},
        input_shape,
        expected_output_shape=output_shape,
        expected_num_trainable_weights=num_weights,
        expected_num_non_trainable_weights=0,
        tmp_path=tmp_path,
    )
    assert layer.get_config()["padding"] == "reflect"


def layer_and_input(kernel_size, strides, dilation, data_format, seed):
    """A zero-initialised `ReflectionConv2D` with 5 filters and a random
    batch of 3-channel 9x10 images in `data_format`."""
    channels_first = data_format == "channels_first"
    shape = (2, 3, 9, 10) if channels_first else (2, 9, 10, 3)
    x = np.random.default_rng(seed).normal(size=shape).astype("float32")
    layer = ReflectionConv2D(
        5,
        kernel_size,
        strides=strides,
        dilation_rate=dilation,
        data_format=data_format,
        kernel_initializer="zeros",
    )
    return layer, x


@pytest.mark.parametrize(
    "kernel_size, strides, dilation, data_format",
    [
        (3, 1, 1, "channels_last"),
        # An even kernel pads one pixel more after than before, as "same".
        ((4, 2), 1, 1, "channels_last"),
        (3, 1, (2, 3), "channels_last"),
        (5, 2, 1, "channels_last"),
        (3, 1, 2, "channels_first"),
        ((2, 3), (1, 2), 1, "channels_first"),
    ],
)
def test_equals_reflection_padding_then_valid_conv2d(
    kernel_size, strides, dilation, data_format
):
    ours, x = layer_and_input(kernel_size, strides, dilation, data_format, 0)
    ours.build(x.shape)
    weights = random_weights(ours)

    # Pad from the effective kernel k + (k - 1)(d - 1), split like "same".
    pads = []
    for k, d in zip(ours.kernel_size, ours.dilation_rate):
        total = (k - 1) * d
        pads.append((total // 2, total - total // 2))
    padding = ReflectionPadding2D(tuple(pads), data_format=data_format)
    padded = keras.ops.convert_to_numpy(padding(x))
    expected = keras_conv(
        keras.layers.Conv2D,
        weights,
        padded,
        5,
        kernel_size,
        strides=strides,
        dilation_rate=dilation,
        padding="valid",
        data_format=data_format,
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(ours(x)), expected, rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize(
    "kernel_size, strides, dilation, data_format",
    [
        (3, 2, 2, "channels_last"),
        ((2, 3), (3, 2), (2, 3), "channels_last"),
        (3, 2, (1, 3), "channels_first"),
    ],
)
def test_strides_with_dilation_match_numpy(
    kernel_size, strides, dilation, data_format
):
    layer, x = layer_and_input(kernel_size, strides, dilation, data_format, 2)
    assert_matches_numpy(layer, x)


def test_matches_numpy_reflect_and_correlate():
    # A 3x3 kernel with one nonzero tap at (r, c) shifts the reflected image:
    # output[i, j] = padded[i + r, j + c] for a single channel.
    x = np.random.default_rng(1).normal(size=(1, 5, 6, 1)).astype("float32")
    layer = ReflectionConv2D(1, 3, use_bias=False, kernel_initializer="zeros")
    layer.build(x.shape)
    padded = np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)], mode="reflect")
    for r, c in [(0, 0), (2, 1), (1, 2)]:
        kernel = np.zeros((3, 3, 1, 1), "float32")
        kernel[r, c] = 1.0
        layer.set_weights([kernel])
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(layer(x)),
            padded[:, r : r + 5, c : c + 6],
            atol=1e-6,
        )


def test_no_dark_border_on_a_constant_image():
    # Zero padding darkens the border of a constant image; reflection
    # does not, which is the reason this layer exists.
    x = np.ones((1, 6, 6, 1), "float32")
    kwargs = {"use_bias": False, "kernel_initializer": "ones"}
    ours = keras.ops.convert_to_numpy(ReflectionConv2D(1, 3, **kwargs)(x))
    same = keras.layers.Conv2D(1, 3, padding="same", **kwargs)(x)
    np.testing.assert_allclose(ours, 9.0)
    assert keras.ops.convert_to_numpy(same)[0, 0, 0, 0] == 4.0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"padding": "same"},
            r"`ReflectionConv2D` always uses padding='reflect'; use "
            r"`DilatedConv2D` for other modes\. Received: padding='same'",
        ),
        (
            {"kernel_size": 0},
            r"`kernel_size` argument must be strictly positive\. "
            r"Received: kernel_size=0",
        ),
        (
            {"filters": -1},
            r"Expected a strictly positive integer\. Received: filters=-1",
        ),
        (
            {"dilation_rate": (1, 0)},
            r"`dilation_rate` argument must be strictly positive\. "
            r"Received: dilation_rate=\(1, 0\)",
        ),
        (
            {"data_format": "channels_middle"},
            r"Received: data_format='channels_middle'",
        ),
    ],
)
def test_bad_init_args(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ReflectionConv2D(**{**BASE, **kwargs})


def test_reflection_pad_not_smaller_than_input():
    layer = ReflectionConv2D(4, 5, data_format="channels_first")
    with pytest.raises(
        ValueError,
        match=r"Axis 3 has size 2 but the effective kernel size 5 needs "
        r"padding=\(2, 2\)\. Received input shape \(1, 3, 8, 2\)",
    ):
        layer.build((1, 3, 8, 2))


def test_reflection_pad_checked_at_call_for_unknown_sizes():
    layer = ReflectionConv2D(4, 3, dilation_rate=2)
    layer.build((None, None, None, 1))
    with pytest.raises(ValueError, match=r"Axis 1 has size 2"):
        layer(np.zeros((1, 2, 9, 1), "float32"))
