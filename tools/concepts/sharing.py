"""Section 4: parameter sharing and local connectivity."""

SHARING_SNIPPET = """
import numpy as np
import keras

inputs = keras.Input((28, 28, 1))
conv = keras.layers.Conv2D(32, 3, name="conv")
feature_maps = conv(inputs)  # (None, 26, 26, 32)
# A dense layer making just as many outputs from the same pixels:
dense = keras.layers.Dense(26 * 26 * 32, name="dense")
dense_out = dense(keras.layers.Flatten()(inputs))
model = keras.Model(inputs, [feature_maps, dense_out])
print(f"conv : {conv.count_params():>10,} weights, each output sees 9 pixels")
print(f"dense: {dense.count_params():>10,} weights, each output sees 784")

# Sharing makes the conv translation-equivariant: shift the input, and
# the feature map shifts with it.
x = np.random.default_rng(0).random((1, 28, 28, 1), dtype="float32")
shifted = np.roll(x, 1, axis=2)
y = keras.ops.convert_to_numpy(conv(x))
y_shifted = keras.ops.convert_to_numpy(conv(shifted))
shift_error = float(np.abs(y_shifted[:, :, 1:] - y[:, :, :-1]).max())
print("max |conv(shift(x)) - shift(conv(x))| =", shift_error)
"""


def write(guide):
    guide.section("Parameter sharing and local connectivity")
    guide.text(
        """
        Two ideas make convolutions cheap. **Local connectivity**: each
        output unit looks only at a `K x K` patch, not the whole image.
        **Parameter sharing**: every position uses the same kernel, so the
        weight count depends on the kernel and channels only, not on the
        image size. A dense layer that produces the same 26x26x32 outputs
        from a 28x28 image needs a separate weight for every
        (input pixel, output unit) pair: about fifty thousand times more.
        Sharing also builds in *translation equivariance*: a pattern is
        detected the same way wherever it appears.
        """
    )
    guide.formula(
        """
        conv:  params = (K * K * C_in + 1) * C_out            (any H, W)
        dense: params = (H * W * C_in + 1) * (H_out * W_out * C_out)
        """
    )
    ns = guide.run(SHARING_SNIPPET)
    conv, dense = ns["conv"], ns["dense"]
    conv_formula = (3 * 3 * 1 + 1) * 32
    dense_formula = (28 * 28 * 1 + 1) * (26 * 26 * 32)
    rows = []
    for name, layer, formula in (
        ("Conv2D(32, 3)", conv, conv_formula),
        ("Dense(26*26*32)", dense, dense_formula),
    ):
        agree = guide.check(f"{name} params", formula, layer.count_params())
        rows.append(
            (name, formula, layer.count_params(), guide.check_mark(agree))
        )
    guide.table(("layer", "formula", "Keras count_params", "equal"), rows)
    guide.text(
        f"The dense layer needs {dense_formula / conv_formula:,.0f} times "
        "more weights. On a 224x224 RGB image the gap explodes: a "
        f"`Conv2D(64, 3)` still has {(3 * 3 * 3 + 1) * 64:,} weights, a "
        "dense layer with the same 222x222x64 outputs would need "
        f"{(224 * 224 * 3 + 1) * 222 * 222 * 64:,} (formula only)."
    )
    guide.check(
        "translation equivariance: max |conv(shift x) - shift(conv x)|",
        0.0,
        ns["shift_error"],
        tolerance=1e-5,
    )
