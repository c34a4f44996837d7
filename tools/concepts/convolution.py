"""Section 1: convolution on an RGB image, 1x1 kernels, classic kernels."""

from tools.concepts import samples
from tools.concepts.guide import subplots

RGB_SNIPPET = """
import numpy as np
import keras

rng = np.random.default_rng(0)
image = rng.integers(0, 4, size=(1, 5, 5, 3)).astype("float32")  # RGB
kernel = rng.integers(-1, 2, size=(3, 3, 3, 1)).astype("float32")

conv = keras.layers.Conv2D(1, kernel_size=3, use_bias=False)
conv.build(image.shape)
conv.set_weights([kernel])
feature_map = keras.ops.convert_to_numpy(conv(image))

# The same thing by hand: slide the 3x3x3 kernel, multiply, add up.
by_hand = np.zeros((3, 3))
for i in range(3):
    for j in range(3):
        patch = image[0, i : i + 3, j : j + 3, :]
        by_hand[i, j] = np.sum(patch * kernel[..., 0])

print("input", image.shape, "kernel", kernel.shape, "->", feature_map.shape)
print("Keras:\\n", feature_map[0, :, :, 0])
print("by hand:\\n", by_hand)
"""

POINTWISE_SNIPPET = """
# A 1x1 kernel mixes the channels of each pixel and looks at no neighbours:
# with the luma weights it turns RGB into grey.
luma = np.array([0.299, 0.587, 0.114], "float32").reshape(1, 1, 3, 1)
to_grey = keras.layers.Conv2D(1, kernel_size=1, use_bias=False)
to_grey.build(image.shape)
to_grey.set_weights([luma])
grey = keras.ops.convert_to_numpy(to_grey(image))
print("1x1 conv:", image.shape, "->", grey.shape,
      "| params:", to_grey.count_params())
print("max |conv - pixel @ weights| =",
      float(np.abs(grey[..., 0] - image @ luma[0, 0, :, 0]).max()))
"""

KERNELS_SNIPPET = """
import numpy as np
import keras
$imports

$load_digits
$load_clothes
images = np.concatenate([digits, clothes]).astype("float32") / 255.0

kernels = {
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "edges (Laplacian)": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
    "vertical edges (Sobel x)": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "box blur": np.full((3, 3), 1 / 9),
    "Gaussian blur": np.outer([1, 2, 1], [1, 2, 1]) / 16,
}
# One Conv2D with one output channel per predefined kernel.
bank = np.stack([np.asarray(k, "float32") for k in kernels.values()], -1)
conv = keras.layers.Conv2D(len(kernels), 3, padding="same", use_bias=False)
conv.build(images.shape)
conv.set_weights([bank[:, :, None, :]])  # (3, 3, in=1, out=5)
maps = keras.ops.convert_to_numpy(conv(images))
print(images.shape, "->", maps.shape)
"""


def write(guide):
    guide.section("Convolution on an RGB image")
    guide.text(
        """
        A convolution layer slides a small kernel over the image and, at
        each position, multiplies the kernel with the pixels under it and
        adds everything up. Deep-learning libraries compute this
        *cross-correlation* (the kernel is not flipped; a true convolution
        would flip it, which makes no difference for learned weights). On
        an RGB image the kernel has as many channels as the input: a
        3x3x3 kernel covers 3x3 pixels of all three colours and produces
        **one** number per position, so one kernel gives one feature map
        and `filters` kernels give `filters` maps. The bias is added once
        per map.
        """
    )
    guide.formula(
        """
        y[i, j, f] = b[f] + sum_{u, v, c} w[u, v, c, f] * x[i + u, j + v, c]
        """
    )
    ns = guide.run(RGB_SNIPPET)
    guide.check(
        "RGB 3x3x3 conv: output shape",
        (1, 3, 3, 1),
        tuple(ns["feature_map"].shape),
    )
    guide.check(
        "RGB 3x3x3 conv: sum of the feature map (by hand vs Keras)",
        int(ns["by_hand"].sum()),
        int(ns["feature_map"].sum()),
    )
    guide.text(
        """
        A **1x1 convolution** is the degenerate case: no neighbourhood,
        only a weighted sum over channels at every pixel, i.e. a dense
        layer applied to each pixel's channel vector. Networks use it to
        change the number of channels cheaply (the pointwise half of a
        depthwise-separable convolution, section 9).
        """
    )
    ns = guide.run(POINTWISE_SNIPPET, ns)
    guide.check(
        "1x1 conv RGB -> grey: parameters", 3, ns["to_grey"].count_params()
    )

    guide.subsection("Predefined kernels on real images")
    guide.text(
        """
        Before networks learned their kernels, image processing used
        hand-made ones. A sharpening kernel adds the difference to the
        neighbours back to the centre; the Laplacian responds to edges in
        every direction and is zero on flat regions; Sobel responds to
        horizontal intensity changes (vertical edges); box and Gaussian
        blurs average the neighbourhood. A trained first conv layer
        usually ends up with a mix of such edge and blob detectors.
        """
    )
    limit = 1
    imports, digits, note_d = samples.load_lines("mnist", "digits", limit)
    imports2, clothes, note_c = samples.load_lines(
        "fashion_mnist", "clothes", limit
    )
    ns = guide.run(
        KERNELS_SNIPPET,
        imports="\n".join(sorted({imports, imports2})),
        load_digits=digits,
        load_clothes=clothes,
    )
    for note in dict.fromkeys([note_d, note_c]):
        if note:
            guide.text(note)
    _kernel_figure(guide, ns)


def _kernel_figure(guide, ns):
    images, maps, names = ns["images"], ns["maps"], list(ns["kernels"])
    columns = len(names) + 1
    figure, axes = subplots(
        len(images), columns, figsize=(1.9 * columns, 2.1 * len(images))
    )
    for row, image in enumerate(images):
        axes[row, 0].imshow(image[..., 0], cmap="gray", vmin=0, vmax=1)
        axes[row, 0].set_title("input", fontsize=9)
        for col, name in enumerate(names, start=1):
            feature = maps[row, :, :, col - 1]
            axes[row, col].imshow(feature, cmap="gray")
            axes[row, col].set_title(name, fontsize=8)
    for ax in axes.flat:
        ax.set_axis_off()
    figure.tight_layout()
    guide.figure(
        figure,
        "01_kernels",
        "Classic 3x3 kernels applied with one Conv2D to a test digit and a "
        "test garment (each map scaled to its own range).",
    )
