"""`training.data.classes`: the class names the data layer gives a bundle."""

import subprocess
import sys

import numpy as np

from training.data import classes
from training.data import sources
from zoo.models.presets import FASHION_CLASSES


def test_names_in_label_order():
    assert classes.DIGIT_NAMES == [str(i) for i in range(10)]
    assert classes.COPY_NAMES[0] == "blank"
    assert classes.COPY_NAMES[-1] == "delimiter"
    assert len(FASHION_CLASSES) == 10
    assert FASHION_CLASSES[0] == "T-shirt/top"
    assert FASHION_CLASSES[9] == "Ankle boot"


def _write_idx(path, array):
    dims = bytes([len(array.shape)])
    header = b"\x00\x00\x08" + dims
    shape = b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    path.write_bytes(header + shape + array.astype(np.uint8).tobytes())


def test_fashion_bundle_takes_the_registry_names(tmp_path, monkeypatch):
    # One copy of the names: a Fashion-MNIST source is labelled with the
    # registry's, the ones the shipped models' cards carry.
    images = np.zeros((2, 28, 28), np.uint8)
    labels = np.array([0, 9], np.uint8)
    for prefix in ("train", "t10k"):
        _write_idx(tmp_path / f"{prefix}-images-idx3-ubyte", images)
        _write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte", labels)
    monkeypatch.setattr(sources.locations, "locate", lambda *a, **k: tmp_path)
    source = sources.bare_name_source("fashion_mnist")
    assert source.info["class_names"] == list(FASHION_CLASSES)


def test_importing_the_data_layer_loads_no_keras():
    code = "import sys, training.data; print('keras' in sys.modules)"
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True
    )
    assert found.stdout.strip() == "False", found.stderr
