"""Distillation (`zoo-train --distill-from`): the loss gains the teacher's
KL divergence (against numpy), the teacher is frozen and may be an
ensemble with mirrored views, the run saves the plain classifier and
records its teacher, and wrong combinations are refused in one line."""

import json

import keras
import numpy as np
import pytest

import zoo
from tests.training.cli_utils import TINY
from tests.training.cli_utils import assert_one_line_error
from tests.training.cli_utils import run_in_process
from tests.training.cli_utils import train_tiny_mnist1d
from training import distill
from training import train
from training.io_utils import UsageError
from zoo.models.ensemble import FlipLeftRight
from zoo.saving import load_model

BASE = ["--model", "mnist1d_tcn", "--data", "mnist1d", *TINY]


def _small(name):
    model = zoo.create_model("mnist1d_tcn", dilations=(1, 2), nb_filters=4)
    model.name = name
    return model


def test_loss_adds_the_teachers_kl_divergence():
    keras.utils.set_random_seed(0)
    student, teacher = _small("student"), _small("teacher")
    wrapped = distill.DistilledClassifier(student, teacher, weight=0.7)
    wrapped.compile(loss=keras.losses.SparseCategoricalCrossentropy())
    x = np.random.default_rng(1).normal(size=(5, 40, 1)).astype("float32")
    y = np.array([0, 1, 2, 3, 4])
    y_pred = wrapped(x)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(y_pred),
        keras.ops.convert_to_numpy(student(x)),
    )

    total = float(wrapped.compute_loss(x, y, y_pred, training=False))

    q = np.clip(keras.ops.convert_to_numpy(y_pred), 1e-7, 1)
    plain = -np.mean(np.log(q[np.arange(5), y]))
    p = np.clip(keras.ops.convert_to_numpy(teacher(x)), 1e-7, 1)
    kl = np.mean(np.sum(p * np.log(p / q), axis=-1))
    assert kl > 0.001  # different random weights disagree
    assert total == pytest.approx(plain + 0.7 * kl, rel=1e-4)
    # The teacher is frozen: fit trains only the student's weights.
    assert len(wrapped.trainable_weights) == len(student.trainable_weights)
    with pytest.raises(ValueError, match=">= 0"):
        distill.DistilledClassifier(student, teacher, weight=-1)


def _save(model, path):
    model.save(path)
    return str(path)


def test_teacher_of_several_models_with_mirrored_views(tmp_path):
    keras.utils.set_random_seed(0)
    a = _save(zoo.create_model("mnist_seed_cnn"), tmp_path / "a.keras")
    b = _save(zoo.create_model("mnist_seed_cnn"), tmp_path / "b.keras")
    student = zoo.create_model("mnist_seed_cnn")
    one = distill.load_teacher([a], False, student)
    assert one.name == "mnist_seed_cnn" and not one.trainable
    pair = distill.load_teacher([a, b], True, student)  # same names: renamed
    assert not pair.trainable
    assert any(isinstance(layer, FlipLeftRight) for layer in pair.layers)
    x = (np.random.default_rng(0).random((2, 28, 28, 1)) * 255).astype("f4")
    members = [load_model(a), load_model(b)]
    views = [x, x[:, :, ::-1]]
    expected = np.mean(
        [m.predict(v, verbose=0) for m in members for v in views], 0
    )
    np.testing.assert_allclose(pair.predict(x, verbose=0), expected, atol=1e-6)


def test_teacher_must_fit_the_student(tmp_path):
    student = zoo.create_model("mnist_seed_cnn")
    other = zoo.create_model("mnist_seed_cnn", num_classes=3)
    path = _save(other, tmp_path / "three.keras")
    with pytest.raises(
        UsageError, match=r"three.keras: its outputs are \(3,\)"
    ):
        distill.load_teacher([path], False, student)
    sequence = _save(_small("seq"), tmp_path / "seq.keras")
    with pytest.raises(UsageError, match="inputs"):
        distill.load_teacher([sequence], False, student)
    with pytest.raises(UsageError, match="4D image inputs"):
        distill.load_teacher([sequence], True, _small("student"))


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--distill-flip"], ["--distill-flip", "--distill-from"]),
        (["--distill-weight", "2"], ["--distill-weight", "--distill-from"]),
        (
            ["--distill-from", "t.keras", "--anytime", "8"],
            ["--distill-from", "--anytime-teacher-weight"],
        ),
    ],
)
def test_refused_combinations(tmp_path, capsys, extra, words):
    argv = [*BASE, *extra, "--out", str(tmp_path / "o")]
    code, _, stderr = run_in_process("zoo-train", train.main, argv, capsys)
    assert_one_line_error(code, stderr, "zoo-train", *words)


def test_distilled_run_saves_the_classifier_and_its_teacher(tmp_path, capsys):
    teacher = train_tiny_mnist1d(tmp_path / "a", capsys)
    argv = [*BASE, "--distill-from", str(teacher), "--distill-weight", "2"]
    code, stdout, stderr = run_in_process(
        "zoo-train", train.main, [*argv, "--out", str(tmp_path / "b")], capsys
    )
    assert code == 0, stderr
    assert "zoo-train: teacher (mnist1d_tcn.keras): val_accuracy=" in stdout
    card = json.loads((tmp_path / "b" / "mnist1d_tcn.json").read_text())
    assert card["hyperparameters"]["distill_from"] == ["mnist1d_tcn.keras"]
    assert card["hyperparameters"]["distill_weight"] == 2.0
    assert card["hyperparameters"]["distill_flip"] is False
    saved = load_model(tmp_path / "b" / "mnist1d_tcn.keras")
    assert saved.name == "mnist1d_tcn"
    assert saved.output_shape == (None, 10)
