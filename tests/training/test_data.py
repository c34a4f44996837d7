"""Data specs, sources and the tf.data pipeline of `training.data`."""

import numpy as np
import pytest
from PIL import Image

from training.data import DataError
from training.data import load_arrays
from training.data import load_dataset
from training.data import parse_spec
from training.data import pmnist_permutation
from training.data import sources
from training.data import synthetic
from training.data.pipeline import split_indices

from .test_data_idx import tiny_dataset


def collect(dataset):
    xs, ys = zip(*((x.numpy(), y.numpy()) for x, y in dataset))
    return np.concatenate(xs), np.concatenate(ys)


@pytest.fixture
def mnist_like(tmp_path):
    """A folder holding mnist/ with 40 train and 10 test random digits."""
    tiny_dataset(tmp_path / "mnist", num_train=40, num_test=10)
    return tmp_path


# Specs


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("mnist", ("mnist", None)),
        ("Fashion-MNIST", ("fashion_mnist", None)),
        ("fashion_mnist", ("fashion_mnist", None)),
        ("idx:data/digits", ("idx", "data/digits")),
        ("tfds:mnist:train[:10%]", ("tfds", "mnist:train[:10%]")),
        ("pmnist", ("pmnist", 0)),
        ("pmnist:7", ("pmnist", 7)),
        ("adding:600", ("adding", 600)),
        ("copy:30", ("copy", 30)),
    ],
)
def test_parse_spec(spec, expected):
    assert parse_spec(spec) == expected


@pytest.mark.parametrize("spec", ["cifar", "idx:", "mnist:3", "", "adding"])
def test_unknown_spec_lists_valid_forms(spec):
    with pytest.raises(DataError) as raised:
        load_arrays(spec)
    message = str(raised.value)
    for form in ("idx:DIR", "folder:DIR", "tfds:NAME", "adding:T", "pmnist"):
        assert form in message


@pytest.mark.parametrize("spec", ["adding:1", "adding:x", "copy:0"])
def test_bad_sequence_length(spec):
    with pytest.raises(DataError, match=r"T must be an integer .*Received: T="):
        parse_spec(spec)


# Real data


def test_mnist_bundle_from_real_files(datasets_dir):
    bundle = load_dataset(
        "mnist",
        batch_size=32,
        data_dir=datasets_dir,
        limit=200,
        test_limit=64,
    )
    info = bundle.info
    assert info["class_names"] == [str(i) for i in range(10)]
    assert (info["num_train"], info["num_val"], info["num_test"]) == (
        180,
        20,
        64,
    )
    assert info["input_shape"] == (28, 28, 1)
    assert len(info["fingerprint"]) == 64
    x, y = next(iter(bundle.test))
    assert x.shape == (32, 28, 28, 1) and x.dtype.name == "float32"
    assert y.dtype.name == "int32"
    assert 0.0 <= float(np.min(x)) and float(np.max(x)) <= 255.0


def test_fashion_class_names_and_policy(tmp_path):
    tiny_dataset(tmp_path / "fashion-mnist")
    bundle = load_dataset(
        "fashion-mnist", batch_size=8, augment=True, data_dir=tmp_path
    )
    names = bundle.info["class_names"]
    assert names[0] == "T-shirt/top" and names[9] == "Ankle boot"
    assert bundle.info["augmentation"] == "clothing"


# Validation split


def test_split_indices_disjoint_and_seeded():
    train, val = split_indices(100, 0.2, seed=5)
    assert len(val) == 20 and len(train) == 80
    assert not set(train) & set(val)
    assert sorted([*train, *val]) == list(range(100))
    again, _ = split_indices(100, 0.2, seed=5)
    other, _ = split_indices(100, 0.2, seed=6)
    np.testing.assert_array_equal(train, again)
    assert not np.array_equal(train, other)


@pytest.mark.parametrize("split", [-0.1, 1.0])
def test_bad_validation_split(split):
    with pytest.raises(DataError, match="Received: validation_split="):
        split_indices(10, split, seed=0)


def test_val_comes_from_training_data_not_test():
    spec = "adding:20"
    kwargs = {"validation_split": 0.2, "seed": 3}
    train_x, _ = load_arrays(spec, "train", **kwargs)
    val_x, _ = load_arrays(spec, "val", **kwargs)
    test_x, _ = load_arrays(spec, "test")
    pool = sources.synthetic_source("adding", 20).x_train
    rows = {row.tobytes() for row in pool}
    assert all(row.tobytes() in rows for row in val_x)
    assert not {r.tobytes() for r in train_x} & {r.tobytes() for r in val_x}
    assert not rows & {row.tobytes() for row in test_x}
    assert len(train_x) + len(val_x) == len(pool)
    again, _ = load_arrays(spec, "val", **kwargs)
    np.testing.assert_array_equal(val_x, again)
    other, _ = load_arrays(spec, "val", validation_split=0.2, seed=4)
    assert not np.array_equal(val_x, other)


def test_bundle_val_matches_load_arrays(mnist_like):
    kwargs = {"validation_split": 0.25, "seed": 9, "data_dir": mnist_like}
    bundle = load_dataset("mnist", batch_size=4, **kwargs)
    x_val, y_val = collect(bundle.val)
    expected_x, expected_y = load_arrays("mnist", "val", **kwargs)
    np.testing.assert_array_equal(x_val, expected_x)
    np.testing.assert_array_equal(y_val, expected_y)
    assert bundle.info["num_val"] == 10


def test_train_shuffles_each_epoch_deterministically(mnist_like):
    def two_epochs():
        bundle = load_dataset("mnist", batch_size=64, data_dir=mnist_like)
        return [collect(bundle.train)[1] for _ in range(2)]

    first, second = two_epochs()
    assert sorted(first) == sorted(second)
    assert not np.array_equal(first, second)
    for got, expected in zip(two_epochs(), (first, second)):
        np.testing.assert_array_equal(got, expected)


def test_no_validation_split(mnist_like):
    bundle = load_dataset(
        "mnist", batch_size=8, validation_split=0.0, data_dir=mnist_like
    )
    assert bundle.val is None and bundle.info["num_train"] == 40
    with pytest.raises(DataError, match="no val split"):
        load_arrays("mnist", "val", validation_split=0.0, data_dir=mnist_like)


def test_file_cache(mnist_like, tmp_path):
    cache = tmp_path / "cache" / "mnist"
    cache.parent.mkdir()
    bundle = load_dataset(
        "mnist", batch_size=8, cache=str(cache), data_dir=mnist_like
    )
    for _ in range(2):
        assert len(collect(bundle.test)[0]) == 10
    assert list(cache.parent.glob("mnist.test*"))


def test_fingerprint_tracks_the_data(mnist_like):
    def fingerprint(**kwargs):
        bundle = load_dataset(
            "mnist", batch_size=8, data_dir=mnist_like, **kwargs
        )
        return bundle.info["fingerprint"]

    assert fingerprint() == fingerprint(seed=1)
    assert fingerprint() != fingerprint(limit=30)


# Pixel sequences


def test_seqmnist_and_pmnist(mnist_like):
    images, _ = load_arrays("mnist", "test", data_dir=mnist_like)
    flat = images.reshape(len(images), 784)
    seq, _ = load_arrays("seqmnist", "test", data_dir=mnist_like)
    assert seq.shape == (10, 784, 1) and seq.dtype == np.uint8
    np.testing.assert_array_equal(seq[..., 0], flat)
    perm, _ = load_arrays("pmnist", "test", data_dir=mnist_like)
    order = pmnist_permutation(0)
    np.testing.assert_array_equal(perm[..., 0], flat[:, order])
    np.testing.assert_array_equal(order, pmnist_permutation(0))
    assert sorted(order) == list(range(784))
    # Pinned, so a change of numpy's stream shows up as a failure.
    np.testing.assert_array_equal(order[:5], [318, 2, 606, 446, 758])
    other, _ = load_arrays("pmnist:1", "test", data_dir=mnist_like)
    assert not np.array_equal(other, perm)


def test_pmnist_augmentation_happens_in_image_space(mnist_like):
    def train_batch(spec):
        bundle = load_dataset(
            spec,
            batch_size=40,
            augment=True,
            shuffle=False,
            validation_split=0.0,
            data_dir=mnist_like,
        )
        return next(iter(bundle.train))[0].numpy()[..., 0]

    seq, perm = train_batch("seqmnist"), train_batch("pmnist")
    plain, _ = load_arrays(
        "seqmnist", "train", validation_split=0.0, data_dir=mnist_like
    )
    assert not np.allclose(seq, plain[..., 0])
    np.testing.assert_allclose(perm, seq[:, pmnist_permutation(0)])


# Generated data


def test_mnist1d_shapes():
    x, y = load_arrays("mnist1d", "train", validation_split=0.0)
    assert x.shape == (4000, 40, 1) and x.dtype == np.float32
    x_test, y_test = load_arrays("mnist1d", "test")
    assert x_test.shape == (1000, 40, 1)
    assert set(np.unique(y)) == set(range(10)) and y_test.max() == 9
    state = np.random.get_state()[1][:4].copy()
    sources.mnist1d_source()
    np.testing.assert_array_equal(np.random.get_state()[1][:4], state)


def test_adding_problem_definition():
    x, y = synthetic.adding_problem(300, 40, seed=1)
    assert x.shape == (300, 40, 2) and y.shape == (300, 1)
    values, markers = x[..., 0], x[..., 1]
    assert values.min() >= 0.0 and values.max() < 1.0
    assert np.all(markers.sum(axis=1) == 2)
    assert np.all(markers[:, :20].sum(axis=1) == 1)
    expected = np.array(
        [v[m == 1].sum() for v, m in zip(values, markers)], np.float32
    )
    np.testing.assert_allclose(y[:, 0], expected, rtol=1e-6)
    x2, y2 = synthetic.adding_problem(300, 40, seed=1)
    np.testing.assert_array_equal(x, x2)
    # A prefix of a larger set: `limit` keeps the same first examples.
    x_more, _ = synthetic.adding_problem(2000, 40, seed=1)
    np.testing.assert_array_equal(x_more[:300], x)
    assert not np.array_equal(synthetic.adding_problem(300, 40, 2)[0], x)


@pytest.mark.parametrize("blank_recall", [False, True])
def test_copy_memory_definition(blank_recall):
    length = 15
    x, y = synthetic.copy_memory(50, length, 0, blank_recall=blank_recall)
    assert x.shape == (50, length + 20, 1) and y.shape == (50, length + 20)
    seq = x[..., 0]
    symbols = seq[:, :10]
    assert symbols.min() >= 1 and symbols.max() <= 8
    assert np.all(seq[:, 10 : 10 + length - 1] == 0)
    assert np.all(seq[:, length + 9] == 9)
    more, _ = synthetic.copy_memory(2000, length, 0, blank_recall=blank_recall)
    np.testing.assert_array_equal(more[:50], x)
    recall = 0 if blank_recall else 9
    assert np.all(seq[:, length + 10 :] == recall)
    assert np.all(y[:, : length + 10] == 0)
    np.testing.assert_array_equal(y[:, -10:], symbols)


def test_copy_bundle(tmp_path):
    bundle = load_dataset("copy:5", batch_size=16, limit=64, test_limit=16)
    info = bundle.info
    assert info["task"] == "classification" and info["num_classes"] == 10
    assert info["input_shape"] == (25, 1) and info["target_shape"] == (25,)
    x, y = next(iter(bundle.test))
    assert x.shape == (16, 25, 1) and y.shape == (16, 25)


def test_adding_bundle_is_regression():
    bundle = load_dataset("adding:30", batch_size=16, limit=40, test_limit=8)
    assert bundle.info["task"] == "regression"
    assert bundle.info["num_test"] == 8
    _, y = next(iter(bundle.train))
    assert y.shape == (16, 1) and y.dtype.name == "float32"


# Augmentation through the pipeline


def test_augmentation_changes_only_training(mnist_like):
    def bundle(augment):
        return load_dataset(
            "mnist",
            batch_size=64,
            augment=augment,
            shuffle=False,
            data_dir=mnist_like,
        )

    plain, augmented = bundle(False), bundle(True)
    assert augmented.info["augmentation"] == "digits"
    for split in ("val", "test"):
        for a, b in zip(
            collect(getattr(plain, split)), collect(getattr(augmented, split))
        ):
            np.testing.assert_array_equal(a, b)
    x_plain, y_plain = collect(plain.train)
    x_aug, y_aug = collect(augmented.train)
    assert x_aug.shape == x_plain.shape and x_aug.dtype == np.float32
    np.testing.assert_array_equal(y_aug, y_plain)
    assert not np.allclose(x_aug, x_plain)
    assert x_aug.min() >= 0.0 and x_aug.max() <= 255.0
    # A new epoch draws new augmentations; a new bundle repeats them.
    assert not np.allclose(collect(augmented.train)[0], x_aug)
    np.testing.assert_array_equal(collect(bundle(True).train)[0], x_aug)


def test_clothing_policy_by_name(mnist_like):
    bundle = load_dataset(
        "mnist", batch_size=8, augment="clothing", data_dir=mnist_like
    )
    assert bundle.info["augmentation"] == "clothing"
    x, _ = next(iter(bundle.train))
    assert x.shape == (8, 28, 28, 1)


def test_augmentation_errors(mnist_like):
    with pytest.raises(DataError, match="no augmentation is defined"):
        load_dataset("adding:10", batch_size=4, augment=True, limit=10)
    with pytest.raises(DataError, match="Received: augment='blur'"):
        load_dataset("mnist", batch_size=4, augment="blur", data_dir=mnist_like)


# TFDS and image folders


def test_tfds_source_with_mock_data():
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=20):
        bundle = load_dataset("tfds:mnist", batch_size=8, seed=1)
        x_test, _ = load_arrays("tfds:mnist:train,test", "test", limit=5)
    info = bundle.info
    assert info["name"] == "mnist" and info["input_shape"] == (28, 28, 1)
    assert (info["num_train"], info["num_val"], info["num_test"]) == (
        18,
        2,
        20,
    )
    assert info["class_names"] == [str(i) for i in range(10)]
    assert info["augmentation"] is None
    x, y = next(iter(bundle.train))
    assert x.shape == (8, 28, 28, 1) and y.dtype.name == "int32"
    assert x_test.shape == (5, 28, 28, 1)


def test_tfds_unknown_name():
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=4):
        with pytest.raises(DataError, match="tfds:no_such_set"):
            load_arrays("tfds:no_such_set")


def write_pngs(root, classes=("cat", "dog", "emu"), per_class=4, size=(9, 7)):
    rng = np.random.default_rng(0)
    for name in classes:
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 256, size, dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.png")


def test_folder_source(tmp_path):
    write_pngs(tmp_path / "pets")
    spec = f"folder:{tmp_path / 'pets'}"
    bundle = load_dataset(spec, batch_size=4, validation_split=0.25, seed=2)
    info = bundle.info
    assert info["class_names"] == ["cat", "dog", "emu"]
    assert info["input_shape"] == (28, 28, 1)
    assert (info["num_train"], info["num_val"], info["num_test"]) == (9, 3, 0)
    assert bundle.test is None
    x_val, y_val = load_arrays(spec, "val", validation_split=0.25, seed=2)
    np.testing.assert_array_equal(collect(bundle.val)[0], x_val)
    assert set(y_val) <= {0, 1, 2}
    with pytest.raises(DataError, match="train/ and test/"):
        load_arrays(spec, "test")
    rgb = load_dataset(
        spec, batch_size=4, image_size=(16, 12), color_mode="rgb"
    )
    assert rgb.info["input_shape"] == (16, 12, 3)


def test_folder_with_train_and_test(tmp_path):
    write_pngs(tmp_path / "set" / "train", per_class=3)
    write_pngs(tmp_path / "set" / "test", per_class=2)
    bundle = load_dataset(
        f"folder:{tmp_path / 'set'}", batch_size=4, validation_split=0.0
    )
    assert (bundle.info["num_train"], bundle.info["num_test"]) == (9, 6)
    _, y_test = collect(bundle.test)
    np.testing.assert_array_equal(y_test, [0, 0, 1, 1, 2, 2])


def test_folder_errors(tmp_path):
    with pytest.raises(DataError, match="is not a folder"):
        load_arrays(f"folder:{tmp_path / 'missing'}")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="one sub-folder of images per class"):
        load_arrays(f"folder:{tmp_path / 'empty'}", "train")


def test_a_misspelt_data_option_is_named():
    with pytest.raises(TypeError, match=r"Unknown data option\(s\) \['sed'\]"):
        load_arrays("adding:8", "test", sed=1)
    with pytest.raises(TypeError, match="expected some of .*'seed'"):
        load_dataset("adding:8", batch_size=4, validaton_split=0.2)
