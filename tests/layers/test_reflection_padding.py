"""Tests for ReflectionPadding1D and ReflectionPadding2D."""

import keras
import numpy as np
import pytest

from tests.layer_test_utils import run_layer_test
from zoo.layers import ReflectionPadding1D
from zoo.layers import ReflectionPadding2D


@pytest.mark.parametrize(
    "layer_cls, kwargs, input_shape, output_shape",
    [
        (ReflectionPadding1D, {}, (2, 5, 3), (2, 7, 3)),
        (ReflectionPadding1D, {"padding": 3}, (2, 5, 3), (2, 11, 3)),
        (ReflectionPadding1D, {"padding": (0, 2)}, (2, 5, 3), (2, 7, 3)),
        (
            ReflectionPadding1D,
            {"padding": (2, 1), "data_format": "channels_first"},
            (2, 3, 5),
            (2, 3, 8),
        ),
        (ReflectionPadding2D, {}, (2, 4, 5, 3), (2, 6, 7, 3)),
        (ReflectionPadding2D, {"padding": (1, 3)}, (2, 4, 5, 3), (2, 6, 11, 3)),
        (
            ReflectionPadding2D,
            {"padding": ((1, 2), (3, 0))},
            (2, 4, 5, 3),
            (2, 7, 8, 3),
        ),
        (
            ReflectionPadding2D,
            {"padding": ((0, 2), 1), "data_format": "channels_first"},
            (2, 3, 4, 5),
            (2, 3, 6, 7),
        ),
    ],
)
def test_layer(layer_cls, kwargs, input_shape, output_shape, tmp_path):
    run_layer_test(
        layer_cls,
        kwargs,
        input_shape,
        expected_output_shape=output_shape,
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
        tmp_path=tmp_path,
    )


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize(
    "padding, np_pairs",
    [(2, [(2, 2)]), ((1, 3), [(1, 3)]), ((0, 4), [(0, 4)])],
)
def test_1d_matches_np_pad(padding, np_pairs, data_format):
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    pad_width = [(0, 0)] + np_pairs + [(0, 0)]
    expected = np.pad(x, pad_width, mode="reflect")
    if data_format == "channels_first":
        x = np.moveaxis(x, 1, 2)
        expected = np.moveaxis(expected, 1, 2)
    layer = ReflectionPadding1D(padding, data_format=data_format)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(layer(x)), expected
    )


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize(
    "padding, np_pairs",
    [
        (2, [(2, 2), (2, 2)]),
        ((1, 3), [(1, 1), (3, 3)]),
        (((0, 3), (4, 1)), [(0, 3), (4, 1)]),
        ((2, (0, 1)), [(2, 2), (0, 1)]),
    ],
)
def test_2d_matches_np_pad(padding, np_pairs, data_format):
    x = np.random.default_rng(1).normal(size=(2, 4, 6, 3)).astype("float32")
    pad_width = [(0, 0)] + np_pairs + [(0, 0)]
    expected = np.pad(x, pad_width, mode="reflect")
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
        expected = np.moveaxis(expected, -1, 1)
    layer = ReflectionPadding2D(padding, data_format=data_format)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(layer(x)), expected
    )


def test_docstring_example_values():
    # The border sample is the mirror axis and is not repeated.
    x = np.array([1.0, 2.0, 3.0], "float32").reshape(1, 3, 1)
    y = keras.ops.convert_to_numpy(ReflectionPadding1D(2)(x))
    np.testing.assert_array_equal(y.ravel(), [3, 2, 1, 2, 3, 2, 1])


def test_pad_of_size_minus_one_is_allowed():
    x = np.arange(4.0, dtype="float32").reshape(1, 4, 1)
    y = keras.ops.convert_to_numpy(ReflectionPadding1D(3)(x))
    np.testing.assert_array_equal(y.ravel(), [3, 2, 1, 0, 1, 2, 3, 2, 1, 0])


def test_config_keeps_padding_normalised():
    layer = ReflectionPadding2D((1, 2))
    assert layer.padding == ((1, 1), (2, 2))
    assert layer.get_config()["padding"] == ((1, 1), (2, 2))
    assert ReflectionPadding1D(2).get_config()["padding"] == (2, 2)
    # Configs read back from JSON hold lists instead of tuples.
    revived = ReflectionPadding2D.from_config(
        {"padding": [[1, 1], [2, 2]], "data_format": "channels_last"}
    )
    assert revived.padding == ((1, 1), (2, 2))


def test_unknown_dims_stay_unknown():
    layer = ReflectionPadding2D(((1, 2), (3, 4)))
    assert layer.compute_output_shape((None, None, 5, 3)) == (None, None, 12, 3)
    layer = ReflectionPadding1D(2, data_format="channels_first")
    assert layer.compute_output_shape((None, 3, None)) == (None, 3, None)


@pytest.mark.parametrize(
    "layer_cls, kwargs, match",
    [
        (
            ReflectionPadding1D,
            {"padding": -1},
            r"The `padding` argument must be non-negative\. "
            r"Received: padding=-1",
        ),
        (
            ReflectionPadding2D,
            {"padding": ((1, -2), (0, 0))},
            r"The `padding` argument must be non-negative\. "
            r"Received: padding=\(\(1, -2\), \(0, 0\)\)",
        ),
        (
            ReflectionPadding1D,
            {"padding": (1, 2, 3)},
            r"The `padding` argument must be an int or \(before, after\)\. "
            r"Received: padding=\(1, 2, 3\)",
        ),
        (
            ReflectionPadding2D,
            {"padding": (1, 2, 3)},
            r"The `padding` argument must be an int or \(\(top, bottom\), "
            r"\(left, right\)\) or \(symmetric_height, symmetric_width\)\. "
            r"Received: padding=\(1, 2, 3\)",
        ),
        (
            ReflectionPadding2D,
            {"padding": ((1, 2, 3), (1, 1))},
            r"Received: padding=\(\(1, 2, 3\), \(1, 1\)\)",
        ),
        (
            ReflectionPadding2D,
            {"padding": ((1, 2), None)},
            r"The `padding` argument must be an int or .*"
            r"Received: padding=\(\(1, 2\), None\)",
        ),
        (
            ReflectionPadding1D,
            {"padding": 1.5},
            r"Received: padding=1\.5",
        ),
        (
            ReflectionPadding1D,
            {"padding": True},
            r"Received: padding=True",
        ),
        (
            ReflectionPadding2D,
            {"padding": "same"},
            r"Received: padding='same'",
        ),
        (
            ReflectionPadding2D,
            {"data_format": "NCHW"},
            r"Invalid value for argument `data_format`\. Expected one of "
            r"\['channels_last', 'channels_first'\]\. "
            r"Received: data_format='NCHW'",
        ),
    ],
)
def test_bad_init_args(layer_cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        layer_cls(**kwargs)


def test_padding_not_smaller_than_input_at_build():
    layer = ReflectionPadding2D(((1, 1), (2, 4)))
    with pytest.raises(
        ValueError,
        match=r"Reflection padding must be smaller than the input size on "
        r"each padded axis\. Axis 2 has size 4 but padding=\(2, 4\)\. "
        r"Received input shape \(2, 5, 4, 3\)",
    ):
        layer.build((2, 5, 4, 3))


def test_padding_not_smaller_than_input_at_call():
    layer = ReflectionPadding1D(3, data_format="channels_first")
    layer.build((None, 2, None))
    with pytest.raises(
        ValueError, match=r"Axis 2 has size 3 but padding=\(3, 3\)"
    ):
        layer(np.zeros((1, 2, 3), "float32"))


def test_padding_not_smaller_than_input_in_functional_model():
    inputs = keras.Input((2, 9, 1))
    with pytest.raises(ValueError, match=r"Axis 1 has size 2"):
        ReflectionPadding2D(2)(inputs)
