"""The app's numpy core and model bookkeeping, without a server."""

import numpy as np

from apps import core
from apps import models


def _photo_of_a_one():
    # Paper lit from the left (grey 120 -> white 250) with a dark stroke.
    paper = np.linspace(120, 250, 200)[None, :].repeat(200, axis=0)
    paper[40:160, 95:105] = 20.0
    return paper


def test_a_lighting_gradient_is_flattened_before_reading():
    from apps import preprocess

    ink = preprocess.ink_from_gray(_photo_of_a_one())
    raw = core.prepare(ink, "mnist")
    flat = core.prepare(core.flatten_background(ink), "mnist")
    # Without flattening the lit-up paper becomes a grey box around the
    # stroke; with it the paper is black again and only the stroke is ink.
    assert (raw > 10).mean() > 0.2
    assert (flat > 10).mean() < 0.08 and flat.max() == 255.0


def test_a_clean_picture_is_left_as_it_is():
    ink = np.zeros((64, 64), "float32")
    ink[10:50, 20:44] = 255.0  # a solid block, wider than any window
    np.testing.assert_array_equal(core.flatten_background(ink), ink)


def test_card_parts_move_images_out_and_drop_empty_headings():
    text, images = core.card_parts(
        "# m\n\nIntro.\n\n## Training curves\n\n![Training curves](m_c.png)"
        "\n\n## Reproduce\n\nzoo-train ...\n"
    )
    assert images == [("Training curves", "m_c.png")]
    assert "## Training curves" not in text and "![" not in text
    assert "## Reproduce" in text and "Intro." in text


def test_old_cards_take_the_registry_description():
    model = type("M", (), {"outputs": [np.zeros((1, 10))]})()
    info = {"description": "VGG-style digit CNN."}
    old = {"description": "MNIST handwritten digits, 28x28 grey, 0-255"}
    new = dict(old, dataset_description="MNIST digits")
    assert models.describe("m", model, old, info)[3] == info["description"]
    assert models.describe("m", model, new, info)[3] == old["description"]


def test_best_ranks_by_the_cards_test_accuracy():
    def entry(accuracy):
        metrics = {} if accuracy is None else {"test_accuracy": accuracy}
        card = {"metrics": metrics}
        return type(
            "E",
            (),
            {
                "test_accuracy": models.ModelEntry.test_accuracy.fget(
                    type("C", (), {"card": card})()
                ),
                "is_image_classifier": True,
                "style": "mnist",
                "is_digit_model": True,
            },
        )()

    store = models.ModelStore.__new__(models.ModelStore)
    store.entries = {
        "a_seed": entry(0.976),
        "b_cnn": entry(0.9947),
        "c": entry(None),
    }
    assert store.best("digit") == "b_cnn"
    store.entries = {"z": entry(None), "y": entry(None)}
    assert store.best("digit") == "y"
    store.entries = {}
    assert store.best("digit") is None


def _seqmnist_entry(card):
    """A seq-MNIST model entry with this card (no model loaded)."""
    return models.ModelEntry(
        name="m",
        model=None,
        task="classification",
        dataset="seqmnist",
        class_names=tuple("0123456789"),
        card=card,
    )


def test_sequence_default_prefers_a_model_that_answers_early():
    def entry(accuracy, anytime):
        card = {"metrics": {"test_accuracy": accuracy}}
        if anytime:
            card["anytime"] = {"every": 28, "accuracy_by_reading": [0.5]}
        return _seqmnist_entry(card)

    store = models.ModelStore.__new__(models.ModelStore)
    store.entries = {
        "last_only": entry(0.99, False),
        "early": entry(0.985, True),
    }
    store.names = lambda kind: sorted(store.entries)
    assert store.best("sequence") == "early"
    assert store.best("digit") == "last_only"


def test_sequence_status_says_what_early_answers_are_worth():
    from apps.tabs.sequence import early_answers_text

    entry = _seqmnist_entry
    assert "final answer only" in early_answers_text(entry({}))
    readings = [0.1] * 13 + [0.61] + [0.9] * 13 + [0.987]
    text = early_answers_text(
        entry({"anytime": {"every": 28, "accuracy_by_reading": readings}})
    )
    assert "61% of the time after 392 of 784 pixels" in text
    assert "98.7% at the end" in text
