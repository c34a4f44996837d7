"""Section 6: zero vs reflection padding at the border."""

from tools.concepts import samples
from tools.concepts.guide import subplots
from zoo import arithmetic

PADDING_SNIPPET = """
import numpy as np
import keras
from zoo.layers import ReflectionConv2D
$import_line

$load_line
# The garment with the brightest border shows the border effect best.
border = np.concatenate(
    [clothes[:, 0], clothes[:, -1], clothes[:, :, 0], clothes[:, :, -1]], 1
)
image = clothes[np.argmax(border.mean(axis=(1, 2)))][None] / 255.0
image = image.astype("float32")

kernels = {
    "5x5 box blur": np.full((5, 5), 1 / 25),
    "3x3 Laplacian": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
}
results = {}
for name, kernel in kernels.items():
    kernel = np.asarray(kernel, "float32")[:, :, None, None]
    k = kernel.shape[0]
    zero_padded = keras.layers.Conv2D(1, k, padding="same", use_bias=False)
    reflected = ReflectionConv2D(1, k, use_bias=False)
    for layer in (zero_padded, reflected):
        layer.build(image.shape)
        layer.set_weights([kernel])
    y_zero = keras.ops.convert_to_numpy(zero_padded(image))[0, :, :, 0]
    y_reflect = keras.ops.convert_to_numpy(reflected(image))[0, :, :, 0]
    difference = np.abs(y_zero - y_reflect)
    inner = difference[k // 2 : -(k // 2), k // 2 : -(k // 2)]
    results[name] = (y_zero, y_reflect, difference)
    print(f"{name}: output {y_zero.shape} vs {y_reflect.shape}; "
          f"max |difference| inside = {inner.max():.2g}, "
          f"on the {k // 2}-pixel border = {difference.max():.3f}")
"""


def write(guide):
    guide.section("Zero vs reflection padding at the border")
    guide.text(
        """
        `"same"` padding surrounds the image with zeros, i.e. black. A
        window that overlaps the border then averages real pixels with
        black ones: a blur darkens the edges and an edge detector fires
        on a border that is not in the image. Reflection padding mirrors
        the pixels next to the border instead (`x[-1]` becomes `x[1]`),
        so the padded image continues smoothly. Only windows that touch
        the padding change: the first `K // 2` rows and columns on each
        side. `zoo.layers.ReflectionConv2D` pads with
        `keras.ops.pad(mode="reflect")` and then runs a `"valid"` conv, so
        it keeps the size like `"same"`.
        """
    )
    guide.formula(
        """
        zero padding:       x[-1] = 0,     x[W] = 0
        reflection padding: x[-1] = x[1],  x[W] = x[W - 2]
        output size (both): ceil(W / S)
        """
    )
    import_line, load_line, note = samples.load_lines(
        "fashion_mnist", "clothes", 20 if guide.quick else 200
    )
    ns = guide.run(
        PADDING_SNIPPET, import_line=import_line, load_line=load_line
    )
    if note:
        guide.text(note)
    rows = []
    for name, (_, y_reflect, difference) in ns["results"].items():
        k = 5 if name.startswith("5x5") else 3
        size = arithmetic.conv_output_size(28, k, padding="reflect")
        guide.check(
            f"ReflectionConv2D {name} output size",
            (size, size),
            y_reflect.shape,
        )
        inner = difference[k // 2 : -(k // 2), k // 2 : -(k // 2)]
        guide.check(
            f"{name}: zero vs reflect inside the border (<= 1e-5)",
            0.0,
            float(inner.max()),
            tolerance=1e-5,
        )
        rows.append(
            (
                name,
                (size, size),
                y_reflect.shape,
                f"{inner.max():.2g}",
                f"{difference.max():.3f}",
            )
        )
    guide.table(
        (
            "kernel",
            "size (formula)",
            "size (Keras)",
            "max diff inside",
            "max diff at the border",
        ),
        rows,
    )
    _figure(guide, ns)


def _figure(guide, ns):
    results = ns["results"]
    figure, axes = subplots(len(results), 4, figsize=(8.4, 2.3 * len(results)))
    for row, (name, (y_zero, y_reflect, difference)) in enumerate(
        results.items()
    ):
        low = min(y_zero.min(), y_reflect.min())
        high = max(y_zero.max(), y_reflect.max())
        panels = (
            (ns["image"][0, :, :, 0], "input", dict(vmin=0, vmax=1)),
            (y_zero, f"{name}, zeros", dict(vmin=low, vmax=high)),
            (y_reflect, f"{name}, reflect", dict(vmin=low, vmax=high)),
            (difference, "|zeros - reflect|", dict(cmap="magma")),
        )
        for ax, (data, title, style) in zip(axes[row], panels):
            ax.imshow(data, **{"cmap": "gray", **style})
            ax.set_title(title, fontsize=8)
            ax.set_axis_off()
    figure.tight_layout()
    guide.figure(
        figure,
        "06_padding",
        "Zero padding darkens a blurred border and invents edges along it; "
        "reflection padding does not. The difference is non-zero only on "
        "the border rows and columns.",
    )
