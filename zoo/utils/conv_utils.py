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
