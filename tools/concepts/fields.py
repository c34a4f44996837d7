"""Section 5: receptive field growth, computed and measured."""

from tools.concepts import measure

SEED_SNIPPET = """
import numpy as np
import keras
import zoo
from zoo import arithmetic
from tools.concepts.measure import extent, gradient_support, positive_copy

model = zoo.create_model("mnist_seed_cnn")
fields = {row["name"]: row for row in arithmetic.receptive_field(model)}

# Measured: which input pixels have a non-zero gradient for the central
# unit of a layer. `positive_copy` keeps every ReLU active; the batch of
# random images lets each input of a max-pooling window win somewhere.
probe = positive_copy(model)
x = np.random.default_rng(0).uniform(1, 255, ($batch, 28, 28, 1))
x = x.astype("float32")
measured = {}
for name in ["block1_conv", "block1_pool", "block2_conv", "block2_pool"]:
    output = probe.get_layer(name).output
    centre = (slice(None), output.shape[1] // 2, output.shape[2] // 2)
    support = gradient_support(keras.Model(probe.inputs, output), x, centre)
    measured[name] = extent(support)
    row = fields[name]
    print(f"{name:12s} rf={row['rf']:2d} jump={row['jump']}  "
          f"measured={measured[name]}")
"""

MOBILENET_SNIPPET = """
model = zoo.create_model("mnist_mobilenet_v1")
rows = arithmetic.receptive_field(model)
fields = {row["name"]: row for row in rows}
probe = positive_copy(model)
x = np.random.default_rng(0).uniform(1, 255, (1, 28, 28, 1)).astype("float32")
mobilenet_measured = {}
for name in $layers:
    output = probe.get_layer(name).output
    centre = (slice(None), output.shape[1] // 2, output.shape[2] // 2)
    support = gradient_support(keras.Model(probe.inputs, output), x, centre)
    mobilenet_measured[name] = extent(support)
print("last layer:", rows[-1]["name"], "rf =", rows[-1]["rf"])
"""

STACK_SNIPPET = """
import keras
from zoo import arithmetic

C = 64


def conv_stack(kernel_sizes):
    inputs = keras.Input((32, 32, C))
    x = inputs
    for k in kernel_sizes:
        x = keras.layers.Conv2D(C, k)(x)
    return keras.Model(inputs, x)


stacks = {}
for kernel_sizes in ([3, 3], [5], [3, 3, 3], [7]):
    model = conv_stack(kernel_sizes)
    stacks[str(kernel_sizes)] = {
        "kernel_sizes": kernel_sizes,
        "rf": arithmetic.receptive_field(model)[-1]["rf"],
        "params": model.count_params(),
        "flops": sum(arithmetic.count_flops(model).values()),
    }
    print(kernel_sizes, stacks[str(kernel_sizes)])
"""


def write(guide):
    guide.section("Receptive field growth")
    guide.text(
        """
        The receptive field (RF) of a unit is the patch of the input it
        can see. Each layer with an effective kernel `k` widens it by
        `(k - 1)` times the *jump*, the input distance between
        neighbouring units of the layer below; every stride multiplies
        the jump. So stacking convs grows the field linearly, while
        strides and pooling make later layers grow it faster.
        `zoo.arithmetic.receptive_field` walks a model with this
        recurrence; below, each value is also *measured* as the size of
        the set of input pixels with a non-zero input gradient.
        """
    )
    guide.formula(
        """
        r_out = r_in + (k - 1) * j_in
        j_out = j_in * s
        """
    )
    ns = guide.run(SEED_SNIPPET, batch=32 if guide.quick else 64)
    rows = []
    for name, shape in ns["measured"].items():
        row = ns["fields"][name]
        formula = (row["rf"], row["rf"])
        agree = guide.check(f"seed_cnn {name} RF", formula, shape)
        rows.append(
            (name, row["rf"], row["jump"], shape, guide.check_mark(agree))
        )
    guide.table(
        ("layer", "RF (formula)", "jump", "measured (gradient)", "equal"),
        rows,
    )
    guide.text(
        """
        The MobileNet-style model reaches a field larger than the 28x28
        image after a few strided blocks: units near the centre then see
        the whole digit. With `"same"` padding the field runs past the
        border, so the measured part is the field clipped to the image.
        """
    )
    blocks = (1, 7, 13) if guide.quick else range(1, 14)
    names = ["stem_conv"] + [f"block{i}_pw" for i in blocks]
    ns = guide.run(MOBILENET_SNIPPET, ns, layers=repr(names))
    rows = []
    for name, shape in ns["mobilenet_measured"].items():
        row = ns["fields"][name]
        output = ns["model"].get_layer(name).output.shape[1]
        visible = measure.visible_extent(row, output, 28)
        agree = guide.check(
            f"mobilenet_v1 {name} RF inside the image",
            (visible, visible),
            shape,
        )
        rows.append(
            (
                name,
                row["rf"],
                row["jump"],
                visible,
                shape,
                guide.check_mark(agree),
            )
        )
    guide.table(
        (
            "layer",
            "RF (formula)",
            "jump",
            "RF inside 28x28",
            "measured (gradient)",
            "equal",
        ),
        rows,
    )
    guide.subsection("Two 3x3 convs vs one 5x5")
    guide.text(
        """
        Two stacked 3x3 convs see a 5x5 patch, like one 5x5 conv, but with
        `2 * 9 = 18` instead of 25 weights per channel pair and an extra
        non-linearity in between; three 3x3 convs replace a 7x7 (27 vs
        49). This is why VGG and almost every later CNN use 3x3 kernels.
        """
    )
    ns = guide.run(STACK_SNIPPET)
    channels, rows = ns["C"], []
    for entry in ns["stacks"].values():
        kernels = entry["kernel_sizes"]
        rf_formula = 1 + sum(k - 1 for k in kernels)
        params = sum((k * k * channels + 1) * channels for k in kernels)
        rf_ok = guide.check(f"RF of convs {kernels}", rf_formula, entry["rf"])
        params_ok = guide.check(
            f"params of convs {kernels} (C={channels})",
            params,
            entry["params"],
        )
        rows.append(
            (
                " + ".join(f"{k}x{k}" for k in kernels),
                rf_formula,
                entry["rf"],
                params,
                entry["params"],
                f"{entry['flops']:,}",
                guide.check_mark(rf_ok and params_ok),
            )
        )
    guide.table(
        (
            "stack",
            "RF 1 + sum(k - 1)",
            "RF zoo.arithmetic",
            "params sum (k*k*C + 1) C",
            "Keras params",
            "FLOPs (32x32 input)",
            "equal",
        ),
        rows,
    )
