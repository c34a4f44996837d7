"""Gridding: the holes a stack of dilated convolutions leaves behind.

Stacking stride-1 convolutions adds up their tap offsets: an output sees
input offset `o` once for every way of writing `o` as a sum of one tap
offset per layer. With equal dilations (2, 2, 2) every reachable offset is
even, so the receptive field is a checkerboard ("gridding", Wang et al.,
2018); a hybrid schedule such as (1, 2, 5) reaches every offset.
"""

import numpy as np

from zoo.utils import validation


def _standardize_args(kernel_size, dilations):
    validation.positive_int(kernel_size, "kernel_size")
    return kernel_size, validation.dilations(dilations)


def dilation_coverage(kernel_size, dilations):
    """How many tap paths reach each input offset of a dilated conv stack.

    Each stride-1 layer with dilation `d` has taps at offsets
    `0, d, ..., (k - 1) d`; the stack's paths are all sums of one tap per
    layer. The counts are the repeated convolution of the layers' tap
    combs, so `coverage[o] == 0` marks an input offset the stack never
    sees. One spatial axis is described; a 2-D stack with the same
    dilations on both axes has coverage `np.outer(c, c)`.

    Args:
        kernel_size: int. Taps per layer (the same for every layer).
        dilations: sequence of ints. Dilation of each layer, input first.

    Returns:
        An int64 array of length `1 + sum((kernel_size - 1) * d)` (the
        receptive field): `coverage[o]` counts the paths to offset `o`,
        counted from the first input position the output can see.

    Raises:
        ValueError: for a non-positive `kernel_size` or an empty or
            non-positive `dilations`.

    Example:

    >>> dilation_coverage(3, [1, 2]).tolist()
    [1, 1, 2, 1, 2, 1, 1]
    >>> dilation_coverage(3, [2, 2]).tolist()
    [1, 0, 2, 0, 3, 0, 2, 0, 1]
    """
    kernel_size, dilations = _standardize_args(kernel_size, dilations)
    coverage = np.ones(1, dtype=np.int64)
    for dilation in dilations:
        taps = np.zeros((kernel_size - 1) * dilation + 1, dtype=np.int64)
        taps[::dilation] = 1
        coverage = np.convolve(coverage, taps)
    return coverage


def has_gridding(kernel_size, dilations):
    """Whether a stack of stride-1 dilated convs has holes in its field.

    The reachable input offsets are all sums of one tap offset per layer
    (`dilation_coverage`); the stack grids when they do not form one
    contiguous range.

    Args:
        kernel_size: int. Taps per layer.
        dilations: sequence of ints. Dilation of each layer.

    Returns:
        `True` when some offset inside the receptive field is unreachable.

    Raises:
        ValueError: for a non-positive `kernel_size` or an empty or
            non-positive `dilations`.

    Example:

    >>> has_gridding(3, [2, 2, 2])
    True
    >>> has_gridding(3, [1, 2, 5])
    False

    Reference:
        - [Wang et al., Understanding Convolution for Semantic
          Segmentation, 2018](https://arxiv.org/abs/1702.08502)
    """
    return bool(np.any(dilation_coverage(kernel_size, dilations) == 0))
