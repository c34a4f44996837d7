"""Crash-recovery bookkeeping of `zoo-train` (`training.resume`), on files
written by hand the way a killed process leaves them."""

import csv
import json

import pytest

from training import resume
from training.io_utils import UsageError

SETTINGS = {"model": "mnist_seed_cnn", "data": "mnist", "epochs": 5}


def make_backup(out, epoch, settings=SETTINGS, previous_epoch=None):
    resume.start(out, settings)
    backup = out / resume.BACKUP_DIR
    (backup / resume.WEIGHTS).write_bytes(b"weights of epoch %d" % epoch)
    (backup / resume.METADATA).write_text(json.dumps({"epoch": epoch}))
    if previous_epoch is not None:
        (backup / (resume.WEIGHTS + ".bkp")).write_bytes(
            b"weights of epoch %d" % previous_epoch
        )
        (backup / (resume.METADATA + ".bkp")).write_text(
            json.dumps({"epoch": previous_epoch, "batch": 0})
        )
    return backup


def test_no_backup_is_a_fresh_start(tmp_path):
    assert resume.completed_epochs(tmp_path, SETTINGS) == 0


def test_backup_of_the_same_command_resumes(tmp_path):
    make_backup(tmp_path, epoch=3)
    assert resume.completed_epochs(tmp_path, SETTINGS) == 3


def test_backup_of_another_command_is_refused(tmp_path):
    make_backup(tmp_path, epoch=3)
    with pytest.raises(UsageError) as error:
        resume.completed_epochs(tmp_path, {**SETTINGS, "epochs": 8})
    message = str(error.value)
    assert "--epochs: 5 then, 8 now" in message
    assert "--out" in message


@pytest.mark.parametrize("damage", ["", '{"epo', "null", '{"epoch": "x"}'])
def test_damaged_metadata_falls_back_to_the_previous_backup(
    tmp_path, capsys, damage
):
    backup = make_backup(tmp_path, epoch=3, previous_epoch=2)
    (backup / resume.METADATA).write_text(damage)

    assert resume.completed_epochs(tmp_path, SETTINGS) == 2
    # keras reads these two files next: they must agree with epoch 2.
    assert (backup / resume.WEIGHTS).read_bytes() == b"weights of epoch 2"
    assert json.loads((backup / resume.METADATA).read_text())["epoch"] == 2
    assert "damaged" in capsys.readouterr().err


def test_damaged_metadata_without_previous_backup_starts_over(tmp_path):
    backup = make_backup(tmp_path, epoch=1)
    (backup / resume.METADATA).write_text("")
    assert resume.completed_epochs(tmp_path, SETTINGS) == 0
    assert not backup.exists()


def test_killed_before_the_first_backup_starts_over(tmp_path):
    resume.start(tmp_path, SETTINGS)  # run.json only, no metadata yet
    assert resume.completed_epochs(tmp_path, SETTINGS) == 0
    assert not (tmp_path / resume.BACKUP_DIR).exists()


def write_history(path, rows, ending):
    header = "epoch,accuracy,loss"
    lines = [header] + [f"{e},{0.1 * e:.1f},{1.0 / (e + 1):.3f}" for e in rows]
    path.write_bytes(ending.join(lines).encode() + ending.encode())


@pytest.mark.parametrize("ending", ["\r\n", "\n"])
def test_trim_history_keeps_completed_epochs_once(tmp_path, ending):
    path = tmp_path / "history.csv"
    # Epochs 0-2 were logged, but only 0-1 were backed up before the kill;
    # then the process died while appending epoch 3's row.
    write_history(path, [0, 1, 2], ending)
    with open(path, "ab") as f:
        f.write(b"3,0.3")

    resume.trim_history(path, 2)

    text = path.read_bytes().decode()
    assert text.count(ending) == 3 and text.endswith(ending)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [row["epoch"] for row in rows] == ["0", "1"]
    assert rows[1]["loss"] == "0.500"


def test_trim_history_of_missing_file_does_nothing(tmp_path):
    resume.trim_history(tmp_path / "history.csv", 3)
    assert not (tmp_path / "history.csv").exists()


def test_finish_marks_the_run_and_drops_the_backup(tmp_path):
    make_backup(tmp_path, epoch=5)
    assert not resume.finished(tmp_path, SETTINGS)

    resume.finish(tmp_path, SETTINGS)

    assert resume.finished(tmp_path, SETTINGS)
    assert not resume.finished(tmp_path, {**SETTINGS, "epochs": 6})
    assert not (tmp_path / resume.BACKUP_DIR).exists()


def test_forget_clears_a_previous_run(tmp_path):
    resume.finish(tmp_path, SETTINGS)
    write_history(tmp_path / "history.csv", [0], "\n")
    (tmp_path / "logs" / "train").mkdir(parents=True)
    (tmp_path / "model.keras").write_bytes(b"kept")

    resume.forget(tmp_path)

    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"]


def write_rows(path, rows):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["epoch", "loss", "val_loss"])
        writer.writeheader()
        writer.writerows(rows)


def test_read_history_keeps_the_last_row_of_a_repeated_epoch(tmp_path):
    csv_path = tmp_path / "history.csv"
    assert resume.read_history(csv_path) == {}
    write_rows(
        csv_path,
        [
            {"epoch": 0, "loss": 1.0, "val_loss": 2.0},
            {"epoch": 1, "loss": 0.9, "val_loss": ""},
            {"epoch": 1, "loss": 0.5, "val_loss": 1.5},
        ],
    )
    history = resume.read_history(csv_path)
    assert history == {"loss": [1.0, 0.5], "val_loss": [2.0, 1.5]}
    assert resume.best_so_far(history, "val_loss", "min") == 1.5
    assert resume.best_so_far(history, "loss", "max") == 1.0
    assert resume.best_so_far(history, "accuracy", "max") is None


def test_first_epoch_of_fresh_resumed_and_finished_runs(tmp_path, capsys):
    (tmp_path / "history.csv").write_text("stale\n")
    assert resume.first_epoch(tmp_path, "m", SETTINGS, epochs=5) == 0
    assert not (tmp_path / "history.csv").exists()  # a fresh start forgets

    make_backup(tmp_path, epoch=2)
    assert resume.first_epoch(tmp_path, "m", SETTINGS, epochs=5) == 2
    assert "resuming m from epoch 3/5 (2 completed" in capsys.readouterr().out
    assert resume.first_epoch(tmp_path, "m", SETTINGS, epochs=2) is None
    assert "finished its 2 epochs" in capsys.readouterr().out

    resume.finish(tmp_path, SETTINGS)
    (tmp_path / "m.keras").write_bytes(b"model")
    assert resume.first_epoch(tmp_path, "m", SETTINGS, epochs=5) is None
    assert "already holds this finished run" in capsys.readouterr().out
