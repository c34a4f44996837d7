"""The `Source` record every data source returns, and the
`SourceOptions` that say how to read one."""

import dataclasses

import numpy as np


@dataclasses.dataclass
class Source:
    """The arrays of one data set before the validation split.

    Attributes:
        x_train, y_train: the training pool (the validation split comes out
            of it).
        x_test, y_test: the test split, or None when the source has none.
        info: dict. name, task, input_shape, num_classes, class_names,
            description (JSON-serialisable).
        x_val, y_val: a validation split chosen by the source itself
            (image folders), else None.
        augmentation: str or None. The default augmentation policy.
        permutation: int array or None. For pixel sequences, the pixel read
            at each step (`x_seq = image.reshape(-1)[permutation]`).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    info: dict
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    augmentation: str | None = None
    permutation: np.ndarray | None = None


@dataclasses.dataclass(frozen=True)
class SourceOptions:
    """How to read a data spec: the options `load_dataset` and
    `load_arrays` share, with their defaults in one place.

    Attributes:
        limit: int or None. Only the first `limit` training examples
            (before the validation split).
        test_limit: int or None. Only the first `test_limit` test examples.
        seed: int. Chooses the validation split (and, in `load_dataset`,
            the shuffling and augmentation). Defaults to 42.
        validation_split: float in [0, 1). Defaults to 0.1.
        data_dir: str or None. For `mnist`/`fashion_mnist`/`seqmnist`/
            `pmnist`, a folder searched first for `<name>/`; for `tfds:`,
            the TFDS data folder.
        image_size: `(height, width)` for `folder:`. Defaults to (28, 28).
        color_mode: `"grayscale"`, `"rgb"` or `"rgba"` for `folder:`.
    """

    limit: object = None
    test_limit: object = None
    seed: int = 42
    validation_split: float = 0.1
    data_dir: object = None
    image_size: tuple = (28, 28)
    color_mode: str = "grayscale"
