"""The data layer for training: data specs to tf.data batches or arrays.

    from training.data import load_dataset
    bundle = load_dataset("mnist", batch_size=128, augment=True)
    model.fit(bundle.train, validation_data=bundle.val)

See `load_dataset` for the data specs, `training.data.locations` for where
local data sets are searched, and `training.augment.perturb_digits` for
robustness perturbations.
"""

from training.data.classes import DIGIT_NAMES
from training.data.errors import DataError
from training.data.locations import locate
from training.data.pipeline import DatasetBundle
from training.data.pipeline import load_arrays
from training.data.pipeline import load_dataset
from training.data.sources import SPEC_FORMS
from training.data.sources import parse_spec
from training.data.sources import pmnist_permutation

__all__ = [
    "DIGIT_NAMES",
    "SPEC_FORMS",
    "DataError",
    "DatasetBundle",
    "load_arrays",
    "load_dataset",
    "locate",
    "parse_spec",
    "perturb_digits",
    "pmnist_permutation",
]


def perturb_digits(images, seed, **ranges):
    """`training.augment.perturb_digits`, importing TensorFlow on use."""
    from training.augment import perturb_digits as perturb

    return perturb(images, seed, **ranges)
