"""Tests for DepthwiseSeparableConv2D."""

import keras
import numpy as np
import pytest

from tests.layer_test_utils import random_weights
from tests.layer_test_utils import run_layer_test
from zoo.layers import DepthwiseSeparableConv2D


def np_separable_conv(
    x, depthwise, pointwise, bias, strides, padding, dilation
):
    """Channels-last depthwise conv, then a 1x1 conv, from the definition.

    Depthwise output channel `c * depth_multiplier + m` is input channel `c`
    correlated with `depthwise[..., c, m]` (the order keras uses).
    """
    kh, kw, channels, multiplier = depthwise.shape
    eh, ew = [(k - 1) * d + 1 for k, d in zip((kh, kw), dilation)]
    pads = [(0, 0), (0, 0)]
    if padding == "reflect":
        pads = [((e - 1) // 2, e - 1 - (e - 1) // 2) for e in (eh, ew)]
    elif padding == "same":
        pads = []
        for size, e, s in zip(x.shape[1:3], (eh, ew), strides):
            total = max((-(-size // s) - 1) * s + e - size, 0)
            pads.append((total // 2, total - total // 2))
    mode = "reflect" if padding == "reflect" else "constant"
    xp = np.pad(x.astype("float64"), [(0, 0), *pads, (0, 0)], mode=mode)
    oh = (xp.shape[1] - eh) // strides[0] + 1
    ow = (xp.shape[2] - ew) // strides[1] + 1

    mid = np.zeros((x.shape[0], oh, ow, channels, multiplier))
    for i in range(kh):
        for j in range(kw):
            r, c = i * dilation[0], j * dilation[1]
            window = xp[
                :,
                r : r + (oh - 1) * strides[0] + 1 : strides[0],
                c : c + (ow - 1) * strides[1] + 1 : strides[1],
            ]
            mid += window[..., None] * depthwise[i, j]
    mid = mid.reshape(x.shape[0], oh, ow, channels * multiplier)
    y = mid @ pointwise[0, 0]
    if bias is not None:
        y += bias
    return y


BASE = {"filters": 4, "kernel_size": 3}


@pytest.mark.parametrize(
    "kwargs, input_shape, output_shape, num_weights",
    [
        ({}, (2, 7, 6, 2), (2, 5, 4, 4), 3),
        ({"padding": "same", "strides": 2}, (2, 7, 6, 2), (2, 4, 3, 4), 3),
        (
            {"padding": "reflect", "dilation_rate": 2},
            (2, 7, 6, 2),
            (2, 7, 6, 4),
            3,
        ),
        (
            {"padding": "same", "depth_multiplier": 3},
            (2, 7, 6, 2),
            (2, 7, 6, 4),
            3,
        ),
        (
            {
                "padding": "reflect",
                "data_format": "channels_first",
                "activation": "relu",
            },
            (2, 2, 7, 6),
            (2, 4, 7, 6),
            3,
        ),
        ({"use_bias": False}, (2, 7, 6, 2), (2, 5, 4, 4), 2),
    ],
)
def test_layer(kwargs, input_shape, output_shape, num_weights, tmp_path):
    layer = run_layer_test(
        DepthwiseSeparableConv2D,
        {**BASE, **kwargs},
        input_shape,
        expected_output_shape=output_shape,
        expected_num_trainable_weights=num_weights,
        expected_num_non_trainable_weights=0,
        tmp_path=tmp_path,
    )
    names = [w.path.split("/")[-1] for w in layer.weights]
    expected = ["depthwise_kernel", "pointwise_kernel", "bias"]
    assert names == expected[:num_weights]


@pytest.mark.parametrize(
    "padding, kernel_size, strides, dilation, multiplier",
    [
        ("valid", 3, 1, 1, 1),
        ("same", (3, 2), 2, 1, 2),
        ("same", 3, 1, (2, 3), 1),
        ("reflect", 3, 1, 2, 2),
        ("reflect", (2, 4), (2, 1), 1, 1),
    ],
)
def test_matches_numpy(padding, kernel_size, strides, dilation, multiplier):
    x = np.random.default_rng(0).normal(size=(2, 9, 8, 3)).astype("float32")
    layer = DepthwiseSeparableConv2D(
        5,
        kernel_size,
        strides=strides,
        padding=padding,
        dilation_rate=dilation,
        depth_multiplier=multiplier,
        depthwise_initializer="zeros",
        pointwise_initializer="zeros",
    )
    layer.build(x.shape)
    depthwise, pointwise, bias = random_weights(layer)
    expected = np_separable_conv(
        x,
        depthwise,
        pointwise,
        bias,
        layer.strides,
        padding,
        layer.dilation_rate,
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer(x)), expected, rtol=1e-4, atol=1e-4
    )


def test_channels_first_matches_numpy():
    x = np.random.default_rng(1).normal(size=(2, 3, 8, 7)).astype("float32")
    layer = DepthwiseSeparableConv2D(
        4,
        3,
        padding="reflect",
        depth_multiplier=2,
        data_format="channels_first",
        depthwise_initializer="zeros",
        pointwise_initializer="zeros",
    )
    layer.build(x.shape)
    depthwise, pointwise, bias = random_weights(layer)
    expected = np_separable_conv(
        np.moveaxis(x, 1, -1),
        depthwise,
        pointwise,
        bias,
        (1, 1),
        "reflect",
        (1, 1),
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer(x)),
        np.moveaxis(expected, -1, 1),
        rtol=1e-4,
        atol=1e-4,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"padding": "valid"},
        {"padding": "same", "strides": 2, "depth_multiplier": 2},
        {"padding": "same", "dilation_rate": 2},
        {"padding": "valid", "data_format": "channels_first"},
        {"padding": "same", "use_bias": False},
    ],
)
def test_equals_keras_separable_conv2d(kwargs):
    channels_first = kwargs.get("data_format") == "channels_first"
    shape = (2, 3, 9, 8) if channels_first else (2, 9, 8, 3)
    x = np.random.default_rng(2).normal(size=shape).astype("float32")
    init = {"depthwise_initializer": "zeros", "pointwise_initializer": "zeros"}
    ours = DepthwiseSeparableConv2D(4, 3, **init, **kwargs)
    reference = keras.layers.SeparableConv2D(4, 3, **init, **kwargs)
    ours.build(x.shape)
    reference.build(x.shape)
    reference.set_weights(random_weights(ours))
    assert [w.shape for w in ours.weights] == [
        w.shape for w in reference.weights
    ]
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(ours(x)),
        keras.ops.convert_to_numpy(reference(x)),
        rtol=1e-5,
        atol=1e-5,
    )


def test_effective_kernel_size():
    layer = DepthwiseSeparableConv2D(4, (3, 2), dilation_rate=(3, 4))
    assert layer.effective_kernel_size == (7, 5)


def test_unknown_spatial_dims_stay_unknown():
    layer = DepthwiseSeparableConv2D(4, 3, strides=2, padding="same")
    assert layer.compute_output_shape((None, None, 9, 3)) == (None, None, 5, 4)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"filters": 0},
            r"Invalid value for argument `filters`\. Expected a strictly "
            r"positive integer\. Received: filters=0",
        ),
        (
            {"depth_multiplier": 0},
            r"Invalid value for argument `depth_multiplier`\. Expected a "
            r"strictly positive integer\. Received: depth_multiplier=0",
        ),
        (
            {"kernel_size": (3, 0)},
            r"`kernel_size` argument must be strictly positive\. "
            r"Received: kernel_size=\(3, 0\)",
        ),
        (
            {"dilation_rate": -2},
            r"`dilation_rate` argument must be strictly positive\. "
            r"Received: dilation_rate=-2",
        ),
        (
            {"padding": "causal"},
            r"Invalid value for argument `padding`\. Expected one of "
            r"\['valid', 'same', 'reflect'\]\. Received: padding='causal'",
        ),
        (
            {"strides": 2, "dilation_rate": 2},
            r"`strides > 1` is not compatible with `dilation_rate > 1`\. "
            r"Received: strides=\(2, 2\), dilation_rate=\(2, 2\)",
        ),
        (
            {"data_format": "NHWC"},
            r"Invalid value for argument `data_format`\. Expected one of "
            r"\['channels_last', 'channels_first'\]\. "
            r"Received: data_format='NHWC'",
        ),
    ],
)
def test_bad_init_args(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DepthwiseSeparableConv2D(**{**BASE, **kwargs})


def test_reflection_pad_not_smaller_than_input():
    layer = DepthwiseSeparableConv2D(4, 3, padding="reflect", dilation_rate=2)
    with pytest.raises(
        ValueError,
        match=r"Reflection padding must be smaller than the input size on "
        r"each padded axis\. Axis 2 has size 2 but the effective kernel size "
        r"5 needs padding=\(2, 2\)\. Received input shape \(1, 8, 2, 3\)",
    ):
        layer.build((1, 8, 2, 3))


def test_valid_input_smaller_than_kernel():
    layer = DepthwiseSeparableConv2D(4, (2, 5), data_format="channels_first")
    with pytest.raises(
        ValueError,
        match=r"The input is smaller than the effective kernel size on axis "
        r"3: size 4 < 5 with padding='valid'\. "
        r"Received input shape \(1, 3, 8, 4\)",
    ):
        layer.build((1, 3, 8, 4))
