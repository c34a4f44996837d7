"""Data spec strings and the raw arrays behind each of them.

Every source returns a `Source`: numpy arrays for the training pool and
the test split plus the facts a model card needs. Nothing here touches
tf.data; `training.data.pipeline` turns a `Source` into batches.
"""

import functools
import pathlib
import random

import numpy as np

from training.data import external
from training.data import idx
from training.data import locations
from training.data import synthetic
from training.data.arrays import Source
from training.data.arrays import SourceOptions
from training.data.classes import COPY_NAMES
from training.data.classes import DIGIT_NAMES
from training.data.errors import DataError

SPEC_FORMS = (
    "mnist",
    "fashion_mnist (or fashion-mnist)",
    "idx:DIR",
    "folder:DIR",
    "tfds:NAME[:TRAIN_SPLIT[,TEST_SPLIT]]",
    "mnist1d",
    "seqmnist",
    "pmnist[:SEED]",
    "adding:T",
    "copy:T",
)
# Fixed generation seeds: the synthetic test sets are the same for every
# training run, whatever its --seed.
SYNTHETIC_SEEDS = {"train": 2018, "test": 2019}
SYNTHETIC_SIZES = {"adding": (50_000, 1_000), "copy": (10_000, 1_000)}
PMNIST_SEED = 0
SEQUENCE_LENGTH = 28 * 28


def spec_help():
    return "valid data specs: " + ", ".join(SPEC_FORMS)


def parse_spec(spec):
    """Splits a data spec into `(kind, argument)`.

    Args:
        spec: str. One of the forms in `SPEC_FORMS`, e.g. `"mnist"`,
            `"idx:/data/mnist"`, `"tfds:mnist:train[:50%]"` or
            `"adding:600"`.

    Returns:
        A tuple of the source kind and its argument (None, a str or an
        int).

    Raises:
        DataError: for an unknown kind or a bad argument; the message lists
            the valid forms.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise DataError(f"empty data spec; {spec_help()}. Received: {spec!r}")
    kind, _, arg = spec.strip().partition(":")
    kind = kind.lower()
    if kind in locations.ALIASES and not arg:
        return locations.ALIASES[kind], None
    if kind in ("mnist1d", "seqmnist") and not arg:
        return kind, None
    if kind == "pmnist":
        return kind, _int_arg(spec, arg or str(PMNIST_SEED), "SEED", 0)
    if kind in ("adding", "copy") and arg:
        minimum = 2 if kind == "adding" else 1
        return kind, _int_arg(spec, arg, "T", minimum)
    if kind in ("idx", "folder", "tfds") and arg:
        return kind, arg
    raise DataError(f"unknown data spec {spec!r}; {spec_help()}.")


def _int_arg(spec, text, name, minimum):
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise DataError(
            f"in data spec {spec!r}, {name} must be an integer >= {minimum}. "
            f"Received: {name}={text!r}"
        )
    return value


def _head(array, limit):
    return array if array is None or limit is None else array[:limit]


def load_source(spec, options=None):
    """The raw arrays of a data spec (see `training.data.load_dataset`).

    Args:
        spec: str, a data spec.
        options: a `SourceOptions`; None for the defaults.
    """
    o = options or SourceOptions()
    kind, arg = parse_spec(spec)
    if kind == "folder":
        return external.folder_source(arg, o)
    if kind in ("adding", "copy"):
        return synthetic_source(
            kind, arg, limit=o.limit, test_limit=o.test_limit
        )
    if kind == "tfds":
        source = external.tfds_source(arg, data_dir=o.data_dir, limit=o.limit)
    elif kind in ("mnist", "fashion_mnist"):
        source = bare_name_source(kind, data_dir=o.data_dir)
    elif kind == "idx":
        source = idx_source(arg)
    elif kind == "mnist1d":
        source = mnist1d_source()
    else:
        source = pixel_sequence_source(kind, arg, data_dir=o.data_dir)
    source.x_train = _head(source.x_train, o.limit)
    source.y_train = _head(source.y_train, o.limit)
    source.x_test = _head(source.x_test, o.test_limit)
    source.y_test = _head(source.y_test, o.test_limit)
    return source


# IDX folders


def _image_info(name, images, class_names, description):
    return {
        "name": name,
        "task": "classification",
        "input_shape": (*images.shape[1:3], 1),
        "num_classes": len(class_names),
        "class_names": list(class_names),
        "description": description,
    }


def read_idx_dir(directory):
    """Train and test images `(n, rows, cols, 1)` and int32 labels.

    Raises:
        DataError: when the folder is missing, a file is malformed, or the
            train and test images differ in size.
    """
    directory = pathlib.Path(directory)
    if not directory.is_dir():
        raise DataError(
            f"{directory} is not a folder; idx:DIR needs a folder holding "
            f"{idx.expected_names('train')} and "
            f"{idx.expected_names('test')}."
        )
    x_train, y_train = idx.load_idx_split(directory, "train")
    x_test, y_test = idx.load_idx_split(directory, "test")
    if x_train.shape[1:] != x_test.shape[1:]:
        raise DataError(
            f"the train images in {directory} are {x_train.shape[1:]} but "
            f"the test images are {x_test.shape[1:]}; both splits must "
            "come from the same data set."
        )
    return (
        x_train[..., None],
        y_train.astype(np.int32),
        x_test[..., None],
        y_test.astype(np.int32),
    )


def idx_source(directory):
    x_train, y_train, x_test, y_test = read_idx_dir(directory)
    num_classes = int(max(y_train.max(initial=0), y_test.max(initial=0))) + 1
    info = _image_info(
        pathlib.Path(directory).name or "idx",
        x_train,
        [str(i) for i in range(num_classes)],
        f"IDX images from {pathlib.Path(directory).name}/",
    )
    return Source(x_train, y_train, x_test, y_test, info, augmentation="digits")


def bare_name_source(name, *, data_dir=None):
    """MNIST or Fashion-MNIST from the first folder `locate` finds."""
    directory = locations.locate(name, data_dir=data_dir)
    x_train, y_train, x_test, y_test = read_idx_dir(directory)
    for split, images, labels in (
        ("train", x_train, y_train),
        ("test", x_test, y_test),
    ):
        if images.shape[1:] != (28, 28, 1):
            raise DataError(
                f"the {split} images in {directory} are "
                f"{images.shape[1:3]}, but {name} images are 28 x 28; the "
                "folder holds another data set (use idx:DIR for it)."
            )
        if labels.size and labels.max() > 9:
            raise DataError(
                f"the {split} labels in {directory} go up to "
                f"{labels.max()}, but {name} has 10 classes (0..9); the "
                "labels file is from another data set."
            )
    if name == "mnist":
        names, policy = DIGIT_NAMES, "digits"
        description = "MNIST handwritten digits, 28x28 grey, 0-255"
    else:
        from zoo.models.presets import FASHION_CLASSES

        names, policy = list(FASHION_CLASSES), "clothing"
        description = "Fashion-MNIST clothing images, 28x28 grey, 0-255"
    info = _image_info(name, x_train, names, description)
    return Source(x_train, y_train, x_test, y_test, info, augmentation=policy)


# Pixel sequences


def pmnist_permutation(seed=PMNIST_SEED):
    """The fixed pixel order of permuted MNIST for a seed.

    `np.random.default_rng(seed).permutation(784)`: the same on every
    machine for a given numpy bit generator (PCG64).
    """
    return np.random.default_rng(seed).permutation(SEQUENCE_LENGTH)


def pixel_sequence_source(kind, seed, *, data_dir=None):
    """MNIST read as 784 steps of one pixel (row by row, or permuted)."""
    digits = bare_name_source("mnist", data_dir=data_dir)
    if kind == "pmnist":
        order = pmnist_permutation(seed)
        description = (
            f"permuted MNIST: 784 pixels in a fixed random order "
            f"(numpy default_rng({seed}).permutation(784)), 0-255"
        )
    else:
        order = np.arange(SEQUENCE_LENGTH)
        description = "sequential MNIST: 784 pixels row by row, 0-255"

    def to_sequence(images):
        return images.reshape(len(images), SEQUENCE_LENGTH)[:, order, None]

    info = dict(digits.info)
    info.update(
        name=kind,
        input_shape=(SEQUENCE_LENGTH, 1),
        description=description,
    )
    return Source(
        to_sequence(digits.x_train),
        digits.y_train,
        to_sequence(digits.x_test),
        digits.y_test,
        info,
        augmentation="digits",
        permutation=order,
    )


# Generated data


@functools.lru_cache(maxsize=1)
def _mnist1d_arrays():
    from mnist1d.data import get_dataset_args
    from mnist1d.data import make_dataset

    # make_dataset reseeds the global `random` and `np.random` streams;
    # put them back so callers' randomness is untouched.
    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        data = make_dataset(get_dataset_args())
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
    arrays = (
        data["x"].astype(np.float32)[..., None],
        data["y"].astype(np.int32),
        data["x_test"].astype(np.float32)[..., None],
        data["y_test"].astype(np.int32),
    )
    for array in arrays:
        array.flags.writeable = False
    return arrays


def mnist1d_source():
    """MNIST-1D, generated offline by the `mnist1d` package (seed 42)."""
    try:
        x_train, y_train, x_test, y_test = _mnist1d_arrays()
    except ImportError:
        raise DataError(
            "mnist1d needs the `mnist1d` package: pip install mnist1d (or "
            "keras-conv-zoo[train])."
        ) from None
    info = {
        "name": "mnist1d",
        "task": "classification",
        "input_shape": tuple(x_train.shape[1:]),
        "num_classes": 10,
        "class_names": list(DIGIT_NAMES),
        "description": "MNIST-1D (Greydanus 2020): 40-step 1-D digits, "
        "standardised",
    }
    return Source(x_train, y_train, x_test, y_test, info)


def synthetic_source(kind, length, *, limit=None, test_limit=None):
    """The adding problem or copy memory with the default sizes."""
    num_train, num_test = SYNTHETIC_SIZES[kind]
    num_train = num_train if limit is None else min(limit, num_train)
    num_test = num_test if test_limit is None else min(test_limit, num_test)
    make = (
        synthetic.adding_problem if kind == "adding" else synthetic.copy_memory
    )
    x_train, y_train = make(num_train, length, SYNTHETIC_SEEDS["train"])
    x_test, y_test = make(num_test, length, SYNTHETIC_SEEDS["test"])
    if kind == "adding":
        info = {
            "task": "regression",
            "num_classes": None,
            "class_names": None,
            "description": f"adding problem, T={length}: sum of the two "
            "marked values of a U(0,1) sequence",
        }
    else:
        y_train, y_test = y_train.astype(np.int32), y_test.astype(np.int32)
        info = {
            "task": "classification",
            "num_classes": 10,
            "class_names": list(COPY_NAMES),
            "description": f"copy memory, T={length}: repeat 10 symbols "
            "after the delimiter (one class per step)",
        }
    info.update(
        name=f"{kind}:{length}",
        input_shape=tuple(x_train.shape[1:]),
        target_shape=tuple(y_train.shape[1:]),
    )
    return Source(x_train, y_train, x_test, y_test, info)
