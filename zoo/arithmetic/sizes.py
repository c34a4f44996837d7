"""Output sizes and effective kernel sizes, with the tutorials' formulas.

Both functions validate their arguments and then defer to
`zoo.utils.conv_utils`, the helper every zoo layer's `compute_output_shape`
uses, so the numbers printed in a tutorial table are the shapes Keras
produces.
"""

from zoo.utils import conv_utils
from zoo.utils import validation

PADDING_MODES = ("valid", "same", "causal", "reflect")


def _check_size(size):
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(
            "Invalid value for argument `size`. Expected a strictly positive "
            f"integer input length. Received: size={size!r}"
        )
    return size


def _check_padding(padding):
    if isinstance(padding, str):
        return validation.standardize_padding(padding, PADDING_MODES)
    if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
        raise ValueError(
            "Invalid value for argument `padding`. Expected a non-negative "
            f"int or one of {list(PADDING_MODES)}. Received: "
            f"padding={padding!r}"
        )
    return padding


def effective_kernel_size(kernel_size, dilation=1):
    """Footprint of a dilated kernel: `k + (k - 1)(d - 1)`.

    A dilation `d` leaves `d - 1` gaps between neighbouring taps, so `k`
    weights span `k + (k - 1)(d - 1)` input positions.

    Args:
        kernel_size: int or tuple of ints. Number of taps per axis.
        dilation: int or tuple of ints, same length as `kernel_size`.
            Defaults to 1.

    Returns:
        An int, or a tuple for tuple arguments.

    Raises:
        ValueError: when a value is not a strictly positive int, or the
            tuples differ in length.

    Example:

    >>> effective_kernel_size(3, dilation=4)
    9
    >>> effective_kernel_size((3, 5), dilation=(2, 1))
    (5, 5)
    """
    if isinstance(kernel_size, int) and isinstance(dilation, int):
        validation.positive_int(kernel_size, "kernel_size")
        validation.positive_int(dilation, "dilation")
        return conv_utils.effective_kernel_size(kernel_size, dilation)
    rank = _sequence_length(kernel_size, dilation)
    kernel = validation.standardize_tuple(kernel_size, rank, "kernel_size")
    dilations = validation.standardize_tuple(dilation, rank, "dilation")
    return tuple(
        conv_utils.effective_kernel_size(k, d)
        for k, d in zip(kernel, dilations)
    )


def _sequence_length(*values):
    """Length of the first non-int argument (1 if it has none, so that
    `standardize_tuple` reports the bad value)."""
    for value in values:
        if not isinstance(value, int):
            try:
                return len(value)
            except TypeError:
                return 1
    return 1


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """Output length of a convolution or pooling window along one axis.

    With an int `padding` P added on each side this is the classic
    `floor((W - K_eff + 2P) / S) + 1`, where `K_eff` is the dilated kernel
    size (`effective_kernel_size`). The Keras padding modes give
    `floor((W - K_eff) / S) + 1` for `"valid"` and `ceil(W / S)` for
    `"same"`, `"causal"` and the zoo's `"reflect"`.

    Args:
        size: int. Input length W on this axis.
        kernel_size: int. Number of kernel taps K.
        stride: int. Step S between windows. Defaults to 1.
        padding: int P (zeros added on each side) or one of `"valid"`,
            `"same"`, `"causal"`, `"reflect"`. Defaults to 0.
        dilation: int. Spacing between taps. Defaults to 1.

    Returns:
        The output length, an int >= 1.

    Raises:
        ValueError: for non-positive `size`, `kernel_size`, `stride` or
            `dilation`, a negative or unknown `padding`, a reflection pad
            that is not smaller than `size`, or a window larger than the
            padded input (no output at all).

    Example:

    >>> conv_output_size(28, 3)
    26
    >>> conv_output_size(28, 3, stride=2, padding=1)
    14
    >>> conv_output_size(28, 3, stride=2, padding="same")
    14
    >>> conv_output_size(100, 3, padding="valid", dilation=8)
    84
    """
    _check_size(size)
    validation.positive_int(kernel_size, "kernel_size")
    validation.positive_int(stride, "stride")
    validation.positive_int(dilation, "dilation")
    padding = _check_padding(padding)
    k_eff = conv_utils.effective_kernel_size(kernel_size, dilation)
    if padding == "reflect":
        pads = conv_utils.reflect_pad_amounts(kernel_size, dilation)
        if max(pads) >= size:
            raise ValueError(
                "Reflection padding must be smaller than the input: the "
                f"effective kernel size {k_eff} needs padding={pads} but "
                f"the input has only {size} positions. Received: "
                f"size={size}, kernel_size={kernel_size}, "
                f"dilation={dilation}"
            )
    out = conv_utils.conv_output_length(
        size, kernel_size, padding, stride=stride, dilation=dilation
    )
    if out < 1:
        pad_text = 0 if padding == "valid" else padding
        raise ValueError(
            f"The window does not fit in the input: an effective kernel "
            f"size of {k_eff} needs at least {k_eff} positions, but the "
            f"padded input has {size + 2 * pad_text}. Received: size={size}, "
            f"kernel_size={kernel_size}, stride={stride}, "
            f"padding={padding!r}, dilation={dilation}"
        )
    return out
