"""The `Source` record every data source returns."""

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
