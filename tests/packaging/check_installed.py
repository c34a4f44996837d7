"""Run by `test_wheel.py` inside a fresh venv, from a folder outside the
checkout: what a layer user meets after `pip install keras-conv-zoo[jax]`.

Prints one JSON line with what it found; exits non-zero on any failure.
"""

import importlib.util
import json
import sys

import numpy as np

import zoo

SAMPLE = sys.argv[1]  # tests/data/mnist_fashion_sample.npz

# One small call per public layer: (constructor kwargs, input shape).
LAYER_CALLS = {
    "CausalConv1D": ({"filters": 4, "kernel_size": 3}, (2, 16, 3)),
    "DepthwiseSeparableConv2D": (
        {"filters": 4, "kernel_size": 3},
        (2, 8, 8, 3),
    ),
    "DilatedConv1D": (
        {"filters": 4, "kernel_size": 3, "dilation_rate": 2},
        (2, 16, 3),
    ),
    "DilatedConv2D": (
        {"filters": 4, "kernel_size": 3, "dilation_rate": 2},
        (2, 12, 12, 3),
    ),
    "ReflectionConv2D": ({"filters": 4, "kernel_size": 3}, (2, 8, 8, 3)),
    "ReflectionPadding1D": ({"padding": 2}, (2, 16, 3)),
    "ReflectionPadding2D": ({"padding": 2}, (2, 8, 8, 3)),
    "TCN": (
        {"nb_filters": 4, "kernel_size": 3, "dilations": (1, 2)},
        (2, 16, 3),
    ),
    "TCNBlock": (
        {"filters": 4, "kernel_size": 3, "dilation_rate": 2},
        (2, 16, 4),
    ),
}


def main():
    import keras

    report = {
        "backend": keras.backend.backend(),
        "tensorflow_installed": importlib.util.find_spec("tensorflow")
        is not None,
        "tensorflow_imported": "tensorflow" in sys.modules,
        "zoo_file": zoo.__file__,
        "models_dir": str(zoo.registry.default_models_dir()),
    }
    missing = set(zoo.layers.__all__) - set(LAYER_CALLS)
    if missing:
        raise SystemExit(f"no call for layers {sorted(missing)}")
    shapes = {}
    for name, (kwargs, shape) in LAYER_CALLS.items():
        layer = getattr(zoo.layers, name)(**kwargs)
        out = layer(np.random.default_rng(0).normal(size=shape).astype("f4"))
        shapes[name] = list(keras.ops.shape(out))
    report["layer_output_shapes"] = shapes
    # Streaming, as a real-time user runs it: a compiled streamer fed one
    # sample, then a chunk, against the full call.
    tcn = zoo.layers.TCN(nb_filters=4, dilations=(1, 2), return_sequences=True)
    x = np.random.default_rng(1).normal(size=(1, 9, 3)).astype("f4")
    full = keras.ops.convert_to_numpy(tcn(x))
    streamer = tcn.make_streamer()
    streamed = np.concatenate(
        [
            keras.ops.convert_to_numpy(streamer(x[:, :1])),
            keras.ops.convert_to_numpy(streamer(x[:, 1:])),
        ],
        axis=1,
    )
    report["streaming_max_abs_diff"] = float(np.abs(streamed - full).max())
    with np.load(SAMPLE) as sample:
        digits = sample["mnist_test_images"][:200, ..., None].astype("f4")
        labels = sample["mnist_test_labels"][:200]
    model = zoo.load_pretrained("mnist_cnn")
    predicted = np.argmax(model.predict(digits, verbose=0), axis=-1)
    report["mnist_cnn_accuracy"] = float(np.mean(predicted == labels))
    report["pretrained"] = zoo.list_pretrained()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
