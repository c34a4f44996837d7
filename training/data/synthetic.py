"""The adding problem and the copy-memory task of Bai et al. (2018).

Both generators are deterministic given a seed and build the examples in
blocks of `BLOCK` with one random stream per block, so the first `n`
examples are the same whatever the total: a `limit` gives a prefix of the
full data set.

Reference:
    Bai, Kolter and Koltun, "An Empirical Evaluation of Generic
    Convolutional and Recurrent Networks for Sequence Modeling", 2018,
    https://arxiv.org/abs/1803.01271 (section 5 and their `locuslab/TCN`
    code).
"""

import numpy as np

BLOCK = 1024
MEMORY_LENGTH = 10  # symbols to remember in the copy task
DELIMITER = 9


def _blocks(num_examples, seed):
    """`(rows, rng)` per block; callers draw whole blocks, then slice."""
    for start in range(0, num_examples, BLOCK):
        rows = slice(start, min(start + BLOCK, num_examples))
        yield rows, np.random.default_rng([seed, start // BLOCK])


def adding_problem(num_examples, length, seed):
    """Sequences of (value, marker) pairs; the target sums the marked values.

    The values are U(0, 1). The marker channel holds exactly two 1s, one in
    the first `length // 2` steps and one in the rest, as in Hochreiter and
    Schmidhuber's original task and the common Keras implementations.

    Args:
        num_examples: int. How many sequences.
        length: int >= 2. The sequence length T.
        seed: int. The random seed.

    Returns:
        A tuple `(x, y)`: float32 `x` of shape `(num_examples, length, 2)`
        (channel 0 the values, channel 1 the markers) and float32 `y` of
        shape `(num_examples, 1)`.
    """
    x = np.zeros((num_examples, length, 2), dtype=np.float32)
    half = length // 2
    for rows, rng in _blocks(num_examples, seed):
        size = rows.stop - rows.start
        values = rng.random((BLOCK, length), dtype=np.float32)
        first = rng.integers(0, half, BLOCK)
        second = rng.integers(half, length, BLOCK)
        index = np.arange(rows.start, rows.stop)
        x[rows, :, 0] = values[:size]
        x[index, first[:size], 1] = 1.0
        x[index, second[:size], 1] = 1.0
    y = np.sum(x[..., 0] * x[..., 1], axis=1, keepdims=True)
    return x, y.astype(np.float32)


def copy_memory(num_examples, length, seed, *, blank_recall=False):
    """Remember 10 symbols through `length` blank steps, then repeat them.

    An input is 10 symbols drawn from 1..8, `length - 1` blanks (0), then
    11 entries of 9: the first 9 is the delimiter and the model must write
    the 10 symbols during the last 10 steps. The target is 0 everywhere
    except those last 10 steps, which hold the symbols. Every sequence has
    `length + 20` steps.

    Args:
        num_examples: int. How many sequences.
        length: int >= 1. The blank stretch T.
        seed: int. The random seed.
        blank_recall: bool. When True, the 10 steps after the delimiter are
            blanks (0) instead of 9s, as in Arjovsky et al. (2016). Defaults
            to False (Bai et al. 2018).

    Returns:
        A tuple `(x, y)` of uint8 arrays: `x` of shape
        `(num_examples, length + 20, 1)` and `y` (one class 0..9 per step)
        of shape `(num_examples, length + 20)`.
    """
    steps = length + 2 * MEMORY_LENGTH
    x = np.zeros((num_examples, steps), dtype=np.uint8)
    y = np.zeros((num_examples, steps), dtype=np.uint8)
    for rows, rng in _blocks(num_examples, seed):
        symbols = rng.integers(1, 9, (BLOCK, MEMORY_LENGTH), dtype=np.uint8)
        size = rows.stop - rows.start
        x[rows, :MEMORY_LENGTH] = symbols[:size]
        y[rows, -MEMORY_LENGTH:] = symbols[:size]
    recall_start = steps - MEMORY_LENGTH - 1
    x[:, recall_start] = DELIMITER
    if not blank_recall:
        x[:, recall_start + 1 :] = DELIMITER
    return x[..., None], y
