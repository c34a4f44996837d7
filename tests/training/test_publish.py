"""`python -m training.publish`: copies a run into saved_models/ with its
card, adds notes, and refuses runs it cannot load or describe."""

import json

import keras
import pytest

from tests.training.cli_utils import assert_one_line_error
from tests.training.cli_utils import run_in_process
from training import publish


@pytest.fixture
def run_dir(tmp_path):
    """A finished run as zoo-train leaves it: model, card and figures."""
    run = tmp_path / "runs" / "tiny"
    run.mkdir(parents=True)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3, activation="softmax")]
    )
    model.save(run / "tiny.keras")
    card = {
        "name": "tiny",
        "task": "classification",
        "metrics": {"test_accuracy": 0.5},
        "train_command": "zoo-train --model tiny --data mnist",
        "curves_png": "tiny_curves.png",
    }
    (run / "tiny.json").write_text(json.dumps(card))
    (run / "tiny_curves.png").write_bytes(b"png")
    return run


def test_publish_copies_model_card_and_figures(run_dir, tmp_path, capsys):
    dest = tmp_path / "saved"
    argv = [str(run_dir / "tiny.keras"), "--dest", str(dest)]
    code, stdout, stderr = run_in_process("publish", publish.main, argv, capsys)
    assert code == 0, stderr
    assert "published tiny" in stdout
    assert (dest / "tiny.keras").read_bytes() == (
        run_dir / "tiny.keras"
    ).read_bytes()
    assert (dest / "tiny_curves.png").read_bytes() == b"png"
    card = json.loads((dest / "tiny.json").read_text())
    assert card["metrics"] == {"test_accuracy": 0.5}
    assert "notes" not in card
    assert "## Notes" not in (dest / "tiny.md").read_text()


def test_publish_notes_reach_both_cards(run_dir, tmp_path, capsys):
    dest = tmp_path / "saved"
    argv = [str(run_dir / "tiny.keras"), "--dest", str(dest)]
    argv += ["--note", "Chosen by validation.", "--note", "Shared the CPU."]
    code, _, stderr = run_in_process("publish", publish.main, argv, capsys)
    assert code == 0, stderr
    card = json.loads((dest / "tiny.json").read_text())
    assert card["notes"] == ["Chosen by validation.", "Shared the CPU."]
    markdown = (dest / "tiny.md").read_text()
    assert (
        "## Notes\n\n- Chosen by validation.\n- Shared the CPU.\n" in markdown
    )


def test_publish_notes_follow_the_runs_own(run_dir, tmp_path, capsys):
    card = json.loads((run_dir / "tiny.json").read_text())
    card["notes"] = ["Written by the tool."]
    (run_dir / "tiny.json").write_text(json.dumps(card))
    dest = tmp_path / "saved"
    argv = [str(run_dir / "tiny.keras"), "--dest", str(dest), "--note", "Mine."]
    code, _, stderr = run_in_process("publish", publish.main, argv, capsys)
    assert code == 0, stderr
    card = json.loads((dest / "tiny.json").read_text())
    assert card["notes"] == ["Written by the tool.", "Mine."]


def _no_card(run):
    (run / "tiny.json").unlink()


def _corrupt_model(run):
    (run / "tiny.keras").write_bytes(b"junk")


@pytest.mark.parametrize(
    "damage, extra, words",
    [
        (_no_card, [], ["no model card"]),
        (_corrupt_model, [], ["tiny.keras"]),
        (None, ["--note", " "], ["--note", "empty"]),
    ],
)
def test_publish_refuses_and_writes_nothing(
    run_dir, tmp_path, capsys, damage, extra, words
):
    if damage:
        damage(run_dir)
    dest = tmp_path / "saved"
    argv = [str(run_dir / "tiny.keras"), "--dest", str(dest), *extra]
    code, _, stderr = run_in_process("publish", publish.main, argv, capsys)
    assert_one_line_error(code, stderr, "publish", *words)
    assert not dest.exists()


def test_publish_defaults_to_the_folder_zoo_loads_from(
    run_dir, tmp_path, capsys, monkeypatch
):
    import zoo

    monkeypatch.setenv("ZOO_MODELS_DIR", str(tmp_path / "models"))
    argv = [str(run_dir / "tiny.keras")]
    code, _, stderr = run_in_process("publish", publish.main, argv, capsys)
    assert code == 0, stderr
    assert zoo.list_pretrained() == ["tiny"]
    assert (tmp_path / "models" / "tiny.json").is_file()
