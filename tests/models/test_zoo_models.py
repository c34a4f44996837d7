"""One smoke test per registered model, in the spirit of timm's
`test_models.py`: build, forward pass on raw values, `.keras` round trip."""

import ast
import re

import keras
import numpy as np
import pytest

import zoo


def auto_name(layer):
    """The name Keras would generate: the class name in snake_case."""
    name = type(layer).__name__
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def raw_batch(info, batch_size=2):
    """Values like the data sets' raw ones: 0-255 pixels, MNIST-1D floats
    or the adding problem's (value, marker) pairs."""
    rng = np.random.default_rng(0)
    shape = (batch_size, *info["input_shape"])
    if info["dataset"] == "adding_problem":
        x = np.zeros(shape, "float32")
        x[..., 0] = rng.uniform(size=shape[:2])
        x[:, [3, shape[1] // 2], 1] = 1.0
        return x
    if info["dataset"] == "mnist1d":
        return rng.normal(size=shape).astype("float32")
    return rng.integers(0, 256, size=shape).astype("float32")


@pytest.mark.parametrize("name", zoo.list_models())
def test_registered_model(name, tmp_path):
    info = zoo.model_info(name)
    model = zoo.create_model(name)

    assert isinstance(model, keras.Model)
    assert not isinstance(model, keras.Sequential)
    assert getattr(model, "optimizer", None) is None, "must be uncompiled"
    assert model.name == name
    assert tuple(model.input.shape[1:]) == tuple(info["input_shape"])
    assert model.count_params() == info["params"]
    assert model.layers[1].name == "rescale"
    predictions = model.get_layer("predictions")

    x = raw_batch(info)
    # predict compiles the whole graph once: on JAX that is several times
    # faster than an eager call, which compiles every op on its own.
    y = model.predict(x, verbose=0)
    assert np.all(np.isfinite(y))
    if info["task"] == "classification":
        assert predictions.activation is keras.activations.softmax
        assert y.shape == (len(x), info["num_classes"])
        assert len(info["class_names"]) == info["num_classes"]
        np.testing.assert_allclose(y.sum(axis=1), 1.0, atol=1e-5)
    else:
        assert y.shape == (len(x), info["num_outputs"])
        assert len(info["output_names"]) == info["num_outputs"]

    names = [layer.name for layer in model.layers]
    assert len(set(names)) == len(names)
    generic = [
        layer.name
        for layer in model.layers
        if re.fullmatch(rf"{auto_name(layer)}_\d+", layer.name)
    ]
    assert not generic, f"auto-generated layer names: {generic}"

    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert [layer.name for layer in loaded.layers] == names
    np.testing.assert_allclose(loaded.predict(x, verbose=0), y, atol=1e-5)


def test_every_builder_has_a_preset():
    used = {zoo.model_info(n)["builder"] for n in zoo.list_models()}
    assert used == set(zoo.models.BUILDERS)


@pytest.mark.parametrize("name", zoo.list_models())
def test_preset_is_plain_data(name):
    info = zoo.model_info(name)
    required = {"description", "builder", "kwargs", "input_shape", "task"}
    assert required <= set(info)
    assert "\n" not in info["description"]
    assert info["task"] in ("classification", "regression")
    assert isinstance(info["builder"], str)
    # Plain data: Python literals only, nothing that needs code to rebuild.
    assert ast.literal_eval(repr(info)) == info


def test_layer_names_are_deterministic():
    first = zoo.create_model("fashion_mobilenet_v2").layers
    second = zoo.create_model("fashion_mobilenet_v2").layers
    assert [lay.name for lay in first] == [lay.name for lay in second]


def test_feature_maps_from_model_inputs():
    # The app's feature-map viewer cuts models at any conv output.
    conv_types = (
        keras.layers.Conv2D,
        keras.layers.DepthwiseConv2D,
        zoo.layers.DilatedConv2D,
    )
    x = raw_batch(zoo.model_info("mnist_dilated_cnn"), batch_size=1)
    for name in ("mnist_seed_cnn", "mnist_dilated_cnn", "mnist_mobilenet_v1"):
        model = zoo.create_model(name)
        convs = [lay for lay in model.layers if isinstance(lay, conv_types)]
        assert len(convs) >= 2
        for layer in convs:
            sub = keras.Model(model.inputs, layer.output)
            assert sub.output.shape == layer.output.shape
        # One call for all maps keeps the test fast on JAX.
        every = keras.Model(model.inputs, [lay.output for lay in convs])
        for layer, maps in zip(convs, every([x])):
            assert maps.shape[1:] == tuple(layer.output.shape[1:])
