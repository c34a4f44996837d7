"""The console scripts start without TensorFlow's native log lines, and
still show what the tool itself writes."""

import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

from training import quiet

# The start-up lines a CLI user should not meet.
NOISE = re.compile(
    r"absl::InitializeLog|cudart_stub|cpu_feature_guard|cuInit|oneDNN"
)
BIN = pathlib.Path(sys.executable).parent


@pytest.mark.large
@pytest.mark.parametrize(
    "script, argv, expected",
    [
        ("zoo-describe", ["mnist_seed_cnn"], "input shape (28, 28, 1)"),
        ("zoo-app", ["--help"], "usage: zoo-app"),
        ("zoo-bench", ["--help"], "usage: zoo-bench"),
    ],
)
def test_console_scripts_start_quietly(script, argv, expected, tmp_path):
    if not (BIN / script).is_file():
        pytest.skip(f"{script} is not installed next to {sys.executable}")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env.update(KERAS_BACKEND="tensorflow", KERAS_HOME=str(tmp_path))
    result = subprocess.run(
        [str(BIN / script), *argv],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert expected in result.stdout
    assert not [
        line for line in result.stderr.splitlines() if NOISE.search(line)
    ], result.stderr


def test_backend_name_follows_keras_rules(tmp_path, monkeypatch):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert quiet.keras_backend_name() == "tensorflow"  # no keras.json
    (tmp_path / "keras.json").write_text(json.dumps({"backend": "jax"}))
    assert quiet.keras_backend_name() == "jax"
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    assert quiet.keras_backend_name() == "torch"


def test_other_backends_do_not_import_tensorflow(monkeypatch):
    calls = []
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    monkeypatch.setattr(
        quiet.cli, "import_tensorflow_quietly", lambda: calls.append(1)
    )
    quiet.quiet_startup()
    assert calls == []
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    quiet.quiet_startup()
    assert calls == [1]
