"""Shared pytest configuration: quiet TensorFlow logs, seeded randomness and
the location of the real data sets."""

import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import pytest  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]


def shared_datasets_dir():
    """Where the real IDX files live: `$ZOO_DATA_DIR` or `../shared/datasets`
    next to the repository."""
    env = os.environ.get("ZOO_DATA_DIR")
    if env:
        return pathlib.Path(env)
    return ROOT.parent / "shared" / "datasets"


@pytest.fixture(autouse=True)
def _seed_and_clear():
    keras.utils.set_random_seed(1234)
    yield
    # free_memory=False skips gc.collect(), which costs ~0.2 s per test
    # once TensorFlow is imported.
    keras.backend.clear_session(free_memory=False)


@pytest.fixture
def datasets_dir():
    path = shared_datasets_dir()
    if not (path / "mnist").is_dir():
        pytest.skip(
            f"real data sets not found at {path} (set ZOO_DATA_DIR to the "
            "folder holding mnist/ and fashion-mnist/)"
        )
    return path
