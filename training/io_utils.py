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


TEMP_MARKER = ".tmp"  # in the names of files being written


def _file_mode():
    """The mode `open()` gives new files (0o666 minus the umask)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path next to `path`; moves it onto `path` when the
    block succeeds and deletes it when the block raises.

    Raises:
        UsageError: when `path` is an existing folder.
    """
    path = pathlib.Path(path)
    if path.is_dir():
        raise UsageError(
            f"{path} is a folder: pass a file path for this output."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.stem}.",
        suffix=f"{TEMP_MARKER}{path.suffix}",
        dir=path.parent,
    )
    os.close(fd)
    tmp = pathlib.Path(tmp)
    # mkstemp creates the file private (0600); give the result the mode
    # any other new file would get.
    os.chmod(tmp, _file_mode())
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def remove_stale_temporaries(folder):
    """Deletes temporary files that a killed process left in `folder`."""
    for path in pathlib.Path(folder).glob(f".*{TEMP_MARKER}*"):
        if path.is_file():
            path.unlink(missing_ok=True)


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


def check_out_dir(out):
    """Raises UsageError when `out` exists and is not a folder."""
    out = pathlib.Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(
            f"--out {out} is a file, not a folder: pass a folder path "
            "(it is created when missing)."
        )
    return out


def prepare_out_dir(out):
    """Creates the output folder, or explains why it cannot be used."""
    out = check_out_dir(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"cannot create --out folder {out}: {err}") from None
    return out
