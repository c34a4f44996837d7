"""An ensemble (`zoo.models.average_ensemble`) in the app's models folder:
it classifies uploads and is the clothing default when its card scores
highest, while the feature-map tab, which shows a model's own layers,
lists only the models it can look inside."""

import json
import logging
import shutil

import gradio as gr
import numpy as np
import pytest

from apps import classifier
from apps import core
from apps.models import ModelStore
from apps.models import top_k
from tests.apps import images
from zoo.models import average_ensemble
from zoo.saving import load_model

MEMBER = "fashion_seed_cnn"
ENSEMBLE = "fashion_pair"


@pytest.fixture(scope="module")
def ensemble_store(models_dir, tmp_path_factory):
    directory = tmp_path_factory.mktemp("with_ensemble")
    for suffix in (".keras", ".json", ".md"):
        shutil.copyfile(
            models_dir / f"{MEMBER}{suffix}", directory / f"{MEMBER}{suffix}"
        )
    card = json.loads((directory / f"{MEMBER}.json").read_text())
    (directory / f"{MEMBER}.json").write_text(
        json.dumps({**card, "metrics": {"test_accuracy": 0.80}})
    )
    first = load_model(directory / f"{MEMBER}.keras")
    second = load_model(directory / f"{MEMBER}.keras")
    second.name = f"{MEMBER}_copy"
    average_ensemble([first, second], flip_average=True, name=ENSEMBLE).save(
        directory / f"{ENSEMBLE}.keras"
    )
    (directory / f"{ENSEMBLE}.json").write_text(
        json.dumps(
            {**card, "name": ENSEMBLE, "metrics": {"test_accuracy": 0.82}}
        )
    )
    return ModelStore(directory)


def test_ensemble_classifies_and_is_the_best_clothing_model(
    ensemble_store, test_clothes, tmp_path
):
    store = ensemble_store
    assert store.names("image") == [ENSEMBLE, MEMBER]
    assert store.best("clothing") == ENSEMBLE
    app = classifier.App(store)
    member = store.get(MEMBER)
    items, _ = test_clothes
    for path in images.write_uploads(items[:5], tmp_path, "item"):
        scores = app.predict(str(path), ENSEMBLE)
        # Both members are the same model: the ensemble's answer is its
        # mean over the prepared picture and its mirror image.
        image = core.prepare_upload(core.read_ink(str(path)))["fashion"]
        batch = core.model_batch(member, image)
        mean = (
            member.probabilities(batch)
            + member.probabilities(batch[:, :, ::-1])
        )[0] / 2
        expected = top_k(mean, member.class_names)
        assert list(scores) == list(expected)
        np.testing.assert_allclose(
            list(scores.values()), list(expected.values()), atol=1e-5
        )


def test_feature_map_tab_lists_only_models_it_can_look_inside(
    ensemble_store, caplog
):
    store = ensemble_store
    assert store.names("inspectable") == [MEMBER]
    assert not store.get(ENSEMBLE).is_inspectable
    app = classifier.App(store)
    assert app.layer_choices(ENSEMBLE)["choices"] == []
    assert app.layer_choices(MEMBER)["choices"]
    with pytest.raises(gr.Error, match="choose one of"):
        app.feature_maps(None, ENSEMBLE, "mirrored")
    # The warm-up skips the ensemble's insides instead of failing on them.
    with caplog.at_level(logging.INFO, logger="apps"):
        app.warm_up()
    assert "Warm-up failed" not in caplog.text
    assert "Warm-up done" in caplog.text


def test_architecture_tab_shows_the_members(ensemble_store):
    app = classifier.App(ensemble_store)
    rows, markdown = app.architecture(ENSEMBLE)
    names = [row[0] for row in rows]
    assert MEMBER in names and f"{MEMBER}_copy" in names
    assert ENSEMBLE in markdown
    probabilities = ensemble_store.get(ENSEMBLE).probabilities(
        np.zeros((1, 28, 28, 1))
    )
    assert probabilities.shape == (1, 10)
