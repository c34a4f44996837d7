"""The app's prediction path on the models it ships with.

The other app tests use tiny freshly trained models; these run the same
handlers (`predict_file`, the one behind `/predict`) on `saved_models/`,
with real test images rendered as the uploads people make.
"""

import pathlib

import pytest

from apps import classifier
from apps.models import ModelStore
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
