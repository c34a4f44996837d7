"""Reading and validating IDX files, the format of MNIST and Fashion-MNIST.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the
number of dimensions), one big-endian uint32 per dimension, then the values
in C order. Only unsigned bytes (type code 0x08) occur in these data sets.

Reference:
    http://yann.lecun.com/exdb/mnist/ (section "FILE FORMATS").
"""

import gzip
import pathlib
import zlib

import numpy as np

from training.data.errors import DataError

IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
UBYTE = 0x08
# The two spellings in the wild: LeCun's `train-images-idx3-ubyte` and
# the dotted `train-images.idx3-ubyte` of some mirrors.
SPLIT_PREFIXES = {"train": "train", "test": "t10k"}
REDOWNLOAD = (
    "re-download it (or reinstall the package that shipped it) and make "
    "sure the copy finished"
)


def _text_hint(head):
    if head.startswith(b"version https://git-lfs"):
        return " It is a Git LFS pointer: run `git lfs pull`."
    if head.lstrip().lower().startswith((b"<!doctype", b"<html")):
        return " It is an HTML page (a failed download?)."
    return " It looks like a text file."


def read_idx_bytes(path):
    """The uncompressed bytes of an IDX file, gzip-compressed or raw."""
    path = pathlib.Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise DataError(f"cannot read {path}: {err.strerror}.") from None
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as err:
        raise DataError(
            f"{path} is a damaged gzip file ({err}); the file is probably "
            f"truncated: {REDOWNLOAD}."
        ) from None


def parse_idx(content, path, expected_magic):
    """Parses the bytes of one IDX file into a uint8 array.

    Args:
        content: bytes. The uncompressed file content.
        path: str or path. The file name, for the error messages.
        expected_magic: int. `IMAGES_MAGIC` or `LABELS_MAGIC`.

    Returns:
        A uint8 numpy array with the dimensions of the header.

    Raises:
        DataError: when the magic number, the dimensions or the number of
            bytes do not match the header.
    """
    kind = "images" if expected_magic == IMAGES_MAGIC else "labels"
    if len(content) < 4:
        raise DataError(
            f"{path} has only {len(content)} bytes, too short for an IDX "
            f"{kind} file: {REDOWNLOAD}."
        )
    magic = int.from_bytes(content[:4], "big")
    if magic != expected_magic:
        text = content[:64]
        is_text = all(32 <= b < 127 or b in b"\t\r\n" for b in text)
        hint = _text_hint(text) if is_text else ""
        raise DataError(
            f"{path} is not an IDX {kind} file: magic number {magic}, "
            f"expected {expected_magic} (unsigned bytes, "
            f"{expected_magic & 0xFF} dimension(s)).{hint} Check that the "
            f"file is the {kind} file of the split, or {REDOWNLOAD}."
        )
    ndim = content[3]
    header_size = 4 + 4 * ndim
    if len(content) < header_size:
        raise DataError(
            f"{path} ends inside its header ({len(content)} bytes, header "
            f"needs {header_size}): {REDOWNLOAD}."
        )
    dims = tuple(
        int.from_bytes(content[4 + 4 * i : 8 + 4 * i], "big")
        for i in range(ndim)
    )
    if any(d == 0 for d in dims[1:]):
        raise DataError(
            f"{path} declares dimensions {dims}; every dimension after the "
            f"count must be positive: {REDOWNLOAD}."
        )
    expected = int(np.prod(dims, dtype=np.int64))
    payload = len(content) - header_size
    if payload != expected:
        shape = " x ".join(map(str, dims))
        problem = "truncated" if payload < expected else "too long"
        raise DataError(
            f"{path} is {problem}: {payload} bytes of data, expected "
            f"{expected} ({shape}) from its header: {REDOWNLOAD}."
        )
    array = np.frombuffer(content, dtype=np.uint8, offset=header_size)
    return array.reshape(dims)


def find_idx_file(directory, split, kind):
    """The path of one IDX file in `directory`, or None."""
    ndim = 3 if kind == "images" else 1
    prefix = SPLIT_PREFIXES[split]
    for sep in ("-", "."):
        for suffix in (".gz", ""):
            path = directory / f"{prefix}-{kind}{sep}idx{ndim}-ubyte{suffix}"
            if path.is_file():
                return path
    return None


def expected_names(split):
    prefix = SPLIT_PREFIXES[split]
    return (
        f"{prefix}-images-idx3-ubyte[.gz] and {prefix}-labels-idx1-ubyte[.gz]"
    )


def load_idx_split(directory, split):
    """Images `(n, rows, cols)` and labels `(n,)` of one split, validated.

    Args:
        directory: str or path. A folder holding the IDX files.
        split: str. `"train"` or `"test"` (files `train-*` / `t10k-*`).

    Returns:
        A tuple `(images, labels)` of uint8 arrays.

    Raises:
        DataError: when a file is missing or malformed, or the numbers of
            images and labels differ.
    """
    directory = pathlib.Path(directory)
    paths = {}
    for kind in ("images", "labels"):
        paths[kind] = find_idx_file(directory, split, kind)
        if paths[kind] is None:
            raise DataError(
                f"no {split} {kind} file in {directory}: expected "
                f"{expected_names(split)} (IDX format, gzip or raw)."
            )
    images = parse_idx(
        read_idx_bytes(paths["images"]), paths["images"], IMAGES_MAGIC
    )
    labels = parse_idx(
        read_idx_bytes(paths["labels"]), paths["labels"], LABELS_MAGIC
    )
    if len(images) != len(labels):
        raise DataError(
            f"{paths['images']} has {len(images)} images but "
            f"{paths['labels']} has {len(labels)} labels; the files come "
            f"from different versions or one is damaged: {REDOWNLOAD}."
        )
    return images, labels
