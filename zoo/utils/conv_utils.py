"""Output-length arithmetic used by layers and by `zoo.arithmetic`.

One function decides the length of a convolved axis for every padding mode,
so `compute_output_shape`, the conv arithmetic tables and the app's kernel
playground can never disagree.
"""


def effective_kernel_size(kernel_size, dilation=1):
    """Size of a dilated kernel's footprint: k + (k - 1)(d - 1)."""
    return kernel_size + (kernel_size - 1) * (dilation - 1)


def reflect_pad_amounts(kernel_size, dilation=1):
    """(before, after) reflection pad that gives a "same"-size output.

    The split matches keras' "same" padding (the extra pixel, for an even
    effective kernel, goes after), so reflect and same produce equal shapes.
    """
    total = effective_kernel_size(kernel_size, dilation) - 1
    return total // 2, total - total // 2


def same_pad_amounts(length, kernel_size, stride=1, dilation=1):
    """(before, after) zero pad of keras' `"same"` padding on one axis.

    The total makes `ceil(length / stride)` windows fit, and the extra
    pixel of an odd total goes after, as in TensorFlow's "SAME".
    """
    k_eff = effective_kernel_size(kernel_size, dilation)
    out = conv_output_length(length, kernel_size, "same", stride=stride)
    total = max((out - 1) * stride + k_eff - length, 0)
    return total // 2, total - total // 2


def spatial_axes(rank, data_format):
    """The spatial axes of a batched `rank`-D tensor in `data_format`."""
    if data_format == "channels_last":
        return tuple(range(1, rank + 1))
    return tuple(range(2, rank + 2))


def check_reflect_pads(shape, axes, pads, needs=""):
    """Raises unless every reflection pad is smaller than its axis.

    `numpy.pad(mode="reflect")` needs pad < size: a reflection cannot
    repeat the border pixel nor reach past the opposite edge. `needs`
    says where the pad comes from, for the message.
    """
    for axis, (before, after) in zip(axes, pads):
        size = shape[axis]
        if size is not None and max(before, after) >= size:
            raise ValueError(
                f"Reflection padding must be smaller than the input size "
                f"on each padded axis. Axis {axis} has size {size} but "
                f"{needs}padding={(before, after)}. Received input shape "
                f"{tuple(shape)}."
            )


def conv_output_length(length, kernel_size, padding, stride=1, dilation=1):
    """Length of one spatial axis after a convolution or pooling window.

    Args:
        length: int or `None`. Input length on that axis.
        kernel_size: int. Window size before dilation.
        padding: one of `"valid"`, `"same"`, `"causal"`, `"reflect"`, or
            an int number of padding pixels added on *each* side.
        stride: int. Defaults to 1.
        dilation: int. Defaults to 1.

    Returns:
        The output length, or `None` when `length` is `None`.
    """
    if length is None:
        return None
    k_eff = effective_kernel_size(kernel_size, dilation)
    if isinstance(padding, str):
        if padding in ("same", "causal", "reflect"):
            return (length + stride - 1) // stride
        if padding != "valid":
            raise ValueError(
                "Invalid value for argument `padding`. Expected 'valid', "
                "'same', 'causal', 'reflect' or an int. "
                f"Received: padding={padding!r}"
            )
        padding = 0
    out = (length - k_eff + 2 * padding) // stride + 1
    return max(out, 0)
