"""Crash-safe file writing and the errors the command-line tools report.

Every artefact the tools produce (models, cards, CSVs, plots) is written to a
temporary file in the destination folder and moved into place with
`os.replace`, which is atomic on POSIX: a crash mid-save leaves the previous
file (or nothing), never a half-written one under the final name.
"""

import contextlib
import json
import os
import pathlib
import tempfile


class UsageError(Exception):
    """A problem the user can fix (bad flag, missing file...).

    The command-line tools print its message on one line and exit with
    status 2, without a traceback.
    """


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path next to `path`; moves it onto `path` when the
    block succeeds and deletes it when the block raises."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent
    )
    os.close(fd)
    tmp = pathlib.Path(tmp)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text(path, text):
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path, data):
    write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


def save_model(model, path):
    """Saves a `.keras` file atomically."""
    with atomic_path(path) as tmp:
        model.save(tmp)


def save_figure(figure, path, **kwargs):
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format=pathlib.Path(path).suffix[1:], **kwargs)


def prepare_out_dir(out):
    """Creates the output folder, or explains why it cannot be used."""
    out = pathlib.Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(
            f"--out {out} is a file, not a folder: pass a folder path "
            "(it is created when missing)."
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"cannot create --out folder {out}: {err}") from None
    return out
