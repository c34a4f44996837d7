"""The models of the TCN benchmark, each ~70k parameters, and how they are
built: zoo TCN, keras-tcn, stacked LSTM and GRU, with a float32 regression
head; and the adding-problem data they all train on."""

import contextlib
import pathlib
import tempfile
import traceback

import keras
import numpy as np
from keras import layers

from training.data.synthetic import adding_problem
from zoo.layers import TCN
from zoo.models.presets import TCN_INIT

# What makes a TCN learn the adding problem: weight normalisation and the
# initialisation Bai et al.'s code ends up with (PyTorch's default conv
# init; see `zoo.models.presets.TCN_INIT` for why not N(0, 0.01)), Adam
# 2e-3, no clipping.
RECIPE = {
    "kernel_initializer": TCN_INIT,
    "use_weight_norm": True,
    "learning_rate": 2e-3,
    "clipnorm": None,
}


@contextlib.contextmanager
def dtype_policy(name):
    """Sets the global dtype policy while models are built, so third-party
    layers that create sublayers without a `dtype` follow it too."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def regression_head(inputs, features):
    # A float32 output keeps the MSE loss in float32 under mixed precision.
    outputs = layers.Dense(1, dtype="float32", name="sum")(features)
    return keras.Model(inputs, outputs)


def zoo_tcn(sizes, all_steps=False, recipe=None):
    recipe = recipe or {}
    inputs = keras.Input((sizes["steps"], 2))
    tcn = TCN(
        nb_filters=sizes["nb_filters"],
        kernel_size=sizes["kernel_size"],
        dilations=sizes["dilations"],
        return_sequences=all_steps,
        kernel_initializer=recipe.get("kernel_initializer", "he_normal"),
        use_weight_norm=recipe.get("use_weight_norm", False),
    )
    features = tcn(inputs)
    if all_steps:
        features = features[:, -1, :]
    return regression_head(inputs, features)


def keras_tcn(sizes, recipe=None):
    import tcn as keras_tcn_package

    recipe = recipe or {}
    inputs = keras.Input((sizes["steps"], 2))
    features = keras_tcn_package.TCN(
        nb_filters=sizes["nb_filters"],
        kernel_size=sizes["kernel_size"],
        dilations=list(sizes["dilations"]),
        kernel_initializer=keras.initializers.get(
            recipe.get("kernel_initializer", "he_normal")
        ),
    )(inputs)
    return regression_head(inputs, features)


def stacked_rnn(sizes, cell):
    units = sizes[f"{cell.__name__.lower()}_units"]
    inputs = keras.Input((sizes["steps"], 2))
    x = cell(units, return_sequences=True)(inputs)
    return regression_head(inputs, cell(units)(x))


def build(builder, precision, learning_rate=2e-3, clipnorm=None):
    """Builds and compiles a model, or returns the exact error text."""
    try:
        with dtype_policy(precision):
            model = builder()
        optimizer = keras.optimizers.Adam(learning_rate, clipnorm=clipnorm)
        model.compile(optimizer=optimizer, loss="mse")
        return model, None
    except Exception:  # noqa: BLE001 - a failing package is a result
        return None, last_error_line()


def last_error_line():
    """The last line of the exception being handled, as the tables show
    it (`ValueError: ...`)."""
    return traceback.format_exc(limit=2).strip().splitlines()[-1]


def keras_tcn_save_check(sizes):
    """Whether a keras-tcn model survives a `.keras` save and reload."""
    model, error = build(lambda: keras_tcn(sizes), "float32")
    if error:
        return error
    x, _ = adding_problem(2, sizes["steps"], seed=0)
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = pathlib.Path(folder) / "keras_tcn.keras"
            model.save(path)
            loaded = keras.saving.load_model(path)
            diff = np.abs(loaded.predict_on_batch(x) - model(x)).max()
        return f"ok (.keras save/load, max |diff| {float(diff):.1e})"
    except Exception:  # noqa: BLE001
        return last_error_line()
