"""Crash recovery for `zoo-train`: the backup folder and the history CSV.

`keras.callbacks.BackupAndRestore` saves the weights, the optimizer state
and the number of completed epochs in `<out>/backup/` at every epoch end,
and `fit` restarts from there. This module adds what it leaves out:

- `run.json` in the backup folder records the command's settings, so a
  backup is never resumed by a different command (a different model would
  fail to load the weights; other settings would silently mix two runs).
- A metadata file left empty or half-written by `kill -9` falls back to
  the previous copy (`double_checkpoint=True`), or the backup is dropped.
- The history CSV is cut back to the completed epochs, so an epoch that
  ran again after the crash appears once.
- The history CSV is read back keeping one row per epoch
  (`read_history`), the last one written.
- The backup is kept until the model card is written (the keras default
  deletes it when `fit` returns), so a crash during the final evaluation
  does not retrain from scratch. Then `train_settings.json` marks the run
  finished: the same command again only re-evaluates the saved model.

One case stays imperfect: killed between keras writing the new weights and
the new metadata, a run repeats the last epoch starting from its end.
"""

import csv
import io
import json
import pathlib
import shutil
import sys

from training import io_utils
from training.io_utils import UsageError

BACKUP_DIR = "backup"
RUN_FILE = "run.json"
FINISHED_FILE = "train_settings.json"  # in --out, once a run is complete
METADATA = "training_metadata.json"
WEIGHTS = "latest.weights.h5"
PREVIOUS = ".bkp"  # the suffix keras gives the double checkpoint


def read_history(csv_path):
    """Per-epoch logs from the CSV, keeping the last row of an epoch that a
    resumed run repeated.

    Returns:
        dict: log name -> list of floats, one per epoch (empty when the
        CSV does not exist).
    """
    csv_path = pathlib.Path(csv_path)
    if not csv_path.exists():
        return {}
    rows = {}
    with open(csv_path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            try:
                rows[int(row["epoch"])] = row
            except (KeyError, TypeError, ValueError):
                continue
    history = {}
    for epoch in sorted(rows):
        for key, value in rows[epoch].items():
            if key in ("epoch", None) or value in (None, ""):
                continue
            history.setdefault(key, []).append(float(value))
    return history


def best_so_far(history, monitor, mode):
    """The best value of `monitor` in `history` (`mode` `"max"` or
    `"min"`), or None before the first epoch."""
    values = history.get(monitor, [])
    if not values:
        return None
    return max(values) if mode == "max" else min(values)


def first_epoch(out, name, settings, epochs):
    """Where a run of `settings` in `out` starts, after checking and
    repairing what an earlier run left there.

    Args:
        out: the run's output folder.
        name: str, the artefact name (`<out>/<name>.keras`).
        settings: JSON-able dict of the command's settings.
        epochs: int, the epochs the command asks for.

    Returns:
        The number of completed epochs to resume from (0: a fresh start),
        or None when there is nothing left to train: the run finished, or
        it completed its epochs before it was interrupted. Says which on
        stdout.

    Raises:
        UsageError: when `out` holds an unfinished run of other settings.
    """
    out = pathlib.Path(out)
    if finished(out, settings) and (out / f"{name}.keras").exists():
        print(
            f"zoo-train: {out} already holds this finished run; evaluating "
            "it again (pass a new --out to train again)"
        )
        return None
    start = completed_epochs(out, settings)
    if start:
        trim_history(out / "history.csv", start)
    else:
        forget(out)
    if start >= epochs:
        print(
            f"zoo-train: {name} finished its {start} epochs before it was "
            "interrupted; evaluating it"
        )
        return None
    if start:
        print(
            f"zoo-train: resuming {name} from epoch {start + 1}/{epochs} "
            f"({start} completed; backup in {out / BACKUP_DIR})"
        )
    return start


def backup_callback(out):
    import keras

    return keras.callbacks.BackupAndRestore(
        str(pathlib.Path(out) / BACKUP_DIR),
        double_checkpoint=True,
        delete_checkpoint=False,
    )


def _epoch_in(path):
    try:
        return int(json.loads(path.read_text())["epoch"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _describe_difference(saved, settings):
    keys = sorted(
        k for k in set(saved) | set(settings) if saved.get(k) != settings.get(k)
    )
    return "; ".join(
        f"--{k.replace('_', '-')}: {saved.get(k)!r} then, {settings.get(k)!r}"
        " now"
        for k in keys
    )


def completed_epochs(out, settings):
    """Checks and repairs the backup of an interrupted run.

    Args:
        out: the run's output folder.
        settings: JSON-able dict of the command's settings.

    Returns:
        The number of completed epochs to resume from (0: a fresh start).

    Raises:
        UsageError: when the backup belongs to a different command.
    """
    backup = pathlib.Path(out) / BACKUP_DIR
    if not backup.is_dir():
        return 0
    try:
        saved = json.loads((backup / RUN_FILE).read_text())
    except (OSError, ValueError):
        saved = None
    if saved is not None and saved != settings:
        raise UsageError(
            f"{out} holds an unfinished run of another command "
            f"({_describe_difference(saved, settings)}): re-run that "
            "command to resume it, or pass a new --out (or delete "
            f"{backup}) to start over."
        )
    epoch = _epoch_in(backup / METADATA)
    if epoch is None:
        epoch = _restore_previous(backup)
    if epoch is None or saved is None:
        # Killed before the first backup was complete: nothing to resume.
        shutil.rmtree(backup, ignore_errors=True)
        return 0
    return epoch


def _restore_previous(backup):
    """Falls back to the double checkpoint; returns its epoch or None."""
    previous = backup / (METADATA + PREVIOUS)
    epoch = _epoch_in(previous)
    weights = backup / (WEIGHTS + PREVIOUS)
    if epoch is None or not weights.is_file():
        return None
    print(
        f"zoo-train: the last backup in {backup} is damaged; using the one "
        "before it",
        file=sys.stderr,
    )
    shutil.copyfile(weights, backup / WEIGHTS)
    shutil.copyfile(previous, backup / METADATA)
    return epoch


def start(out, settings):
    """Records the command's settings next to the backup it will write."""
    backup = pathlib.Path(out) / BACKUP_DIR
    backup.mkdir(parents=True, exist_ok=True)
    io_utils.write_json(backup / RUN_FILE, settings)


def finish(out, settings):
    """Marks the run complete, then deletes its backup."""
    io_utils.write_json(pathlib.Path(out) / FINISHED_FILE, settings)
    shutil.rmtree(pathlib.Path(out) / BACKUP_DIR, ignore_errors=True)


def finished(out, settings):
    """Whether `out` holds a complete run of these settings."""
    path = pathlib.Path(out) / FINISHED_FILE
    try:
        return json.loads(path.read_text()) == settings
    except (OSError, ValueError):
        return False


def forget(out):
    """Clears what a previous, different run left before a fresh start."""
    out = pathlib.Path(out)
    for name in (FINISHED_FILE, "history.csv"):
        (out / name).unlink(missing_ok=True)
    shutil.rmtree(out / "logs", ignore_errors=True)


def trim_history(csv_path, epochs):
    """Keeps the complete rows of the first `epochs` epochs of the CSV.

    Rows of an epoch that had finished but was not yet backed up when the
    process died go, and so does a half-written last line.
    """
    csv_path = pathlib.Path(csv_path)
    if not csv_path.exists():
        return
    with open(csv_path, newline="", encoding="utf-8") as f:
        text = f.read()  # newline="": keep "\r\n" as written
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines.pop()  # cut off mid-write
    reader = csv.DictReader(io.StringIO("".join(lines)))
    kept = [
        row
        for row in reader
        if (row.get("epoch") or "").isdigit()
        and int(row["epoch"]) < epochs
        and None not in row.values()
    ]
    if not reader.fieldnames:
        csv_path.unlink()
        return
    buffer = io.StringIO()
    # Keep keras' CSVLogger line ending, as it appends the next rows.
    ending = "\r\n" if "\r\n" in text else "\n"
    writer = csv.DictWriter(
        buffer, fieldnames=reader.fieldnames, lineterminator=ending
    )
    writer.writeheader()
    writer.writerows(kept)
    io_utils.write_text(csv_path, buffer.getvalue())
