"""Small trained models and real test images for the app's tests.

Once per session, a seed CNN is fitted for 2 epochs on the 10,000 MNIST
training digits (~97 % test accuracy) and another for 1 epoch on 10,000
Fashion-MNIST items (~81 %), both saved with model cards into a temporary
`--models` folder together with an untrained sequential-MNIST TCN (the
sequence tab only needs its shapes). About 15 s on 2 CPU cores with
TensorFlow, 45 s with JAX (slower CPU convolutions).

Without the full data sets the same models are fitted on the shipped sample
(`tests/data/`: 2,000 digits for 3 epochs, ~95 % on its 500 test digits;
1,000 Fashion items for 3 epochs, ~76 %), in about the same time.
"""

import gzip
import json
import socket

import keras
import numpy as np
import pytest

import zoo
from tests.conftest import full_datasets_dir
from tests.conftest import shared_datasets_dir
from zoo.models.presets import FASHION_CLASSES

TRAIN_EXAMPLES = 10_000
# (examples, epochs) when only the shipped sample is there: all of it, and
# more epochs to make up for fewer steps.
SAMPLE_TRAINING = {"mnist": (2_000, 3), "fashion-mnist": (1_000, 3)}


def read_idx(path, count):
    # An independent IDX reader, so these tests do not depend on the
    # training package's parser.
    with gzip.open(path, "rb") as f:
        dims = f.read(4)[3]
        shape = np.frombuffer(f.read(4 * dims), dtype=">u4").astype(int)
        size = int(np.prod(shape[1:])) if dims > 1 else 1
        data = np.frombuffer(f.read(count * size), dtype=np.uint8)
    return data.reshape(count, *shape[1:])


def load_split(folder, split, count):
    root = shared_datasets_dir() / folder
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(root / f"{prefix}-images-idx3-ubyte.gz", count)
    labels = read_idx(root / f"{prefix}-labels-idx1-ubyte.gz", count)
    return images, labels


def _train(name, folder, epochs):
    keras.utils.set_random_seed(0)
    count = TRAIN_EXAMPLES
    if full_datasets_dir() is None:
        count, epochs = SAMPLE_TRAINING[folder]
    images, labels = load_split(folder, "train", count)
    model = zoo.models.seed_cnn(name=name)
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(
        images[..., None].astype("float32"),
        labels,
        batch_size=32,
        epochs=epochs,
        verbose=0,
    )
    return model


def _write_card(directory, name, dataset, classes):
    card = {
        "name": name,
        "task": "classification",
        "dataset": dataset,
        "classes": list(classes),
        "input_shape": [28, 28, 1],
        "description": f"Test model: seed CNN briefly trained on {dataset}.",
    }
    (directory / f"{name}.json").write_text(json.dumps(card))
    (directory / f"{name}.md").write_text(
        f"# {name}\n\nTest model card.\n\n![curves](curves.png)\n"
    )


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("models")
    _train("mnist_seed_cnn", "mnist", epochs=2).save(
        directory / "mnist_seed_cnn.keras"
    )
    _write_card(
        directory, "mnist_seed_cnn", "mnist", [str(i) for i in range(10)]
    )
    _train("fashion_seed_cnn", "fashion-mnist", epochs=1).save(
        directory / "fashion_seed_cnn.keras"
    )
    fashion = list(FASHION_CLASSES)
    _write_card(directory, "fashion_seed_cnn", "fashion_mnist", fashion)
    # Registered name, no card: the app falls back on the registry.
    zoo.create_model("seqmnist_tcn").save(directory / "seqmnist_tcn.keras")
    return directory


@pytest.fixture(scope="session")
def store(models_dir):
    from apps.models import ModelStore

    return ModelStore(models_dir)


@pytest.fixture(scope="session")
def test_digits():
    """The first 100 MNIST test digits and labels (uint8)."""
    return load_split("mnist", "test", 100)


@pytest.fixture(scope="session")
def test_clothes():
    return load_split("fashion-mnist", "test", 100)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def app_url(store):
    """One running app per session, on a free local port."""
    from apps import classifier

    demo = classifier.build_app(store=store)
    _, url, _ = classifier.launch(
        demo, port=_free_port(), prevent_thread_lock=True, quiet=True
    )
    yield url
    demo.close()
