"""IDX parsing against the real files and against broken ones, and the
search order of the bare names `mnist` / `fashion_mnist`."""

import gzip

import numpy as np
import pytest

from training.data import DataError
from training.data import idx
from training.data import load_arrays
from training.data import locations


def write_idx(path, array, magic=None, extra=b"", cut=0):
    """Writes `array` (uint8) as IDX by hand, gzip when `path` ends .gz."""
    array = np.asarray(array, np.uint8)
    magic = (0x0800 | array.ndim) if magic is None else magic
    header = magic.to_bytes(4, "big") + b"".join(
        d.to_bytes(4, "big") for d in array.shape
    )
    content = header + array.tobytes() + extra
    content = content[: len(content) - cut]
    if str(path).endswith(".gz"):
        content = gzip.compress(content)
    path.write_bytes(content)
    return path


def write_split(directory, split, images, labels, suffix=".gz"):
    prefix = "train" if split == "train" else "t10k"
    directory.mkdir(parents=True, exist_ok=True)
    write_idx(directory / f"{prefix}-images-idx3-ubyte{suffix}", images)
    write_idx(directory / f"{prefix}-labels-idx1-ubyte{suffix}", labels)


def tiny_dataset(directory, size=(28, 28), num_train=6, num_test=4):
    rng = np.random.default_rng(0)
    arrays = {
        "train": (
            rng.integers(0, 256, (num_train, *size), dtype=np.uint8),
            rng.integers(0, 10, num_train, dtype=np.uint8),
        ),
        "test": (
            rng.integers(0, 256, (num_test, *size), dtype=np.uint8),
            rng.integers(0, 10, num_test, dtype=np.uint8),
        ),
    }
    for split, (images, labels) in arrays.items():
        write_split(directory, split, images, labels)
    return arrays


# Real files


@pytest.mark.parametrize(
    "name, folder, num_train",
    [("mnist", "mnist", 10_000), ("fashion_mnist", "fashion-mnist", 60_000)],
)
def test_real_idx_files(full_datasets_dir, name, folder, num_train):
    for split, count in (("train", num_train), ("test", 10_000)):
        images, labels = idx.load_idx_split(full_datasets_dir / folder, split)
        assert images.shape == (count, 28, 28)
        assert images.dtype == labels.dtype == np.uint8
        assert labels.shape == (count,)
        assert set(np.unique(labels)) == set(range(10))
    x, y = load_arrays(name, "test", data_dir=full_datasets_dir)
    assert x.shape == (10_000, 28, 28, 1) and y.dtype == np.int32


def test_real_mnist_first_test_labels(datasets_dir):
    # The first test digits of the published file: 7 2 1 0 4 1 4 9 5 9.
    _, labels = idx.load_idx_split(datasets_dir / "mnist", "test")
    np.testing.assert_array_equal(labels[:10], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])


# Parser on files written here


@pytest.mark.parametrize("suffix", [".gz", ""])
def test_round_trip_gz_and_raw(tmp_path, suffix):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    labels = np.array([3, 7], np.uint8)
    write_split(tmp_path, "train", images, labels, suffix=suffix)
    got_images, got_labels = idx.load_idx_split(tmp_path, "train")
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


def test_dotted_file_names(tmp_path):
    write_idx(tmp_path / "t10k-images.idx3-ubyte", np.zeros((2, 4, 4)))
    write_idx(tmp_path / "t10k-labels.idx1-ubyte", np.zeros(2))
    images, _ = idx.load_idx_split(tmp_path, "test")
    assert images.shape == (2, 4, 4)


def _load_labels(path):
    return idx.parse_idx(idx.read_idx_bytes(path), path, idx.LABELS_MAGIC)


def _load_images(path):
    return idx.parse_idx(idx.read_idx_bytes(path), path, idx.IMAGES_MAGIC)


def test_bad_magic_names_file_and_numbers(tmp_path):
    path = write_idx(tmp_path / "labels.gz", np.zeros((2, 3, 3)))
    with pytest.raises(DataError, match="magic number 2051, expected 2049"):
        _load_labels(path)
    with pytest.raises(DataError, match=str(path)):
        _load_labels(path)


def test_unsupported_value_type_is_bad_magic(tmp_path):
    # 0x0D is float32 in IDX: not a byte image file.
    path = write_idx(tmp_path / "images", np.zeros((1, 2, 2)), magic=0x0D03)
    with pytest.raises(DataError, match="not an IDX images file"):
        _load_images(path)


def test_truncated_raw_file(tmp_path):
    path = write_idx(tmp_path / "images", np.zeros((2, 3, 3)), cut=5)
    with pytest.raises(
        DataError, match=r"is truncated: 13 bytes of data, expected 18"
    ):
        _load_images(path)


def test_truncated_inside_header(tmp_path):
    path = write_idx(tmp_path / "images", np.zeros((2, 3, 3)), cut=26)
    with pytest.raises(DataError, match="ends inside its header"):
        _load_images(path)


def test_too_long_file(tmp_path):
    path = write_idx(tmp_path / "labels", np.zeros(4), extra=b"\0\0")
    with pytest.raises(DataError, match="is too long: 6 bytes"):
        _load_labels(path)


def test_cut_gzip_file(tmp_path):
    path = write_idx(tmp_path / "images.gz", np.ones((20, 28, 28)))
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(DataError, match="damaged gzip file.*truncated"):
        _load_images(path)


def test_zero_dimension(tmp_path):
    path = write_idx(tmp_path / "images", np.zeros((3, 28, 0)))
    with pytest.raises(DataError, match=r"declares dimensions \(3, 28, 0\)"):
        _load_images(path)


@pytest.mark.parametrize(
    "text, hint",
    [
        (b"version https://git-lfs.github.com/spec/v1\noid sha256:ab\n", "LFS"),
        (b"<!DOCTYPE html><html><body>Not found</body></html>", "HTML"),
        (b"7,2,1,0,4\n1,4,9,5,9\n", "text file"),
    ],
)
def test_text_files_are_recognised(tmp_path, text, hint):
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(text)
    with pytest.raises(DataError, match=f"not an IDX labels file.*{hint}"):
        _load_labels(path)


def test_count_mismatch(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((5, 2, 2)))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(4))
    with pytest.raises(DataError, match="has 5 images but .* has 4 labels"):
        idx.load_idx_split(tmp_path, "train")


def test_missing_file_lists_expected_names(tmp_path):
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((5, 2, 2)))
    with pytest.raises(
        DataError, match="no test labels file .*t10k-labels-idx1-ubyte"
    ):
        idx.load_idx_split(tmp_path, "test")


def test_train_and_test_sizes_must_agree(tmp_path):
    write_split(tmp_path, "train", np.zeros((2, 28, 28)), np.zeros(2))
    write_split(tmp_path, "test", np.zeros((2, 8, 8)), np.zeros(2))
    with pytest.raises(DataError, match="same data set"):
        load_arrays(f"idx:{tmp_path}")


def test_bare_name_rejects_other_image_sizes(tmp_path):
    tiny_dataset(tmp_path / "mnist", size=(8, 8))
    with pytest.raises(DataError, match="are \\(8, 8\\), but mnist images"):
        load_arrays("mnist", data_dir=tmp_path)


def test_idx_dir_source(tmp_path):
    arrays = tiny_dataset(tmp_path / "digits", size=(5, 7))
    x, y = load_arrays(f"idx:{tmp_path / 'digits'}", "test")
    assert x.shape == (4, 5, 7, 1)
    np.testing.assert_array_equal(x[..., 0], arrays["test"][0])
    np.testing.assert_array_equal(y, arrays["test"][1])
    with pytest.raises(DataError, match="is not a folder"):
        load_arrays(f"idx:{tmp_path / 'nowhere'}")


# Search order of bare names


def test_search_order_env_then_repo_then_cwd(tmp_path):
    env_root = tmp_path / "env"
    repo = tmp_path / "a" / "repo"
    cwd = tmp_path / "b" / "work"
    options = {
        "environ": {locations.ENV_VAR: str(env_root)},
        "repo_root": repo,
        "cwd": cwd,
    }
    places = [
        env_root / "mnist",
        tmp_path / "a" / "shared" / "datasets" / "mnist",
        tmp_path / "b" / "shared" / "datasets" / "mnist",
    ]
    for place in places:
        place.mkdir(parents=True)
    for place in places:
        found = locations.locate("mnist", **options)
        assert found.resolve() == place.resolve()
        place.rmdir()
    with pytest.raises(DataError) as raised:
        locations.locate("mnist", **options)
    message = str(raised.value)
    for place in places:
        assert str(place) in message
    assert "ZOO_DATA_DIR" in message and "tfds:mnist" in message


def test_data_dir_comes_first_and_fashion_spellings(tmp_path):
    (tmp_path / "first" / "fashion_mnist").mkdir(parents=True)
    (tmp_path / "env" / "fashion-mnist").mkdir(parents=True)
    options = {
        "environ": {locations.ENV_VAR: str(tmp_path / "env")},
        "repo_root": tmp_path / "r",
        "cwd": tmp_path / "c",
    }
    found = locations.locate("fashion-mnist", **options)
    assert found == tmp_path / "env" / "fashion-mnist"
    found = locations.locate(
        "fashion_mnist", data_dir=tmp_path / "first", **options
    )
    assert found == tmp_path / "first" / "fashion_mnist"


def test_fashion_falls_back_to_debian_package(tmp_path, monkeypatch):
    candidates = locations.candidate_dirs(
        "fashion_mnist", environ={}, repo_root=tmp_path, cwd=tmp_path
    )
    debian = "/usr/share/datasets/fashion-mnist"
    assert debian in [str(path) for path in candidates[-2:]]
    monkeypatch.setitem(
        locations.SYSTEM_DIRS, "fashion_mnist", [tmp_path / "debian"]
    )
    with pytest.raises(DataError) as raised:
        locations.locate(
            "fashion_mnist", environ={}, repo_root=tmp_path, cwd=tmp_path
        )
    message = str(raised.value)
    assert "apt-get install dataset-fashion-mnist" in message
    assert str(tmp_path / "debian" / "fashion-mnist") in message
    assert "ZOO_DATA_DIR is not set" in message


def test_env_var_reaches_load_arrays(tmp_path, monkeypatch):
    arrays = tiny_dataset(tmp_path / "mnist")
    monkeypatch.setenv(locations.ENV_VAR, str(tmp_path))
    x, y = load_arrays("mnist", "test")
    np.testing.assert_array_equal(x[..., 0], arrays["test"][0])
    np.testing.assert_array_equal(y, arrays["test"][1])
