"""Kernel playground: classic 3x3 filters run through the zoo's own conv.

The filter is loaded into a one-filter `zoo.layers.DilatedConv2D` with
`set_weights`, so the picture shows exactly what a layer of a model would
compute, and the sizes come from `zoo.arithmetic.conv_output_size`, the
function behind every zoo layer's `compute_output_shape`.
"""

import numpy as np

from zoo import arithmetic
from zoo.layers import DilatedConv2D
from zoo.utils import conv_utils

PADDINGS = ("valid", "same", "reflect")
KERNELS = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "box blur": [[1 / 9] * 3] * 3,
    "Gaussian blur": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16]]
    + [[1 / 16, 2 / 16, 1 / 16]],
    "Sobel x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "Sobel y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "Laplacian edge": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
}


def parse_kernel(values):
    """A 3x3 float array from nested lists, a DataFrame or strings.

    Raises:
        ValueError: with a message for the user when a cell is not a
            finite number or the table is not 3x3.
    """
    if hasattr(values, "to_numpy"):
        values = values.to_numpy()
    try:
        kernel = np.asarray(values, dtype="float32")
    except (TypeError, ValueError):
        raise ValueError(
            "Every kernel cell must be a number, such as 1, -0.5 or 0.25."
        ) from None
    if kernel.shape != (3, 3):
        raise ValueError(
            f"The kernel must be 3x3; received a table of shape {kernel.shape}."
        )
    if not np.all(np.isfinite(kernel)):
        raise ValueError("Every kernel cell must be a finite number.")
    return kernel


def padding_amounts(size, kernel_size, padding, stride, dilation):
    """`(before, after)` pixels added on one axis by each padding mode.

    Keras' "same" pads `max((ceil(W / S) - 1) S + K - W, 0)` in all, the
    smaller half first, so with a stride it can be less than `K - 1`; the
    zoo's "reflect" always mirrors `K - 1` pixels (`reflect_pad_amounts`).
    """
    k_eff = conv_utils.effective_kernel_size(kernel_size, dilation)
    if padding == "valid":
        return 0, 0
    if padding == "reflect":
        return conv_utils.reflect_pad_amounts(kernel_size, dilation)
    total = max((-(-size // stride) - 1) * stride + k_eff - size, 0)
    return total // 2, total - total // 2


def output_size_formula(size, kernel_size, padding, stride, dilation):
    """The textbook formula `⌊(W − K + 2P) / S⌋ + 1` with this axis'
    numbers filled in, `2P` being the padding added on both sides.

    Returns:
        `(output_size, text)`, with `text` such as
        `"⌊(28 − 3 + 0) / 1⌋ + 1 = 26"`.
    """
    k_eff = conv_utils.effective_kernel_size(kernel_size, dilation)
    before, after = padding_amounts(
        size, kernel_size, padding, stride, dilation
    )
    out = arithmetic.conv_output_size(
        size, kernel_size, stride=stride, padding=padding, dilation=dilation
    )
    text = f"⌊({size} − {k_eff} + {before + after}) / {stride}⌋ + 1 = {out}"
    return out, text


def apply_kernel(image, kernel, padding="valid", stride=1, dilation=1):
    """Convolves a 2-D image with a 2-D kernel through `DilatedConv2D`.

    Args:
        image: array `(height, width)`, values 0-255.
        kernel: array `(kh, kw)`.
        padding: one of `"valid"`, `"same"`, `"reflect"`.
        stride: int. Step of the window.
        dilation: int. Spacing of the kernel taps.

    Returns:
        The output as a float32 `(out_height, out_width)` array.

    Raises:
        ValueError: from the layer, for instance for `stride > 1` together
            with `dilation > 1`, or a window larger than the image.
    """
    image = np.asarray(image, dtype="float32")
    kernel = np.asarray(kernel, dtype="float32")
    layer = DilatedConv2D(
        1,
        kernel.shape,
        strides=stride,
        dilation_rate=dilation,
        padding=padding,
        use_bias=False,
    )
    layer.build((1, *image.shape, 1))
    layer.set_weights([kernel[:, :, None, None]])
    output = layer(image[None, :, :, None])
    return np.asarray(output)[0, :, :, 0]
