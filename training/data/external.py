"""Sources read through other libraries: TFDS and keras image folders.

Both are turned into numpy arrays, so every source goes through the same
validation split and tf.data pipeline.
"""

import functools
import pathlib

import numpy as np

from training.data.arrays import Source
from training.data.arrays import SourceOptions
from training.data.errors import DataError

# TFDS names that hold digits or letters, where flips would change labels.
TFDS_GLYPHS = ("mnist", "emnist", "kmnist", "binarized_mnist")


def _split_names(arg):
    name, _, splits = arg.partition(":")
    train_split, _, test_split = (splits or "train").partition(",")
    return name, train_split, test_split or "test"


def _to_numpy(dataset, limit, what):
    import tensorflow as tf

    if limit is not None:
        dataset = dataset.take(limit)
    xs, ys = [], []
    try:
        for x, y in dataset.batch(4096).as_numpy_iterator():
            xs.append(x)
            ys.append(y)
    except tf.errors.InvalidArgumentError as err:
        raise DataError(
            f"the examples of {what} differ in shape, so they cannot be "
            "stacked into "
            f"one array ({err.message.splitlines()[0]}); only data sets of "
            "fixed-size inputs are supported."
        ) from None
    if not xs:
        raise DataError(f"{what} is empty.")
    return np.concatenate(xs), np.concatenate(ys)


def tfds_source(arg, *, data_dir=None, limit=None):
    """A TFDS data set through `tfds.load(..., as_supervised=True)`."""
    try:
        import tensorflow_datasets as tfds
    except ImportError:
        raise DataError(
            "tfds:NAME needs tensorflow-datasets: pip install "
            "tensorflow-datasets importlib_resources (or "
            "keras-conv-zoo[train])."
        ) from None
    name, train_split, test_split = _split_names(arg)
    try:
        (train, test), builder_info = tfds.load(
            name,
            split=[train_split, test_split],
            as_supervised=True,
            with_info=True,
            data_dir=data_dir,
        )
    except tfds.core.registered.DatasetNotFoundError as err:
        raise DataError(f"tfds:{arg}: {err}") from None
    except (OSError, ConnectionError) as err:
        raise DataError(
            f"tfds:{arg} could not be loaded ({err}). TFDS downloads a data "
            "set the first time, which needs internet; offline, use mnist, "
            "fashion_mnist or idx:DIR with local IDX files."
        ) from None
    x_train, y_train = _to_numpy(train, limit, f"tfds:{name} {train_split}")
    x_test, y_test = _to_numpy(test, None, f"tfds:{name} {test_split}")
    label = builder_info.features[builder_info.supervised_keys[1]]
    names = getattr(label, "names", None)
    num_classes = getattr(label, "num_classes", None)
    if num_classes is None:
        raise DataError(
            f"tfds:{arg} has no class labels ({type(label).__name__}); "
            "only classification data sets are supported."
        )
    info = {
        "name": name,
        "task": "classification",
        "input_shape": tuple(x_train.shape[1:]),
        "num_classes": int(num_classes),
        "class_names": list(names or map(str, range(num_classes))),
        "description": f"TFDS {name} ({train_split} / {test_split})",
    }
    policy = None
    if x_train.ndim == 4:
        policy = "digits" if name.startswith(TFDS_GLYPHS) else "clothing"
    return Source(
        x_train,
        y_train.astype(np.int32),
        x_test,
        y_test.astype(np.int32),
        info,
        augmentation=policy,
    )


def _read_folder(directory, **kwargs):
    import keras

    try:
        return keras.utils.image_dataset_from_directory(
            directory,
            labels="inferred",
            label_mode="int",
            batch_size=None,
            verbose=False,
            **kwargs,
        )
    except ValueError as err:
        raise DataError(
            f"cannot read images from {directory}: {err} folder:DIR needs "
            "one sub-folder of images per class."
        ) from None


def folder_source(directory, options=None):
    """Images in one sub-folder per class, resized to `options.image_size`.

    When `directory` holds `train/` and `test/` sub-folders (each with one
    folder per class), they are the two splits; otherwise every image is
    in the training pool and there is no test split. The validation split
    comes from the training images, chosen by keras with `options.seed`.

    Args:
        directory: str or path-like.
        options: a `SourceOptions` (`seed`, `validation_split`,
            `image_size`, `color_mode`, `limit`, `test_limit`); None for
            the defaults.
    """
    o = options or SourceOptions()
    seed, validation_split = o.seed, o.validation_split
    limit, test_limit = o.limit, o.test_limit
    image_size, color_mode = tuple(o.image_size), o.color_mode
    root = pathlib.Path(directory)
    if not root.is_dir():
        raise DataError(
            f"{root} is not a folder; folder:DIR needs a folder with one "
            "sub-folder of images per class."
        )
    has_splits = (root / "train").is_dir() and (root / "test").is_dir()
    train_dir = root / "train" if has_splits else root
    read = {"image_size": image_size, "color_mode": color_mode}
    if validation_split:
        train, val = _read_folder(
            train_dir,
            validation_split=validation_split,
            subset="both",
            seed=seed,
            shuffle=True,
            **read,
        )
    else:
        train = _read_folder(train_dir, seed=seed, shuffle=True, **read)
        val = None
    class_names = list(train.class_names)
    x_train, y_train = _to_numpy(train, limit, f"{train_dir} (training)")
    x_val = y_val = None
    if val is not None:
        x_val, y_val = _to_numpy(val, None, f"{train_dir} (validation)")
    x_test = y_test = None
    if has_splits:
        test = _read_folder(root / "test", shuffle=False, **read)
        if list(test.class_names) != class_names:
            raise DataError(
                f"{root / 'test'} has classes {test.class_names} but "
                f"{root / 'train'} has {class_names}; both need the same "
                "class folders."
            )
        x_test, y_test = _to_numpy(test, test_limit, str(root / "test"))
    info = {
        "name": root.name,
        "task": "classification",
        "input_shape": tuple(x_train.shape[1:]),
        "num_classes": len(class_names),
        "class_names": class_names,
        "description": f"images from {root.name}/ ({color_mode}, "
        f"{image_size[0]}x{image_size[1]}, 0-255)",
    }
    as_int = functools.partial(np.asarray, dtype=np.int32)
    return Source(
        x_train,
        as_int(y_train),
        x_test,
        None if y_test is None else as_int(y_test),
        info,
        x_val=x_val,
        y_val=None if y_val is None else as_int(y_val),
        augmentation="digits" if color_mode == "grayscale" else "clothing",
    )
