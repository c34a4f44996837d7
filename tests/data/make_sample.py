"""Rebuilds `mnist_fashion_sample.npz` from the original IDX files.

    python tests/data/make_sample.py DATA_DIR

`DATA_DIR` holds `mnist/` and `fashion-mnist/` with the original
`{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz` files. The sample keeps the
FIRST images of each split, in their original order, so a test can compare
them with the full files (`tests/conftest.py`).
"""

import gzip
import pathlib
import sys

import numpy as np

COUNTS = {
    ("mnist", "train"): 2000,
    ("mnist", "test"): 500,
    ("fashion", "train"): 1000,
    ("fashion", "test"): 300,
}
FOLDERS = {"mnist": "mnist", "fashion": "fashion-mnist"}


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = np.frombuffer(data[4 : 4 + 4 * dims], ">u4").astype(int)
    return np.frombuffer(data[4 + 4 * dims :], np.uint8).reshape(shape)


def main(data_dir):
    arrays = {}
    for (name, split), count in COUNTS.items():
        folder = pathlib.Path(data_dir) / FOLDERS[name]
        prefix = "train" if split == "train" else "t10k"
        for kind, idx in (("images", "idx3"), ("labels", "idx1")):
            path = folder / f"{prefix}-{kind}-{idx}-ubyte.gz"
            arrays[f"{name}_{split}_{kind}"] = read_idx(path)[:count]
    out = pathlib.Path(__file__).with_name("mnist_fashion_sample.npz")
    np.savez_compressed(out, **arrays)
    print(f"wrote {out.name}: {out.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main(sys.argv[1])
