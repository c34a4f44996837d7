"""Writes the app's example images from the first test-set images.

    python -m apps.make_examples [--data-dir DIR] [--out apps/examples]

Reads the IDX test files of MNIST and Fashion-MNIST from `--data-dir`
(default: `$ZOO_DATA_DIR`, else `../shared/datasets` next to the
repository) and writes small PNGs named `<set>_<index>_<label>.png`: the
first 5 digits and the first 5 clothing items. Every other one is drawn
black on white at 140x140 with a margin, as a photo or scan would be, so
the examples show the app inverting light backgrounds and rescaling.
"""

import argparse
import gzip
import os
import pathlib

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parents[1]
FASHION_LABELS = (
    "tshirt",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle_boot",
)
COUNT = 5


def default_data_dir():
    env = os.environ.get("ZOO_DATA_DIR")
    return pathlib.Path(env) if env else ROOT.parent / "shared" / "datasets"


def read_idx(path, count):
    """The first `count` items of a gzipped IDX file (images or labels)."""
    with gzip.open(path, "rb") as f:
        header = f.read(4)
        dims = header[3]
        shape = np.frombuffer(f.read(4 * dims), dtype=">u4").astype(int)
        size = int(np.prod(shape[1:])) if dims > 1 else 1
        data = np.frombuffer(f.read(count * size), dtype=np.uint8)
    return data.reshape(count, *shape[1:])


def paper_version(image, size=140, margin=20):
    """Dark ink on a light page, larger and with a margin."""
    inner = size - 2 * margin
    big = Image.fromarray(255 - image).resize(
        (inner, inner), Image.Resampling.BICUBIC
    )
    page = Image.new("L", (size, size), 255)
    page.paste(big, (margin, margin))
    return page


def write_examples(data_dir, out_dir):
    """Writes the PNGs; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for folder, prefix, names in (
        ("mnist", "mnist", None),
        ("fashion-mnist", "fashion", FASHION_LABELS),
    ):
        images = read_idx(
            data_dir / folder / "t10k-images-idx3-ubyte.gz", COUNT
        )
        labels = read_idx(
            data_dir / folder / "t10k-labels-idx1-ubyte.gz", COUNT
        )
        for index, (image, label) in enumerate(zip(images, labels)):
            label_name = names[label] if names else str(label)
            path = out_dir / f"{prefix}_{index}_{label_name}.png"
            if index % 2:
                paper_version(image).save(path, optimize=True)
            else:
                Image.fromarray(image).save(path, optimize=True)
            written.append(path)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=pathlib.Path, default=None)
    parser.add_argument(
        "--out",
        type=pathlib.Path,
        default=pathlib.Path(__file__).resolve().parent / "examples",
    )
    args = parser.parse_args(argv)
    data_dir = args.data_dir or default_data_dir()
    if not (data_dir / "mnist").is_dir():
        raise SystemExit(
            f"No mnist/ folder in {data_dir}: pass --data-dir or set "
            "ZOO_DATA_DIR to the folder holding mnist/ and fashion-mnist/."
        )
    for path in write_examples(data_dir, args.out):
        print(path.relative_to(args.out.parent))


if __name__ == "__main__":
    main()
