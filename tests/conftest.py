"""Shared pytest configuration: quiet TensorFlow logs, seeded randomness and
the location of the data sets.

The tests read real images from one of two places:

- the full data sets, in `$ZOO_DATA_DIR` or `../shared/datasets` next to the
  repository (`ZOO_NO_SHARED_DATA=1` hides the latter, to try the suite as
  a newcomer without the data would run it);
- otherwise the small sample shipped in `tests/data/`, written out once per
  session as a folder of IDX files that every data path reads like the real
  ones. `ZOO_DATA_DIR` then points at that folder, so the project's own
  data layer finds it too.

Only the tests that need a whole data set ask for `full_datasets_dir`, which
skips without it.
"""

import gzip
import os
import pathlib
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from training.data import locations  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
DATA_ENV = locations.ENV_VAR
SAMPLE = ROOT / "tests" / "data" / "mnist_fashion_sample.npz"
# Sample keys and the IDX folder names the data layer expects.
SAMPLE_FOLDERS = {"mnist": "mnist", "fashion": "fashion-mnist"}
NO_DATA_REASON = (
    "needs the full data sets: set ZOO_DATA_DIR to the folder holding "
    "mnist/ and fashion-mnist/"
)


def full_datasets_dir():
    """The folder of the full IDX data sets, or `None` on a machine
    without them."""
    roots = [
        pathlib.Path(p)
        for p in os.environ.get(DATA_ENV, "").split(os.pathsep)
        if p
    ]
    # ZOO_NO_SHARED_DATA hides ../shared here as in the data layer.
    if not locations.shared_data_disabled():
        roots.append(ROOT.parent / "shared" / "datasets")
    for root in roots:
        # The sample folder also holds mnist/: never take it for the real
        # thing.
        if (root / "mnist").is_dir() and not (root / ".sample").exists():
            return root
    return None


def _write_idx(path, array):
    magic = 0x0800 | array.ndim  # unsigned byte data, `ndim` dimensions
    header = magic.to_bytes(4, "big") + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape
    )
    # mtime=0: the same bytes every run.
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write(header + np.ascontiguousarray(array, np.uint8).tobytes())


def sample_datasets_dir():
    """The shipped sample as a folder of IDX files (written once)."""
    stamp = f"{SAMPLE.stat().st_size}-{int(SAMPLE.stat().st_mtime)}"
    root = pathlib.Path(tempfile.gettempdir()) / f"zoo-test-sample-{stamp}"
    if (root / ".sample").exists():
        return root
    staging = pathlib.Path(tempfile.mkdtemp(prefix="zoo-test-sample-"))
    with np.load(SAMPLE) as arrays:
        for key, folder in SAMPLE_FOLDERS.items():
            (staging / folder).mkdir()
            for split, prefix in (("train", "train"), ("test", "t10k")):
                for kind, idx in (("images", "idx3"), ("labels", "idx1")):
                    _write_idx(
                        staging / folder / f"{prefix}-{kind}-{idx}-ubyte.gz",
                        arrays[f"{key}_{split}_{kind}"],
                    )
    (staging / ".sample").write_text("tests/data/mnist_fashion_sample.npz\n")
    try:
        staging.rename(root)
    except OSError:  # another process wrote it first
        pass
    return root


def shared_datasets_dir():
    """Where the tests read real images: the full data sets when present,
    else the shipped sample."""
    return full_datasets_dir() or sample_datasets_dir()


def pytest_configure(config):
    if full_datasets_dir() is None:
        # Point the project's data layer (in process and in the tools'
        # subprocesses) at the sample before any test runs.
        sample = str(sample_datasets_dir())
        rest = os.environ.get(DATA_ENV)
        os.environ[DATA_ENV] = os.pathsep.join(filter(None, [sample, rest]))


def pytest_report_header(config):
    full = full_datasets_dir()
    if full is not None:
        return "data: full data sets"
    return "data: tests/data sample (full data sets not found)"


@pytest.fixture(autouse=True)
def _seed_and_clear():
    keras.utils.set_random_seed(1234)
    yield
    # free_memory=False skips gc.collect(), which costs ~0.2 s per test
    # once TensorFlow is imported.
    keras.backend.clear_session(free_memory=False)


@pytest.fixture
def datasets_dir():
    """Real images: the full data sets, else the shipped sample."""
    return shared_datasets_dir()


@pytest.fixture(name="full_datasets_dir")
def full_datasets_dir_fixture():
    """The full data sets; skips without them."""
    path = full_datasets_dir()
    if path is None:
        pytest.skip(NO_DATA_REASON)
    return path
