"""From a data spec to batched tf.data pipelines (`load_dataset`) or raw
numpy arrays (`load_arrays`).

The validation split always comes out of the training data, chosen with
the seed, so the test split is never used for model selection.
"""

import dataclasses
import hashlib

import numpy as np

from training.data import sources
from training.data.arrays import SourceOptions
from training.data.errors import DataError

SPLITS = ("train", "val", "test")


@dataclasses.dataclass(frozen=True)
class DatasetBundle:
    """The batched splits of one data set and the facts about it.

    Attributes:
        train: `tf.data.Dataset` of `(x, y)` batches, shuffled and (when
            asked) augmented.
        val: the same for the validation split, or None when
            `validation_split=0`.
        test: the same for the test split, or None when the source has
            none (an image folder without `test/`).
        info: dict with `name`, `task` (`"classification"` or
            `"regression"`), `input_shape`, `target_shape`, `num_classes`,
            `class_names`, `description`, `num_train`, `num_val`,
            `num_test`, `fingerprint` (sha256 of the arrays),
            `augmentation` (policy name or None), `validation_split` and
            `seed`.
    """

    train: object
    val: object
    test: object
    info: dict


def split_indices(num_examples, validation_split, seed):
    """Sorted, disjoint train and validation indices chosen with a seed.

    Raises:
        DataError: when `validation_split` is outside [0, 1) or leaves no
            training example.
    """
    if not 0.0 <= validation_split < 1.0:
        raise DataError(
            "validation_split must be in [0, 1). "
            f"Received: validation_split={validation_split}"
        )
    num_val = int(round(num_examples * validation_split))
    if validation_split > 0:
        num_val = max(num_val, 1)
    if num_val >= num_examples:
        raise DataError(
            f"validation_split={validation_split} of {num_examples} "
            "examples leaves no training example; use more data or a "
            "smaller split."
        )
    order = np.random.default_rng(seed).permutation(num_examples)
    return np.sort(order[num_val:]), np.sort(order[:num_val])


def fingerprint(*arrays):
    """sha256 over the dtype, shape and bytes of each array (None skipped)."""
    digest = hashlib.sha256()
    for array in arrays:
        if array is None:
            continue
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape};".encode())
        digest.update(array.data)
    return digest.hexdigest()


def _split(source, validation_split, seed):
    """`{split: (x, y)}` with the validation split taken from training."""
    if source.x_val is not None:
        train = (source.x_train, source.y_train)
        val = (source.x_val, source.y_val)
    else:
        train_idx, val_idx = split_indices(
            len(source.x_train), validation_split, seed
        )
        train = (source.x_train[train_idx], source.y_train[train_idx])
        val = (source.x_train[val_idx], source.y_train[val_idx])
    test = (source.x_test, source.y_test)
    return {
        "train": train,
        "val": val if len(val[0]) else None,
        "test": test if test[0] is not None else None,
    }


def load_arrays(spec, split="test", *, limit=None, **options):
    """Raw numpy arrays `(x, y)` of one split of a data spec.

    Images are raw 0-255 values (uint8 from IDX files, float32 from image
    folders) of shape `(n, 28, 28, 1)`; sequences are `(n, steps,
    channels)`; labels are int32 (`(n,)`, or `(n, steps)` for copy
    memory) and regression targets float32 `(n, 1)`. `"train"` and
    `"val"` are the same splits `load_dataset` makes with the same
    `validation_split` and `seed`.

    Args:
        spec: str. A data spec (see `load_dataset`).
        split: str. `"train"`, `"val"` or `"test"`. Defaults to `"test"`.
        limit: int or None. Keep only the first `limit` examples of the
            split.
        **options: `validation_split`, `seed`, `data_dir`, `image_size`,
            `color_mode`, as in `load_dataset` (see
            `training.data.arrays.SourceOptions`).

    Returns:
        A tuple `(x, y)` of numpy arrays.

    Raises:
        DataError: for a bad spec or split, missing or malformed data, or
            a split the source does not have.
    """
    if split not in SPLITS:
        raise DataError(
            f"split must be one of {SPLITS}. Received: split={split!r}"
        )
    options = _options(test_limit=limit if split == "test" else None, **options)
    source = sources.load_source(spec, options)
    arrays = _split(source, options.validation_split, options.seed)[split]
    if arrays is None:
        raise DataError(
            f"data spec {spec!r} has no {split} split"
            + (
                " (validation_split is 0)"
                if split == "val"
                else " (an image folder needs train/ and test/ sub-folders "
                "for one)"
            )
            + "."
        )
    x, y = arrays
    return (x, y) if limit is None else (x[:limit], y[:limit])


def _augmenter(source, augment, seed):
    """`(policy name, batch transform)` for `augment`; `(None, None)`.

    The transform is built here, once, from `seed`: its random layers
    carry their state from batch to batch.
    """
    from training import augment as augment_lib

    if augment is False or augment is None:
        return None, None
    policy = source.augmentation if augment is True else augment
    if policy is None:
        raise DataError(
            f"no augmentation is defined for {source.info['name']} "
            "(only for images and pixel sequences); drop --augment."
        )
    if policy not in augment_lib.POLICIES:
        raise DataError(
            f"augment must be a bool or one of "
            f"{sorted(augment_lib.POLICIES)}. Received: augment={augment!r}"
        )
    if source.permutation is not None:
        side = int(round(len(source.permutation) ** 0.5))
        transform = augment_lib.POLICIES[policy](seed, (side, side))
        transform = _in_image_space(transform, source.permutation, side)
    else:
        image_size = tuple(source.info["input_shape"][:2])
        transform = augment_lib.POLICIES[policy](seed, image_size)
    return policy, transform


def _in_image_space(transform, permutation, side):
    """Wraps an image transform for pixel sequences (sequential MNIST)."""
    import tensorflow as tf

    inverse = tf.constant(np.argsort(permutation), tf.int32)
    permutation = tf.constant(permutation, tf.int32)

    def sequence_transform(sequences):
        pixels = tf.gather(sequences, inverse, axis=1)
        images = tf.reshape(pixels, [-1, side, side, 1])
        pixels = tf.reshape(transform(images), [-1, side * side, 1])
        return tf.gather(pixels, permutation, axis=1)

    return sequence_transform


def _pipeline(arrays, info, *, batch_size, seed, shuffle, augmenter, cache):
    import tensorflow as tf

    x, y = arrays
    target_dtype = tf.float32 if info["task"] == "regression" else tf.int32

    def cast(x_batch, y_batch):
        return tf.cast(x_batch, tf.float32), tf.cast(y_batch, target_dtype)

    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    if cache is not None and augmenter is None and not shuffle:
        # Deterministic batches: keep them after the first pass.
        dataset = dataset.batch(batch_size).map(cast).cache(cache)
        return dataset.prefetch(tf.data.AUTOTUNE)
    if cache is not None:
        dataset = dataset.cache(cache)
    if shuffle:
        dataset = dataset.shuffle(
            len(x), seed=seed, reshuffle_each_iteration=True
        )
    dataset = dataset.batch(batch_size).map(
        cast, num_parallel_calls=tf.data.AUTOTUNE
    )
    if augmenter is not None:
        # No parallel calls: the policy's random layers draw from their
        # seed in the order the batches come, so every epoch differs and
        # every run with this seed repeats them.
        dataset = dataset.map(
            lambda x_batch, y_batch: (augmenter(x_batch), y_batch)
        )
    return dataset.prefetch(tf.data.AUTOTUNE)


def load_dataset(
    spec, *, batch_size, augment=False, shuffle=True, cache=True, **options
):
    """Batched `(x, y)` tf.data pipelines for a data spec.

    Data specs:

    - `mnist`, `fashion_mnist` (or `fashion-mnist`): local IDX files, found
      as `training.data.locations` describes.
    - `idx:DIR`: a folder of IDX files (`train-*` and `t10k-*`, gz or raw).
    - `folder:DIR`: one sub-folder of images per class (optionally under
      `train/` and `test/`), read with
      `keras.utils.image_dataset_from_directory`.
    - `tfds:NAME[:TRAIN_SPLIT[,TEST_SPLIT]]`: `tfds.load(NAME, ...,
      as_supervised=True)`; splits default to `train` and `test`.
    - `mnist1d`: MNIST-1D, `(40, 1)` sequences, generated offline.
    - `seqmnist`, `pmnist[:SEED]`: MNIST pixels as `(784, 1)` sequences,
      row by row or in a fixed permutation (default seed 0).
    - `adding:T`, `copy:T`: the synthetic tasks of Bai et al. (2018),
      50,000 / 1,000 and 10,000 / 1,000 examples (see `limit`).

    Inputs are float32 raw values (images 0-255; models normalise
    internally), labels int32, regression targets float32.

    Args:
        spec: str. The data spec.
        batch_size: int. Examples per batch.
        validation_split: float in [0, 1). The share of the training data
            held out for validation. Defaults to 0.1.
        seed: int. Chooses the validation split, the shuffling and the
            augmentation. Defaults to 42.
        augment: bool or str. True applies the source's augmentation
            (`"digits"` for MNIST-like images and pixel sequences,
            `"clothing"` for Fashion-MNIST), a str picks a policy from
            `training.augment.POLICIES`. Only the training split is
            augmented. Defaults to False.
        shuffle: bool. Shuffle the training split every epoch. Defaults to
            True.
        cache: bool or str. Cache the examples in memory after the first
            pass; a str caches to files `<cache>.<split>` instead.
            Defaults to True.
        limit: int or None. Use only the first `limit` examples of the
            training data (before the validation split).
        test_limit: int or None. Use only the first `test_limit` test
            examples.
        data_dir: str or None. For `mnist`/`fashion_mnist`/`seqmnist`/
            `pmnist`, a folder searched first for `<name>/`; for `tfds:`,
            the TFDS data folder.
        image_size: `(height, width)` for `folder:`. Defaults to (28, 28).
        color_mode: `"grayscale"`, `"rgb"` or `"rgba"` for `folder:`.
            Defaults to `"grayscale"`.

    `validation_split`, `seed`, `limit`, `test_limit`, `data_dir`,
    `image_size` and `color_mode` are keyword arguments whose defaults live
    in `training.data.arrays.SourceOptions`, shared with `load_arrays`.

    Returns:
        A `DatasetBundle`.

    Raises:
        DataError: for an unknown spec (the message lists the valid
            forms), missing or malformed data, or bad arguments.
        TypeError: for an unknown keyword argument.

    Example:

    >>> bundle = load_dataset("adding:50", batch_size=32, limit=100)
    >>> bundle.info["input_shape"], bundle.info["num_train"]
    ((50, 2), 90)
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise DataError(
            "batch_size must be a positive integer. "
            f"Received: batch_size={batch_size!r}"
        )
    options = _options(**options)
    seed = options.seed
    source = sources.load_source(spec, options)
    policy, augmenter = _augmenter(source, augment, seed + 1)
    splits = _split(source, options.validation_split, seed)
    info = dict(source.info)
    info.setdefault("target_shape", tuple(source.y_train.shape[1:]))
    info.update(
        {
            "num_train": len(splits["train"][0]),
            "num_val": len(splits["val"][0]) if splits["val"] else 0,
            "num_test": len(splits["test"][0]) if splits["test"] else 0,
            "fingerprint": fingerprint(
                source.x_train,
                source.y_train,
                source.x_val,
                source.y_val,
                source.x_test,
                source.y_test,
            ),
            "augmentation": policy,
            "validation_split": options.validation_split,
            "seed": seed,
        }
    )
    datasets = {}
    for split, arrays in splits.items():
        if arrays is None:
            datasets[split] = None
            continue
        is_train = split == "train"
        datasets[split] = _pipeline(
            arrays,
            info,
            batch_size=batch_size,
            seed=seed,
            shuffle=shuffle and is_train,
            augmenter=augmenter if is_train else None,
            cache=_cache_target(cache, split),
        )
    return DatasetBundle(info=info, **datasets)


def _options(**options):
    """`SourceOptions` of the keyword arguments; a misspelt one is named."""
    try:
        return SourceOptions(**options)
    except TypeError:
        known = [f.name for f in dataclasses.fields(SourceOptions)]
        unknown = sorted(set(options) - set(known))
        raise TypeError(
            f"Unknown data option(s) {unknown}; expected some of {known}. "
            f"Received: {options}"
        ) from None


def _cache_target(cache, split):
    """tf.data's cache argument: "" is memory, a path a file; None: off."""
    if not cache:
        return None
    return f"{cache}.{split}" if isinstance(cache, str) else ""
