"""Helpers shared by the tests of the command-line tools."""

import os
import re
import subprocess
import sys

from tests.conftest import ROOT
from tests.conftest import shared_datasets_dir

# The smallest run that still goes through every step of zoo-train.
TINY = [
    "--epochs",
    "2",
    "--max-steps",
    "3",
    "--batch-size",
    "32",
    "--limit",
    "300",
    "--test-limit",
    "100",
    "--verbose",
    "0",
]

# Log lines TensorFlow may print outside Python: "I0000 00:00:...", or
# "E0000 ... cuda_platform.cc:52] failed call to cuInit" on a GPU build
# without a GPU. They are not the tool's own output.
_NATIVE_LOG = re.compile(r"^(?:[IWE]\d{4} |WARNING: All log messages)")


def data_dir():
    """The folder of real IDX files: the full data sets, else the shipped
    sample (for module-scoped fixtures)."""
    return shared_datasets_dir()


def run_in_process(prog, main, argv, capsys):
    """Runs a tool's `main` as its console script does.

    Returns:
        `(exit code, stdout, stderr)`.
    """
    from training import cli

    try:
        code = cli.run_main(prog, main, argv)
    except SystemExit as exit_:  # argparse errors
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_subprocess(module, argv, timeout=300, env=None):
    """Runs `python -m <module> argv` from the repository root."""
    full_env = {
        **os.environ,
        "ZOO_DATA_DIR": str(shared_datasets_dir()),
        "PYTHONPATH": str(ROOT),
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", module, *argv],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def own_lines(stderr):
    """The lines of `stderr` that the tool wrote itself."""
    return [
        line
        for line in stderr.splitlines()
        if line.strip() and not _NATIVE_LOG.match(line)
    ]


def assert_one_line_error(code, stderr, prog, *words):
    """Exit code 2, one `prog: error: ...` line naming `words`, no
    traceback."""
    assert code == 2, stderr
    assert "Traceback" not in stderr
    lines = own_lines(stderr)
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"{prog}: error: "), lines[0]
    for word in words:
        assert word.lower() in lines[0].lower(), (word, lines[0])


def per_step_model(steps, num_classes=10):
    """A tiny causal conv net with a softmax at every step (copy:T)."""
    import keras

    inputs = keras.Input((steps, 1))
    x = keras.layers.Conv1D(8, 3, padding="causal", activation="relu")(inputs)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def train_tiny_mnist1d(out, capsys, *extra):
    """A TINY `mnist1d_tcn` run into `out` (the model other runs start
    from or learn from); returns its `.keras` path."""
    from training import train

    argv = ["--model", "mnist1d_tcn", "--data", "mnist1d", *TINY, *extra]
    code, _, stderr = run_in_process(
        "zoo-train", train.main, [*argv, "--out", str(out)], capsys
    )
    assert code == 0, stderr
    return out / "mnist1d_tcn.keras"
