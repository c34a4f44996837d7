"""zoo-train on data that differs from labelled images: a folder of
class sub-folders without a test split, and copy:T with one class per
step."""

import json

import keras
import numpy as np
import pytest
from PIL import Image

import zoo
from tests.training.cli_utils import assert_one_line_error
from tests.training.cli_utils import per_step_model
from tests.training.cli_utils import run_in_process
from training import evaluate
from training import train
from training.data import load_arrays
from training.io_utils import UsageError

# folder:DIR without a test split.


@pytest.fixture
def class_folders(tmp_path):
    """Ten class folders of random 28x28 PNGs, no train/ or test/."""
    rng = np.random.default_rng(0)
    root = tmp_path / "images"
    for label in range(10):
        folder = root / f"class{label}"
        folder.mkdir(parents=True)
        for i in range(4):
            pixels = rng.integers(0, 256, (28, 28), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / f"{i}.png")
    return root


def test_folder_without_test_split_trains_and_says_so(
    class_folders, tmp_path, capsys
):
    out = tmp_path / "run"
    argv = ["--model", "mnist_seed_cnn", "--data", f"folder:{class_folders}"]
    argv += ["--epochs", "1", "--max-steps", "2", "--batch-size", "8"]
    argv += ["--validation-split", "0.25", "--verbose", "0", "--out", str(out)]
    code, stdout, stderr = run_in_process("zoo-train", train.main, argv, capsys)

    assert code == 0, stderr
    assert "no test split" in stdout
    card = json.loads((out / "mnist_seed_cnn.json").read_text())
    assert card["metrics"] == {}
    assert card["metrics_split"] is None
    assert "no test split" in card["metrics_note"]
    assert card["num_test"] in (None, 0)
    assert "No test split" in (out / "mnist_seed_cnn.md").read_text()
    assert "per_class" not in card
    assert not (out / "mnist_seed_cnn_confusion.png").exists()
    assert (out / "mnist_seed_cnn.keras").is_file()
    assert (out / "mnist_seed_cnn_curves.png").is_file()


# copy:T: one class per step.


def test_copy_task_with_a_last_step_model_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["--model", "mnist1d_tcn", "--data", "copy:20", "--epochs", "1"]
    argv += ["--max-steps", "2", "--limit", "32", "--out", str(out)]
    code, _, stderr = run_in_process("zoo-train", train.main, argv, capsys)
    assert_one_line_error(
        code,
        stderr,
        "zoo-train",
        "mnist1d_tcn",
        "(None, 10)",
        "(None, 40, 10)",
        "one class per step",
    )
    assert not out.exists()


def test_copy_task_trains_a_per_step_model(tmp_path, capsys, monkeypatch):
    # No registered model has per-step outputs; stand one in for the
    # registry to check that the rest of zoo-train handles them.
    monkeypatch.setattr(zoo, "create_model", lambda *a, **k: per_step_model(40))
    out = tmp_path / "run"
    argv = ["--model", "mnist1d_tcn", "--data", "copy:20", "--epochs", "1"]
    argv += ["--max-steps", "2", "--batch-size", "16", "--limit", "64"]
    argv += ["--test-limit", "24", "--verbose", "0", "--out", str(out)]
    code, _, stderr = run_in_process("zoo-train", train.main, argv, capsys)

    assert code == 0, stderr
    card = json.loads((out / "mnist1d_tcn.json").read_text())
    metrics = card["metrics"]
    assert metrics["test_examples"] == 24
    assert metrics["test_steps"] == 24 * 40
    model = keras.models.load_model(out / "mnist1d_tcn.keras")
    x, y = load_arrays("copy:20", "test", limit=24)
    predicted = model.predict(x.astype("float32"), verbose=0).argmax(-1)
    assert metrics["test_accuracy"] == pytest.approx(np.mean(predicted == y))
    assert metrics["test_sequence_accuracy"] == pytest.approx(
        np.mean((predicted == y).all(axis=1))
    )
    assert sum(row["support"] for row in card["per_class"]) == 24 * 40


# A classifier with another number of classes than the data.

FIVE_CLASSES = {
    "task": "classification",
    "num_classes": 5,
    "input_shape": (28, 28, 1),
}


def test_train_names_a_class_count_mismatch():
    args = train.build_parser().parse_args(
        ["--model", "mnist_seed_cnn", "--data", "five"]
    )
    with pytest.raises(UsageError, match="predicts 10 classes but --data five"):
        train.build_model(args, FIVE_CLASSES)


def test_eval_names_a_class_count_mismatch():
    model = zoo.create_model("mnist_seed_cnn")
    with pytest.raises(UsageError, match="predicts 10 classes but --data five"):
        evaluate.check_compatible(model, FIVE_CLASSES, "five")
