"""The registry: lookup, overrides, named configs and shipped weights."""

import keras
import numpy as np
import pytest

import zoo
from zoo import registry
from zoo.saving import ModelFileError


@pytest.fixture
def isolated_registry(monkeypatch):
    """Registrations made by a test vanish after it."""
    monkeypatch.setattr(
        registry, "_model_entrypoints", dict(registry._model_entrypoints)
    )
    monkeypatch.setattr(
        registry, "_model_configs", dict(registry._model_configs)
    )


def test_required_named_configs_are_registered():
    required = {
        "mnist_seed_cnn",
        "mnist_cnn",
        "mnist_mobilenet_v1",
        "mnist_dilated_cnn",
        "fashion_cnn",
        "fashion_mobilenet_v1",
        "fashion_mobilenet_v2",
        "seqmnist_tcn",
        "mnist1d_tcn",
        "adding_tcn",
    }
    assert required <= set(zoo.list_models())


def test_list_models_filters_and_sorts():
    names = zoo.list_models()
    assert names == sorted(names)
    fashion = zoo.list_models("fashion_*")
    assert fashion and all(n.startswith("fashion_") for n in fashion)
    both = zoo.list_models(["*_tcn", "mnist_seed*"])
    assert "adding_tcn" in both and "mnist_seed_cnn" in both
    assert zoo.list_models("no_such_*") == []


def test_model_info_describes_the_task():
    info = zoo.model_info("fashion_mobilenet_v1")
    assert info["name"] == "fashion_mobilenet_v1"
    assert info["class_names"][0] == "T-shirt/top"
    assert info["class_names"][9] == "Ankle boot"
    assert zoo.model_info("mnist_cnn")["class_names"] == tuple("0123456789")
    adding = zoo.model_info("adding_tcn")
    assert adding["task"] == "regression"
    assert adding["input_shape"] == (600, 2)
    seq = zoo.model_info("seqmnist_tcn")
    assert seq["input_shape"] == (784, 1)
    assert seq["kwargs"]["kernel_size"] == 7
    assert len(seq["kwargs"]["dilations"]) == 8
    # A copy: editing it does not change the registered configuration.
    info["kwargs"]["alpha"] = 3.0
    assert zoo.model_info("fashion_mobilenet_v1")["kwargs"]["alpha"] == 0.5


def test_create_model_applies_overrides():
    model = zoo.create_model(
        "mnist_mobilenet_v1", input_shape=(32, 32, 3), num_classes=4
    )
    assert model.input.shape == (None, 32, 32, 3)
    assert model.output.shape == (None, 4)
    # None overrides keep the configuration's value (CLI defaults).
    same = zoo.create_model("mnist_seed_cnn", num_classes=None)
    assert same.output.shape == (None, 10)


def test_unknown_name_suggests_close_matches():
    with pytest.raises(ValueError, match="Did you mean.*'mnist_seed_cnn'"):
        zoo.create_model("mnist_seed_cn")
    with pytest.raises(ValueError, match="Available models: .*'adding_tcn'"):
        zoo.model_info("resnet50")


def test_bad_override_names_the_keyword_and_the_accepted_ones():
    with pytest.raises(
        ValueError, match="'alpha'.*Accepted keywords: .*'num_classes'"
    ):
        zoo.create_model("mnist_seed_cnn", alpha=0.5)


def test_impossible_input_shape_is_a_clear_error():
    with pytest.raises(
        ValueError, match="at least 8.*input_shape=\\(4, 4, 1\\)"
    ):
        zoo.create_model("mnist_mobilenet_v1", input_shape=(4, 4, 1))


def test_register_model_decorator_and_duplicate_warning(isolated_registry):
    @zoo.register_model(config={"input_shape": (12, 12, 1), "num_classes": 3})
    def tiny_cnn(input_shape, num_classes, name=None):
        return zoo.models.seed_cnn(input_shape, num_classes, name=name)

    assert "tiny_cnn" in zoo.list_models()
    model = zoo.create_model("tiny_cnn")
    assert model.name == "tiny_cnn"
    assert model.output.shape == (None, 3)
    with pytest.warns(UserWarning, match="Overwriting.*'tiny_cnn'"):
        zoo.register_model(tiny_cnn)


def test_load_pretrained_without_a_file_lists_shipped_models(tmp_path):
    with pytest.raises(ModelFileError, match="No trained models are shipped"):
        zoo.load_pretrained("mnist_seed_cnn", models_dir=tmp_path)
    zoo.create_model("mnist_seed_cnn").save(tmp_path / "mnist_seed_cnn.keras")
    with pytest.raises(
        ModelFileError,
        match="Did you mean.*Shipped models: \\['mnist_seed_cnn'\\]",
    ):
        zoo.load_pretrained("mnist_seed_cn", models_dir=tmp_path)


def test_load_pretrained_round_trip(tmp_path, monkeypatch):
    model = zoo.create_model("mnist_dilated_cnn")
    model.save(tmp_path / "mnist_dilated_cnn.keras")
    monkeypatch.setenv("ZOO_MODELS_DIR", str(tmp_path))
    assert zoo.list_pretrained() == ["mnist_dilated_cnn"]
    loaded = zoo.load_pretrained("mnist_dilated_cnn")
    x = (
        np.random.default_rng(0)
        .integers(0, 256, (2, 28, 28, 1))
        .astype("float32")
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(x)),
        keras.ops.convert_to_numpy(model(x)),
        atol=1e-6,
    )


def test_default_models_dir_is_next_to_the_package(monkeypatch):
    monkeypatch.delenv("ZOO_MODELS_DIR", raising=False)
    import pathlib

    package = pathlib.Path(zoo.__file__).resolve().parent
    assert registry.default_models_dir() == package.parent / "saved_models"


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_load_pretrained_rejects_damaged_files(tmp_path, damage):
    path = tmp_path / "mnist_seed_cnn.keras"
    if damage == "garbage":
        path.write_bytes(b"this is not a zip archive")
    else:
        zoo.create_model("mnist_seed_cnn").save(path)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="mnist_seed_cnn.keras"):
        zoo.load_pretrained("mnist_seed_cnn", models_dir=tmp_path)


def test_load_pretrained_takes_names_not_paths(tmp_path):
    with pytest.raises(ValueError, match="not a path"):
        zoo.load_pretrained("../mnist_seed_cnn", models_dir=tmp_path)


def test_sequence_models_accept_any_length():
    model = zoo.create_model("mnist1d_tcn", input_shape=(None, 1))
    assert model.input.shape == (None, None, 1)
    x = np.zeros((1, 57, 1), "float32")
    assert model.predict(x, verbose=0).shape == (1, 10)
