"""`zoo.models.ensemble`: the average of the members' probabilities (with
and without mirrored views) against numpy, `.keras` round trips, the flip
layer, and the messages for members that cannot be ensembled."""

import keras
import numpy as np
import pytest

import zoo
from zoo.models.ensemble import FlipLeftRight
from zoo.models.ensemble import average_ensemble


def _members():
    keras.utils.set_random_seed(0)
    return zoo.create_model("mnist_seed_cnn"), zoo.create_model("mnist_cnn")


def _images(n=3):
    rng = np.random.default_rng(1)
    return (rng.random((n, 28, 28, 1)) * 255).astype("float32")


def _predict(model, x):
    return keras.ops.convert_to_numpy(model(x, training=False))


@pytest.mark.parametrize("flip", [False, True])
def test_output_is_the_mean_of_the_members(flip):
    a, b = _members()
    x = _images()
    views = [x, x[:, :, ::-1]] if flip else [x]
    expected = np.mean([_predict(m, v) for m in (a, b) for v in views], 0)
    model = average_ensemble([a, b], flip_average=flip, name="pair")
    np.testing.assert_allclose(_predict(model, x), expected, atol=1e-6)
    np.testing.assert_allclose(_predict(model, x).sum(-1), 1.0, atol=1e-5)
    assert model.name == "pair"
    assert model.output_shape == (None, 10)


def test_one_member_without_flip_is_that_member():
    a, _ = _members()
    x = _images()
    np.testing.assert_allclose(
        _predict(average_ensemble([a]), x), _predict(a, x), atol=1e-6
    )


def test_keras_round_trip(tmp_path):
    model = average_ensemble(_members(), flip_average=True)
    path = tmp_path / "ensemble.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    x = _images()
    np.testing.assert_allclose(_predict(loaded, x), _predict(model, x))
    assert any(isinstance(layer, FlipLeftRight) for layer in loaded.layers)


@pytest.mark.parametrize(
    "data_format, axis", [("channels_last", 2), ("channels_first", 3)]
)
def test_flip_mirrors_the_width_axis(data_format, axis):
    x = np.arange(2 * 3 * 4 * 5, dtype="float32").reshape(2, 3, 4, 5)
    layer = FlipLeftRight(data_format=data_format)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(layer(x)), np.flip(x, axis)
    )
    assert layer.compute_output_shape(x.shape) == x.shape
    clone = FlipLeftRight.from_config(layer.get_config())
    assert clone.data_format == data_format


def test_flip_refuses_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="data_format"):
        FlipLeftRight(data_format="nhwc")
    with pytest.raises(ValueError, match="4D image batches"):
        FlipLeftRight()(np.zeros((2, 5, 3), "float32"))


def test_refusals():
    a, b = _members()
    with pytest.raises(ValueError, match="at least one member"):
        average_ensemble([])
    with pytest.raises(ValueError, match="distinct names"):
        average_ensemble([a, a])
    other = zoo.create_model("mnist_seed_cnn", num_classes=3)
    other.name = "three_classes"
    with pytest.raises(ValueError, match="share their input and output"):
        average_ensemble([a, other])
    sequence = zoo.create_model("mnist1d_tcn")
    with pytest.raises(ValueError, match="4D image inputs"):
        average_ensemble([sequence], flip_average=True)
