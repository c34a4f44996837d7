"""Anytime training (`zoo-train --anytime`): readings equal the classifier
on the cut sequence, the weighted loss against numpy, and the run saves
the plain classifier with per-reading test accuracies on its card."""

import json

import keras
import numpy as np
import pytest

from tests.training.cli_utils import TINY
from tests.training.cli_utils import assert_one_line_error
from tests.training.cli_utils import run_in_process
from tests.training.cli_utils import train_tiny_mnist1d
from training import anytime
from training import train
from zoo.models.tcn import tcn_classifier
from zoo.saving import load_model

SMALL = dict(num_classes=3, nb_filters=4, kernel_size=2, dilations=(1, 2))


def small_classifier(steps):
    return tcn_classifier(input_shape=(steps, 1), input_scale=1.0, **SMALL)


def test_reading_weights_grow_and_sum_to_one():
    weights = anytime.reading_weights(28)
    assert len(weights) == 28
    assert sum(weights) == pytest.approx(1.0)
    assert weights[-1] == anytime.FINAL_WEIGHT
    assert all(a < b for a, b in zip(weights[:-2], weights[1:-1]))
    assert anytime.reading_weights(1) == [1.0]
    with pytest.raises(ValueError, match="at least one"):
        anytime.reading_weights(0)


def test_each_reading_is_the_classifier_on_the_cut_sequence():
    model = small_classifier(12)
    trainer = anytime.AnytimeTrainer(model, every=4)
    x = np.random.default_rng(0).normal(size=(2, 12, 1)).astype("float32")

    readings = keras.ops.convert_to_numpy(trainer(x))

    assert readings.shape == (2, 3, 3)
    # An independent route: the same weights read a shorter sequence.
    any_length = tcn_classifier(input_shape=(None, 1), input_scale=1.0, **SMALL)
    any_length.set_weights(model.get_weights())
    for reading, steps in enumerate((4, 8, 12)):
        cut = keras.ops.convert_to_numpy(any_length(x[:, :steps]))
        np.testing.assert_allclose(readings[:, reading], cut, atol=1e-5)
    np.testing.assert_allclose(
        readings[:, -1], keras.ops.convert_to_numpy(model(x)), atol=1e-5
    )
    # Shared layers: the trainer owns no weight of its own.
    assert len(trainer.weights) == len(model.weights)


def test_anytime_crossentropy_against_numpy():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(5, 4, 3))
    probabilities = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    labels = np.array([0, 2, 1, 1, 0])
    weights = np.array(anytime.reading_weights(4))
    picked = probabilities[np.arange(5)[:, None], np.arange(4), labels[:, None]]
    expected = np.mean(np.sum(-np.log(picked) * weights, axis=1))

    loss = anytime.AnytimeCrossentropy(4)(
        labels, probabilities.astype("float32")
    )

    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)


def test_reading_accuracy_reads_one_reading():
    metric = anytime.ReadingAccuracy(reading=0)
    probabilities = np.zeros((2, 2, 3), "float32")
    probabilities[:, 0, 1] = 1.0  # first reading says 1, the last says 0
    probabilities[:, 1, 0] = 1.0
    metric.update_state(np.array([1, 1]), probabilities)
    assert float(metric.result()) == 1.0


@pytest.mark.parametrize(
    "model, every, words",
    [
        (lambda: small_classifier(12), 5, ["divisible by 5", "12 steps"]),
        (lambda: small_classifier(12), 0, ["positive int"]),
        (
            lambda: tcn_classifier(
                input_shape=(12, 1), padding="same", **SMALL
            ),
            4,
            ["causal"],
        ),
    ],
)
def test_trainer_rejects_what_it_cannot_read(model, every, words):
    with pytest.raises(ValueError) as err:
        anytime.AnytimeTrainer(model(), every)
    for word in words:
        assert word in str(err.value)


def test_anytime_on_images_is_a_usage_error(tmp_path, capsys):
    argv = ["--model", "mnist_seed_cnn", "--data", "mnist", "--anytime", "7"]
    code, _, stderr = run_in_process(
        "zoo-train", train.main, [*argv, "--out", str(tmp_path / "o")], capsys
    )
    assert_one_line_error(code, stderr, "zoo-train", "--anytime", "sequence")


def test_anytime_run_saves_the_classifier_and_reading_accuracies(
    tmp_path, capsys
):
    out = tmp_path / "run"
    argv = ["--model", "mnist1d_tcn", "--data", "mnist1d", "--anytime", "8"]
    code, _, stderr = run_in_process(
        "zoo-train", train.main, [*argv, *TINY, "--out", str(out)], capsys
    )

    assert code == 0, stderr
    model = load_model(out / "mnist1d_tcn.keras")
    assert model.output_shape == (None, 10)  # the plain classifier
    card = json.loads((out / "mnist1d_tcn.json").read_text())
    readings = card["anytime"]["accuracy_by_reading"]
    assert card["anytime"]["every"] == 8
    assert card["anytime"]["final_weight"] == 0.5
    assert len(readings) == 5
    assert readings[-1] == pytest.approx(card["metrics"]["test_accuracy"])
    assert card["metrics"]["test_accuracy_after_5_of_5"] == readings[-1]
    assert "test_accuracy_after_2_of_5" in card["metrics"]
    markdown = (out / "mnist1d_tcn.md").read_text()
    assert "## Answers before the end" in markdown
    assert "| 3 of 5 | 24 of 40 |" in markdown


def test_init_from_copies_weights_and_rejects_other_architectures(
    tmp_path, capsys
):
    source = tmp_path / "source.keras"
    first = ["--model", "mnist1d_tcn", "--data", "mnist1d", *TINY]
    assert (
        run_in_process(
            "zoo-train",
            train.main,
            [*first, "--out", str(tmp_path / "a")],
            capsys,
        )[0]
        == 0
    )
    (tmp_path / "a" / "mnist1d_tcn.keras").rename(source)
    model = train.build_model(
        train.build_parser().parse_args(
            ["--model", "mnist1d_tcn", "--data", "mnist1d"]
            + ["--init-from", str(source)]
        ),
        {"input_shape": [40, 1], "task": "classification", "num_classes": 10},
    )
    for mine, theirs in zip(
        model.get_weights(), load_model(source).get_weights()
    ):
        np.testing.assert_array_equal(mine, theirs)

    argv = ["--model", "mnist_seed_cnn", "--data", "mnist"]
    argv += ["--init-from", str(source), *TINY, "--out", str(tmp_path / "b")]
    code, _, stderr = run_in_process("zoo-train", train.main, argv, capsys)
    assert_one_line_error(
        code, stderr, "zoo-train", "--init-from source.keras", "architecture"
    )


def test_final_weight_outside_zero_one_is_refused(tmp_path, capsys):
    argv = ["--model", "mnist1d_tcn", "--data", "mnist1d", "--anytime", "8"]
    argv += [
        "--anytime-final-weight",
        "1.5",
        *TINY,
        "--out",
        str(tmp_path / "o"),
    ]
    code, _, stderr = run_in_process("zoo-train", train.main, argv, capsys)
    assert_one_line_error(code, stderr, "zoo-train", "(0, 1]", "1.5")


def test_teacher_adds_its_kl_divergence_from_the_final_answer():
    model = small_classifier(12)
    teacher = small_classifier(12)  # other random weights
    weight = 0.7
    trainer = anytime.AnytimeTrainer(
        model, every=4, teacher=teacher, teacher_weight=weight
    )
    trainer.compile(loss=anytime.AnytimeCrossentropy(trainer.readings))
    x = np.random.default_rng(2).normal(size=(5, 12, 1)).astype("float32")
    y = np.array([0, 1, 2, 1, 0])
    y_pred = trainer(x)

    total = float(trainer.compute_loss(x, y, y_pred, training=False))

    plain = float(anytime.AnytimeCrossentropy(trainer.readings)(y, y_pred))
    p = np.clip(keras.ops.convert_to_numpy(teacher(x)), 1e-7, 1)
    q = np.clip(keras.ops.convert_to_numpy(y_pred)[:, -1], 1e-7, 1)
    kl = np.mean(np.sum(p * np.log(p / q), axis=-1))
    assert kl > 0.01  # the two models disagree, so the term is seen
    assert total == pytest.approx(plain + weight * kl, rel=1e-4)
    # The teacher is frozen: fit trains only the classifier's weights.
    assert len(trainer.trainable_weights) == len(model.trainable_weights)


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--anytime", "8"], ["--init-from"]),
        ([], ["--anytime N"]),
    ],
)
def test_teacher_weight_needs_anytime_and_init_from(
    tmp_path, capsys, extra, words
):
    argv = ["--model", "mnist1d_tcn", "--data", "mnist1d", *extra]
    argv += ["--anytime-teacher-weight", "1", *TINY, "--out", str(tmp_path)]
    code, _, stderr = run_in_process("zoo-train", train.main, argv, capsys)
    assert_one_line_error(
        code, stderr, "zoo-train", "--anytime-teacher-weight", *words
    )


def test_anytime_run_with_teacher_records_its_weight(tmp_path, capsys):
    base = ["--model", "mnist1d_tcn", "--data", "mnist1d", *TINY]
    start = train_tiny_mnist1d(tmp_path / "a", capsys)
    argv = [*base, "--anytime", "8", "--anytime-teacher-weight", "2"]
    argv += ["--init-from", str(start)]
    code, _, stderr = run_in_process(
        "zoo-train", train.main, [*argv, "--out", str(tmp_path / "b")], capsys
    )
    assert code == 0, stderr
    card = json.loads((tmp_path / "b" / "mnist1d_tcn.json").read_text())
    assert card["anytime"]["teacher_weight"] == 2.0
    assert load_model(tmp_path / "b" / "mnist1d_tcn.keras").output_shape == (
        None,
        10,
    )
