"""Quiet start-up for the console scripts that run on any Keras backend.

On TensorFlow, the first import prints native log lines before Python can
stop it (absl's pre-init warning, "Could not find cuda drivers",
cpu_feature_guard, a failed cuInit). The training tools import TensorFlow
through `training.cli.import_tensorflow_quietly`; `zoo-describe`, `zoo-app`
and `zoo-bench` call `quiet_startup()` first, which does the same when the
backend is TensorFlow and leaves other backends alone. Real warnings and
errors still reach stderr; `TF_CPP_MIN_LOG_LEVEL=0` shows everything.
"""

import importlib.util
import json
import os
import pathlib
import sys

from training import cli


def keras_backend_name():
    """The backend Keras will pick, read without importing Keras:
    `$KERAS_BACKEND`, else `keras.json` in `$KERAS_HOME` (`~/.keras`), else
    TensorFlow."""
    name = os.environ.get("KERAS_BACKEND")
    if name:
        return name
    home = os.environ.get("KERAS_HOME") or pathlib.Path.home() / ".keras"
    try:
        config = json.loads((pathlib.Path(home) / "keras.json").read_text())
    except (OSError, ValueError):
        return "tensorflow"
    return config.get("backend", "tensorflow")


def quiet_startup():
    """Imports TensorFlow without its start-up lines, if it is the
    backend."""
    if (
        keras_backend_name() == "tensorflow"
        and importlib.util.find_spec("tensorflow") is not None
    ):
        cli.import_tensorflow_quietly()


def describe():
    """The `zoo-describe` console script."""
    quiet_startup()
    from zoo.describe import main

    sys.exit(main())
