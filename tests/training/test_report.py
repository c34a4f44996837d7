"""`python -m training.report`: the README's results table comes from the
model cards, with each target judged from the measured number."""

import json

import keras
import pytest

from training import report


def ship(folder, name, dataset, metrics):
    """A tiny model with a card, as `training.publish` leaves it."""
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.save(folder / f"{name}.keras")
    card = {
        "name": name,
        "dataset": dataset,
        "metrics": metrics,
        "params": model.count_params(),
        "flops": 16,
        "train_time_s": 120.0,
    }
    (folder / f"{name}.json").write_text(json.dumps(card))


def row_of(table, name):
    (row,) = [line for line in table.splitlines() if f"[`{name}`]" in line]
    return row


def test_targets_are_judged_from_the_cards(tmp_path):
    ship(tmp_path, "fashion_cnn", "fashion_mnist", {"test_accuracy": 0.9369})
    ship(
        tmp_path,
        "fashion_mobilenet_v1",
        "fashion_mnist",
        {"test_accuracy": 0.93},
    )
    ship(tmp_path, "adding_tcn", "adding:600", {"test_mse": 2e-4})
    ship(tmp_path, "mine", "mnist", {"test_accuracy": 0.5})
    table = report.results_table(tmp_path)

    assert "| >= 93.50 % ✅ |" in row_of(table, "fashion_cnn")
    assert "| >= 94.50 % ❌ not yet |" in row_of(table, "fashion_mobilenet_v1")
    assert "| <= 0.0001 ❌ not yet |" in row_of(table, "adding_tcn")
    assert "| baseline |" in row_of(table, "mine")
    assert "| 2 min |" in row_of(table, "mine")
    assert (
        "Best fashion_mnist model: `fashion_cnn`, test_accuracy 93.69 % "
        "(goal for the best model >= 95.50 % ❌ not yet)."
    ) in table


def test_no_best_model_line_without_a_model_of_that_data_set(tmp_path):
    ship(tmp_path, "mine", "mnist", {"test_accuracy": 0.5})
    assert "Best" not in report.results_table(tmp_path)


def test_empty_models_folder(tmp_path):
    assert (
        report.results_table(tmp_path) == "No trained models are shipped yet."
    )


def test_main_rewrites_both_sections_of_the_readme(tmp_path):
    ship(tmp_path, "mine", "mnist", {"test_accuracy": 0.5})
    readme = tmp_path / "README.md"
    readme.write_text(
        "# zoo\n<!-- models:start -->\nstale\n<!-- models:end -->\n"
        "between\n<!-- results:start -->\nstale\n<!-- results:end -->\n"
    )
    assert (
        report.main(["--readme", str(readme), "--models-dir", str(tmp_path)])
        == 0
    )
    text = readme.read_text()
    assert "stale" not in text and "between" in text
    assert "| `mnist_seed_cnn` |" in text
    assert "[`mine`](saved_models/mine.md)" in text


def test_main_needs_the_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("no markers\n")
    with pytest.raises(ValueError, match="models:start"):
        report.main(["--readme", str(readme), "--models-dir", str(tmp_path)])
