"""A `.keras` file with every zoo layer loads in a fresh Python process.

Layers are found at load time through keras' serialization registry, which
`@keras.saving.register_keras_serializable(package="zoo")` fills when the
module is imported. A test that saves and loads in one process always has
the classes registered, so it cannot show what a user gets; these tests load
in a new interpreter, with and without `import zoo`.
"""

import json
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np

import zoo

ROOT = pathlib.Path(__file__).resolve().parents[2]

# TCN and TCNBlock have their own fresh-process test in test_tcn.py.
COVERED_ELSEWHERE = {"TCN", "TCNBlock"}

# Loads the model first without `import zoo`, then after it: the first
# attempt runs before anything has registered the zoo's classes, exactly as
# in a fresh process, and starting one interpreter instead of two halves the
# cost of importing the backend.
LOAD_SCRIPT = """
import json, sys
import numpy as np
import keras

model_path, inputs_path, outputs_path = sys.argv[1:4]
report = {"backend": keras.backend.backend()}
try:
    keras.models.load_model(model_path)
    report["without_zoo"] = None
except Exception as error:
    report["without_zoo"] = [type(error).__name__, str(error)]

import zoo

model = keras.models.load_model(model_path)
inputs = np.load(inputs_path)
outputs = model([inputs["sequence"], inputs["image"]], training=False)
np.savez(outputs_path, *[keras.ops.convert_to_numpy(y) for y in outputs])
print(json.dumps(report))
"""

# Zero initializers plus random numpy weights: the loaded model can only
# match if the weights were saved and restored, and on JAX this avoids
# compiling a random initializer per kernel shape (~1 s each).
ZEROS = "zeros"


def build_model():
    sequence = keras.Input((16, 3), name="sequence")
    x = zoo.layers.ReflectionPadding1D((2, 1))(sequence)
    x = zoo.layers.DilatedConv1D(
        4,
        3,
        dilation_rate=2,
        padding="reflect",
        weight_norm=True,
        kernel_initializer=ZEROS,
    )(x)
    x = zoo.layers.CausalConv1D(
        4, 2, dilation_rate=4, activation="relu", kernel_initializer=ZEROS
    )(x)

    image = keras.Input((12, 12, 2), name="image")
    y = zoo.layers.ReflectionPadding2D(((1, 2), 1))(image)
    y = zoo.layers.DilatedConv2D(
        4, 3, dilation_rate=2, padding="same", kernel_initializer=ZEROS
    )(y)
    y = zoo.layers.ReflectionConv2D(
        4, 3, activation="relu", kernel_initializer=ZEROS
    )(y)
    y = zoo.layers.DepthwiseSeparableConv2D(
        6,
        3,
        strides=2,
        padding="reflect",
        depth_multiplier=2,
        depthwise_initializer=ZEROS,
        pointwise_initializer=ZEROS,
    )(y)
    model = keras.Model([sequence, image], [x, y])
    rng = np.random.default_rng(0)
    model.set_weights(
        [rng.normal(size=w.shape).astype("float32") for w in model.weights]
    )
    return model


def run_loader(tmp_path):
    # A fresh interpreter on the same backend, with the repository
    # importable.
    env = dict(os.environ, KERAS_BACKEND=keras.backend.backend())
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), env.get("PYTHONPATH")])
    )
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    process = subprocess.run(
        [
            sys.executable,
            "-c",
            LOAD_SCRIPT,
            str(tmp_path / "model.keras"),
            str(tmp_path / "inputs.npz"),
            str(tmp_path / "outputs.npz"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    return json.loads(process.stdout.strip().splitlines()[-1])


def test_model_uses_every_zoo_layer():
    used = {type(layer).__name__ for layer in build_model().layers}
    missing = set(zoo.layers.__all__) - COVERED_ELSEWHERE - used
    assert not missing, (
        f"Add {sorted(missing)} to build_model() so the fresh-process test "
        "covers them."
    )


def test_load_in_fresh_process(tmp_path):
    model = build_model()
    rng = np.random.default_rng(1)
    inputs = {
        "sequence": rng.normal(size=(2, 16, 3)).astype("float32"),
        "image": rng.normal(size=(2, 12, 12, 2)).astype("float32"),
    }
    expected = model([inputs["sequence"], inputs["image"]], training=False)
    model.save(tmp_path / "model.keras")
    np.savez(tmp_path / "inputs.npz", **inputs)

    report = run_loader(tmp_path)

    assert report["backend"] == keras.backend.backend()
    outputs = np.load(tmp_path / "outputs.npz")
    assert len(outputs.files) == len(expected)
    for i, reference in enumerate(expected):
        np.testing.assert_allclose(
            outputs[f"arr_{i}"],
            keras.ops.convert_to_numpy(reference),
            rtol=1e-5,
            atol=1e-5,
        )

    # Before `import zoo` nothing has registered the "zoo>..." names, so
    # keras cannot rebuild the layers: this is why users import zoo first.
    error, message = report["without_zoo"]
    assert error == "TypeError", message
    assert "Could not locate class" in message
    assert "zoo>" in message
