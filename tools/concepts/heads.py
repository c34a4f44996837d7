"""Section 10: pooling, dense layers, softmax and activations."""

from tools.concepts import samples
from tools.concepts.guide import subplots
from zoo import arithmetic

POOLING_SNIPPET = """
import numpy as np
import keras
$import_line

$load_line
image = digits.astype("float32") / 255.0
# A real feature map: vertical edges (Sobel) of a test digit, after ReLU.
sobel = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], "float32")
edges = keras.layers.Conv2D(1, 3, padding="same", use_bias=False,
                            activation="relu")
edges.build(image.shape)
edges.set_weights([sobel[:, :, None, None]])
feature = keras.ops.convert_to_numpy(edges(image))

to_numpy = keras.ops.convert_to_numpy
max_pooled = to_numpy(keras.layers.MaxPooling2D(2)(feature))
avg_pooled = to_numpy(keras.layers.AveragePooling2D(2)(feature))
gap = to_numpy(keras.layers.GlobalAveragePooling2D()(feature))
print("feature map", feature.shape, "-> max pool", max_pooled.shape,
      "| average pool", avg_pooled.shape, "| global average", gap.shape)

# numpy reference: split into 2x2 blocks, then max / mean per block.
blocks = feature[0, :, :, 0].reshape(14, 2, 14, 2)
pool_errors = {
    "max": np.abs(max_pooled[0, :, :, 0] - blocks.max(axis=(1, 3))).max(),
    "average": np.abs(avg_pooled[0, :, :, 0] - blocks.mean(axis=(1, 3))).max(),
    "global average": abs(gap[0, 0] - feature.mean()),
}
pool_errors = {name: float(error) for name, error in pool_errors.items()}
print("max |Keras - numpy|:", pool_errors)
"""

DENSE_SNIPPET = """
import zoo

model = zoo.create_model("mnist_seed_cnn")
dense_layers = {}
for name in ("fc1", "predictions"):
    layer = model.get_layer(name)
    inputs = layer.input.shape[-1]
    dense_layers[name] = (inputs, layer.units, layer.count_params())
    print(f"{name}: {inputs} inputs -> {layer.units} units, "
          f"{layer.count_params():,} params")
"""

SOFTMAX_SNIPPET = """
logits = np.array([2.0, 1.0, 0.1], "float32")
softmax = {}
for scale in (0.2, 1, 5):
    z = logits * scale
    keras_p = keras.ops.convert_to_numpy(keras.activations.softmax(z[None]))[0]
    numpy_p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    softmax[scale] = (z, keras_p, numpy_p)
    print(f"logits x{scale}: {np.round(keras_p, 4)}")
"""

ACTIVATION_SNIPPET = """
x = np.linspace(-6, 8, 281).astype("float32")
activations = {
    "ReLU": (keras.activations.relu, np.maximum(x, 0)),
    "leaky ReLU (0.1)": (
        lambda v: keras.activations.leaky_relu(v, negative_slope=0.1),
        np.where(x > 0, x, 0.1 * x),
    ),
    "ReLU6": (keras.activations.relu6, np.clip(x, 0, 6)),
    "sigmoid": (keras.activations.sigmoid, 1 / (1 + np.exp(-x))),
    "tanh": (keras.activations.tanh, np.tanh(x)),
}
curves, activation_errors = {}, {}
for name, (function, reference) in activations.items():
    curves[name] = keras.ops.convert_to_numpy(function(x))
    activation_errors[name] = float(np.abs(curves[name] - reference).max())
print("max |keras.activations - numpy formula|:", activation_errors)
"""


def write(guide):
    guide.section("Pooling, dense layers, softmax and activations")
    guide.text(
        """
        **Pooling** summarises each window of a feature map without any
        weights: max pooling keeps the strongest response (a feature was
        *somewhere* in the window), average pooling its mean. A 2x2 pool
        with stride 2 halves each spatial axis. Global average pooling
        averages a whole map into one number per channel, which lets a
        network accept any image size and replaces most of the dense
        parameters of a flattened head (MobileNet, section 9).
        """
    )
    guide.formula(
        """
        max pool:   y[i, j] = max_{u, v < 2} x[2i + u, 2j + v]
        avg pool:   y[i, j] = mean_{u, v < 2} x[2i + u, 2j + v]
        global avg: y[c] = mean_{i, j} x[i, j, c]
        out = floor((W - 2) / 2) + 1
        """
    )
    import_line, load_line, note = samples.load_lines("mnist", "digits", 1)
    ns = guide.run(
        POOLING_SNIPPET, import_line=import_line, load_line=load_line
    )
    if note:
        guide.text(note)
    size = arithmetic.conv_output_size(28, 2, stride=2)
    guide.check(
        "MaxPooling2D(2) output shape",
        (1, size, size, 1),
        ns["max_pooled"].shape,
    )
    guide.check(
        "AveragePooling2D(2) output shape",
        (1, size, size, 1),
        ns["avg_pooled"].shape,
    )
    for name, error in ns["pool_errors"].items():
        guide.check(
            f"{name} pooling vs numpy (<= 1e-6)", 0.0, error, tolerance=1e-6
        )
    _pooling_figure(guide, ns)

    guide.subsection("Fully connected (dense) layers")
    guide.text(
        """
        After the convolutions, a classifier flattens the feature maps (or
        pools them globally) and applies dense layers: every output is a
        weighted sum of *all* inputs plus a bias. In the tutorial network
        the first dense layer holds most of the parameters.
        """
    )
    guide.formula("params = (inputs + 1) * units")
    ns = guide.run(DENSE_SNIPPET, ns)
    rows = []
    for name, (inputs, units, count) in ns["dense_layers"].items():
        ok = guide.check(f"seed_cnn {name} params", (inputs + 1) * units, count)
        rows.append(
            (
                name,
                inputs,
                units,
                (inputs + 1) * units,
                count,
                guide.check_mark(ok),
            )
        )
    guide.table(
        ("layer", "inputs", "units", "(inputs + 1) * units", "Keras", "equal"),
        rows,
    )

    guide.subsection("Softmax and overconfidence")
    guide.text(
        """
        Softmax turns the final scores (logits) into probabilities that
        sum to 1. It depends only on the *differences* between logits, so
        multiplying all logits by 5 (what large weights or long training
        do) pushes the top class towards probability 1 without the model
        knowing more: softmax outputs are not calibrated confidences.
        Dividing the logits by a temperature (here x0.2) does the
        opposite.
        """
    )
    guide.formula("softmax(z)_i = exp(z_i) / sum_j exp(z_j)")
    ns = guide.run(SOFTMAX_SNIPPET, ns)
    rows = []
    for scale, (z, keras_p, numpy_p) in ns["softmax"].items():
        guide.check(
            f"softmax(logits x{scale}) top probability: numpy vs Keras",
            float(numpy_p[0]),
            float(keras_p[0]),
            tolerance=1e-6,
        )
        rows.append(
            (
                f"x{scale}",
                ", ".join(f"{v:g}" for v in z),
                ", ".join(f"{v:.4f}" for v in keras_p),
            )
        )
    guide.table(("scale", "logits", "probabilities (keras)"), rows)

    guide.subsection("Activation functions")
    guide.text(
        """
        Without a non-linearity between them, stacked linear layers
        collapse into one linear map. ReLU (`max(0, x)`) is cheap and does
        not saturate for positive inputs, which keeps gradients alive in
        deep networks; leaky ReLU keeps a small slope for negative inputs
        so units cannot die; ReLU6 caps the output at 6, which suits
        low-precision inference (MobileNet). Sigmoid and tanh saturate at
        both ends: their gradients vanish for large `|x|`, so today they
        appear mainly in outputs (sigmoid for binary probabilities) and
        gates.
        """
    )
    guide.formula(
        """
        ReLU: max(0, x)          leaky ReLU: x if x > 0 else a x
        ReLU6: min(max(0, x), 6) sigmoid: 1 / (1 + exp(-x))
        tanh: (e^x - e^-x) / (e^x + e^-x)
        """
    )
    ns = guide.run(ACTIVATION_SNIPPET, ns)
    for name, error in ns["activation_errors"].items():
        guide.check(
            f"keras.activations {name} vs numpy (<= 1e-6)",
            0.0,
            error,
            tolerance=1e-6,
        )
    _activation_figure(guide, ns)


def _pooling_figure(guide, ns):
    panels = (
        (ns["image"][0, :, :, 0], "input digit"),
        (ns["feature"][0, :, :, 0], "feature map (Sobel x, ReLU)\n28x28"),
        (ns["max_pooled"][0, :, :, 0], "max pool 2x2\n14x14"),
        (ns["avg_pooled"][0, :, :, 0], "average pool 2x2\n14x14"),
    )
    figure, axes = subplots(1, 4, figsize=(8.8, 2.6))
    for ax, (data, title) in zip(axes, panels):
        ax.imshow(data, cmap="gray")
        ax.set_title(title, fontsize=8)
        ax.set_axis_off()
    figure.suptitle(
        f"global average pooling: {float(ns['gap'][0, 0]):.4f}", fontsize=9
    )
    figure.tight_layout(rect=(0, 0, 1, 0.92))
    guide.figure(
        figure,
        "10_pooling",
        "Max and average pooling of a real feature map; global average "
        "pooling reduces it to one number.",
    )


def _activation_figure(guide, ns):
    x, curves = ns["x"], ns["curves"]
    figure, axes = subplots(
        1, len(curves), figsize=(2.2 * len(curves), 2.4), sharey=True
    )
    for ax, (name, y) in zip(axes, curves.items()):
        ax.plot(x, y, color="tab:blue")
        ax.axhline(0, color="gray", lw=0.5)
        ax.axvline(0, color="gray", lw=0.5)
        ax.set_ylim(-1.5, 7)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("x", fontsize=8)
        ax.grid(alpha=0.3)
    figure.tight_layout()
    guide.figure(
        figure, "10_activations", "Activation functions from keras.activations."
    )
