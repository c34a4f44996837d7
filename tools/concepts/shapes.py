"""Sections 2 and 3: output sizes; channels, downsampling and layouts."""

import math

import keras

from zoo.arithmetic import effective_kernel_size
from zoo.layers import DilatedConv2D

SIZE_SNIPPET = """
import keras
from zoo import arithmetic
from zoo.layers import ReflectionConv2D


def keras_width(size, kernel, stride, padding, dilation):
    \"\"\"Width of the feature map Keras builds for a size x size input.\"\"\"
    inputs = keras.Input((size, size, 1))
    x = inputs
    if isinstance(padding, int):  # P zeros on each side, then "valid"
        x = keras.layers.ZeroPadding2D(padding)(x)
    if padding == "reflect":
        conv = ReflectionConv2D(
            1, kernel, strides=stride, dilation_rate=dilation
        )
    else:
        conv = keras.layers.Conv2D(
            1, kernel, strides=stride, dilation_rate=dilation,
            padding="valid" if isinstance(padding, int) else padding,
        )
    return conv(x).shape[2]


cases = [  # (W, K, S, padding, dilation)
    (28, 3, 1, "valid", 1), (28, 5, 1, "valid", 1), (28, 3, 2, "valid", 1),
    (28, 3, 1, 1, 1), (28, 3, 2, 1, 1), (28, 5, 2, 2, 1), (28, 5, 3, 0, 1),
    (28, 3, 1, "same", 1), (28, 3, 2, "same", 1), (7, 3, 2, "same", 1),
    (28, 3, 1, "reflect", 1), (28, 5, 2, "reflect", 1),
    (28, 3, 1, "valid", 2), (28, 3, 1, "valid", 4), (28, 3, 1, "same", 4),
    (7, 7, 1, "valid", 1),
]
sizes = []
for W, K, S, P, D in cases:
    formula = arithmetic.conv_output_size(W, K, stride=S, padding=P, dilation=D)
    sizes.append((W, K, S, P, D, formula, keras_width(W, K, S, P, D)))
print(len(sizes), "cases; first:", sizes[0])
"""

DOWNSAMPLING_SNIPPET = """
import keras
from zoo import arithmetic

inputs = keras.Input((28, 28, 1), name="pixels")
x = keras.layers.Conv2D(16, 3, padding="same", name="conv")(inputs)
for i, filters in enumerate([32, 64, 128], start=1):
    # Halve the resolution, double the channels.
    x = keras.layers.Conv2D(
        filters, 3, strides=2, padding="same", name=f"down{i}"
    )(x)
model = keras.Model(inputs, x)
table = arithmetic.layer_table(model)
for row in table:
    print(f"{row['name']:7s} {str(row['output_shape']):20s} "
          f"params={row['params']:>7,} FLOPs={row['flops']:>10,}")
"""

LAYOUT_SNIPPET = """
import numpy as np
import keras
from zoo.layers import DilatedConv2D

print("default layout:", keras.config.image_data_format())
x_nhwc = np.random.default_rng(0).random((2, 16, 16, 3), dtype="float32")
x_nchw = np.transpose(x_nhwc, (0, 3, 1, 2))  # NHWC -> NCHW

last = DilatedConv2D(8, 3, dilation_rate=2, padding="same",
                     data_format="channels_last")
first = DilatedConv2D(8, 3, dilation_rate=2, padding="same",
                      data_format="channels_first")
y_last = keras.ops.convert_to_numpy(last(x_nhwc))
first.build(x_nchw.shape)
first.set_weights(last.get_weights())  # same kernel: (3, 3, 3, 8) in both
y_first = keras.ops.convert_to_numpy(first(x_nchw))
difference = float(np.abs(np.transpose(y_first, (0, 2, 3, 1)) - y_last).max())
print("channels_last :", x_nhwc.shape, "->", y_last.shape)
print("channels_first:", x_nchw.shape, "->", y_first.shape)
print("max |transpose(y_first) - y_last| =", difference)
"""


def _padding_text(padding):
    return f"P={padding}" if isinstance(padding, int) else f'"{padding}"'


def write_sizes(guide):
    guide.section("Output size: padding, stride and dilation")
    guide.text(
        """
        Along each axis a window of `K` taps fits `W - K + 1` times into
        `W` positions. Adding `P` zeros on each side gives it `2P` more
        positions, and a stride `S` keeps only every `S`-th window. A
        dilation `D` spreads the taps `D` apart, so the window covers
        `K_eff = K + (K - 1)(D - 1)` positions. Keras' `"valid"` means
        `P = 0`; `"same"` pads just enough that the output has
        `ceil(W / S)` positions (for `S = 1` the input size is kept); the
        zoo's `"reflect"` pads like `"same"` but with mirrored pixels
        (section 6). Every row below is computed twice: by
        `zoo.arithmetic.conv_output_size` and by building the layer in
        Keras and reading its output shape.
        """
    )
    guide.formula(
        """
        K_eff = K + (K - 1)(D - 1)
        valid / P zeros:  out = floor((W - K_eff + 2P) / S) + 1
        same / reflect:   out = ceil(W / S)
        """
    )
    ns = guide.run(SIZE_SNIPPET)
    rows = []
    for width, k, s, p, d, formula, measured in ns["sizes"]:
        k_eff = effective_kernel_size(k, d)
        agree = guide.check(
            f"output width W={width} K={k} S={s} {_padding_text(p)} D={d}",
            formula,
            measured,
        )
        rows.append(
            (width, k, s, _padding_text(p), d, k_eff, formula, measured)
            + (guide.check_mark(agree),)
        )
    guide.table(
        (
            "W",
            "K",
            "S",
            "padding",
            "D",
            "K_eff",
            "formula (zoo.arithmetic)",
            "Keras",
            "equal",
        ),
        rows,
    )


def write_channels(guide):
    guide.section("Channels, stride-2 downsampling and NHWC vs NCHW")
    guide.text(
        """
        A conv layer's output has one channel per filter, and each filter
        spans all input channels. The usual CNN pattern halves the
        resolution with a stride-2 conv (or a pooling layer) and doubles
        the channels at the same time: the number of activations per
        example halves at each step (a quarter of the positions, twice the
        channels) while the FLOPs per layer stay nearly constant, because
        a kernel's cost grows with `C_in * C_out` (x4) as the positions
        shrink (/4). Deeper layers therefore hold fewer, more abstract
        features for the same compute.
        """
    )
    guide.formula(
        """
        out = ceil(W / 2) per spatial axis    (stride 2, "same")
        params = (K * K * C_in + 1) * C_out
        FLOPs = 2 * K * K * C_in * C_out * H_out * W_out
        """
    )
    ns = guide.run(DOWNSAMPLING_SNIPPET)
    model, rows = ns["model"], []
    for row in ns["table"]:
        layer = model.get_layer(row["name"])
        shape = row["output_shape"]
        if row["type"] == "Conv2D":
            size = layer.input.shape[1]
            formula_shape = (
                None,
                math.ceil(size / layer.strides[0]),
                math.ceil(size / layer.strides[1]),
                layer.filters,
            )
            guide.check(f"{row['name']} output shape", formula_shape, shape)
            guide.check(
                f"{row['name']} params", row["params"], layer.count_params()
            )
        activations = math.prod(shape[1:])
        rows.append(
            (
                row["name"],
                shape,
                f"{activations:,}",
                f"{row['params']:,}",
                f"{row['flops']:,}",
            )
        )
    guide.table(
        ("layer", "output shape", "activations", "params", "FLOPs"), rows
    )
    guide.subsection("NHWC (channels_last) vs NCHW (channels_first)")
    guide.text(
        """
        A batch of images is a 4-D tensor. Keras and TensorFlow default to
        `channels_last`, i.e. NHWC `(batch, height, width, channels)`;
        PyTorch and cuDNN traditionally use `channels_first`, NCHW
        `(batch, channels, height, width)`. Every Keras conv layer (and
        every zoo layer) takes `data_format=` to choose, and
        `keras.config.set_image_data_format` changes the default. The
        layout changes where the channels sit, not the maths: the same
        kernel applied to the transposed input gives the transposed
        output.
        """
    )
    if not _channels_first_runs():
        guide.text(
            """
            *Here the comparison is skipped: `DilatedConv2D` could not
            run `channels_first` on this backend and device (TensorFlow's
            own CPU kernels implement convolutions only in NHWC unless
            oneDNN is on).*
            """
        )
        return
    ns = guide.run(LAYOUT_SNIPPET)
    guide.check(
        "DilatedConv2D channels_first output shape (NCHW)",
        tuple(ns["y_last"].shape[i] for i in (0, 3, 1, 2)),
        tuple(ns["y_first"].shape),
    )
    guide.check(
        "max |transpose(channels_first) - channels_last| (<= 1e-5)",
        0.0,
        ns["difference"],
        tolerance=1e-5,
    )


def _channels_first_runs():
    # TensorFlow without oneDNN (its default on AMD CPUs) has no NCHW conv
    # kernel on the CPU, and says so only when the conv runs; probe the
    # layer the snippet uses, as it is configured there.
    conv = DilatedConv2D(
        1, 3, dilation_rate=2, padding="same", data_format="channels_first"
    )
    try:
        conv(keras.ops.zeros((1, 1, 6, 6)))
    except Exception:  # noqa: BLE001 - each backend raises its own type
        return False
    return True
