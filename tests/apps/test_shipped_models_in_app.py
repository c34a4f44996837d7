"""The app's prediction path on the models it ships with.

The other app tests use tiny freshly trained models; these run the same
handlers (`predict_file`, the one behind `/predict`) on `saved_models/`,
with real test images rendered as the uploads people make, and the
Sequence tab's pixel-by-pixel streaming on the shipped seq-MNIST TCN.
"""

import logging
import pathlib

import keras
import numpy as np
import pytest

from apps import classifier
from apps.models import ModelStore
from apps.shell import TRACING_WARNING
from tests.apps import images

SAVED = pathlib.Path(__file__).resolve().parents[2] / "saved_models"
UPLOADS = 20


@pytest.fixture(scope="module")
def shipped():
    return ModelStore(SAVED)


def _shipped_names(store, dataset):
    return [e.name for e in store.entries.values() if e.dataset == dataset]


def _accuracy(entry, uploads, labels):
    predicted = [classifier.predict_file(entry, path) for path in uploads]
    top = [max(p, key=p.get) for p in predicted]
    return sum(t == entry.class_names[y] for t, y in zip(top, labels)) / len(
        labels
    )


@pytest.mark.parametrize(
    "dataset, split_name, minimum",
    [("mnist", "mnist", 0.9), ("fashion_mnist", "fashion-mnist", 0.8)],
)
def test_shipped_image_models_read_uploads(
    shipped, dataset, split_name, minimum, tmp_path, datasets_dir
):
    from tests.apps.conftest import load_split

    names = _shipped_names(shipped, dataset)
    if not names:
        pytest.skip(f"no shipped {dataset} model in {SAVED}")
    x, y = load_split(split_name, "test", UPLOADS)
    uploads = images.write_uploads(x, tmp_path, dataset)
    for name in names:
        accuracy = _accuracy(shipped.get(name), uploads, y[:UPLOADS])
        assert accuracy >= minimum, (name, accuracy)


def test_shipped_sequence_model_streams_test_digits(shipped, datasets_dir):
    from apps.sequence import Streamer
    from tests.apps.conftest import load_split

    if "seqmnist_tcn" not in shipped.entries:
        pytest.skip(f"seqmnist_tcn is not shipped in {SAVED}")
    model = shipped.get("seqmnist_tcn").model
    streamer = Streamer(model)
    digits, labels = load_split("mnist", "test", 10)
    sequences = digits.reshape(-1, 784, 1).astype("float32")
    streamed = np.stack([streamer.run(s)[-1] for s in sequences])
    # Streaming one pixel at a time ends where the full call does.
    np.testing.assert_allclose(
        streamed, model.predict_on_batch(sequences), atol=1e-4
    )
    assert np.sum(np.argmax(streamed, -1) == labels) >= 9


def test_sequence_tab_streams_a_model_that_answers_early(shipped, datasets_dir):
    from apps.sequence import Streamer
    from tests.apps.conftest import load_split

    entry = shipped.get(shipped.best("sequence"))
    assert entry.answers_early, entry.name
    streamer = Streamer(entry.model)
    # 100 digits: after 21 rows the model is nearly sure (the last rows of
    # an MNIST digit are mostly blank), so the last step is a small one
    # that 10 digits cannot measure.
    digits, labels = load_split("mnist", "test", 100)
    rows = np.stack(
        [
            streamer.run(d.reshape(784, 1).astype("float32"))[27::28]
            for d in digits
        ]
    )
    truth = rows[np.arange(len(labels)), :, labels]  # (digits, 28 rows)
    # The true digit's probability grows as rows arrive: low after 7 rows,
    # higher after 14 and 21, highest at the end.
    means = truth[:, [6, 13, 20, 27]].mean(axis=0)
    assert np.all(np.diff(means) > 0), means
    assert np.sum(np.argmax(rows[:, -1], -1) == labels) >= 97


@pytest.mark.large
def test_warm_up_compiles_each_function_once_and_quietly(caplog):
    # A fresh store, loaded as the app loads it: other tests here call the
    # shared one with other batch sizes.
    store = ModelStore(SAVED, warm_up=False)
    app = classifier.App(store)
    with caplog.at_level(logging.WARNING):
        app.warm_up()
    assert "Warm-up failed" not in caplog.text
    # TensorFlow warns from the fifth model's first trace on (see
    # TRACING_WARNING); the shipped folder has more than five models.
    assert TRACING_WARNING not in caplog.text
    if keras.backend.backend() != "tensorflow":
        return
    entries = store.entries.values()
    functions = [
        e.model.predict_function for e in entries if e.task == "classification"
    ] + [
        e.activation_model().predict_function
        for e in entries
        if e.is_inspectable
    ]
    # A person's first requests trace nothing anew.
    app.warm_up()
    counts = [f.experimental_get_tracing_count() for f in functions]
    assert counts == [1] * len(functions)
