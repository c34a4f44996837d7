"""`zoo.keras_tcn` as a drop-in for the keras-tcn package.

The first tests re-express what keras-tcn's own CI scripts check
(`tasks/tcn_call_test.py`, `save_reload_sequential_model.py`,
`multi_length_sequences.py`, `plot_tcn_model.py` and the `compiled_tcn`
task scripts); the last ones load files that the real keras-tcn package
writes here, and skip when it is not installed.
"""

import inspect

import keras
import numpy as np
import pytest

from zoo import keras_tcn
from zoo.keras_tcn import TCN
from zoo.keras_tcn import ResidualBlock
from zoo.keras_tcn import compiled_tcn
from zoo.keras_tcn import tcn_full_summary
from zoo.layers import TCNBlock


def to_numpy(x):
    return keras.ops.convert_to_numpy(x)


def randomize(layer, seed=0, scale=0.3):
    rng = np.random.default_rng(seed)
    for weight in layer.weights:
        weight.assign(rng.normal(0, scale, tuple(weight.shape)))


# --- What keras-tcn's task scripts check -----------------------------------


def test_signature_is_keras_tcn_3_5_7():
    names = list(inspect.signature(TCN.__init__).parameters)[1:15]
    assert names == [
        "nb_filters",
        "kernel_size",
        "nb_stacks",
        "dilations",
        "padding",
        "use_skip_connections",
        "dropout_rate",
        "return_sequences",
        "activation",
        "kernel_initializer",
        "use_batch_norm",
        "use_layer_norm",
        "go_backwards",
        "return_state",
    ]
    tcn = TCN()
    assert (tcn.nb_filters, tcn.kernel_size, tcn.nb_stacks) == (64, 3, 1)
    assert tcn.dilations == (1, 2, 4, 8, 16, 32)
    assert (tcn.padding, tcn.use_skip_connections) == ("causal", True)
    assert (tcn.return_sequences, tcn.go_backwards) == (False, False)


@pytest.mark.parametrize("padding", ["causal", "same"])
@pytest.mark.parametrize("steps", [None, 7])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_output_shapes_known_and_unknown_length(
    padding, steps, return_sequences
):
    tcn = TCN(nb_filters=6, padding=padding, return_sequences=return_sequences)
    expected = (None, steps, 6) if return_sequences else (None, 6)
    assert tcn.compute_output_shape((None, steps, 2)) == expected
    model = keras.Model(*_io(keras.Input((steps, 2)), tcn))
    lengths = [steps] if steps else [6, 1, 11]
    rng = np.random.default_rng(0)
    for n in lengths:
        y = model(rng.random((1, n, 2)).astype("float32"))
        assert tuple(y.shape) == ((1, n, 6) if return_sequences else (1, 6))


def _io(inputs, layer):
    return inputs, layer(inputs)


@pytest.mark.parametrize(
    "kernel_size, dilations, nb_stacks",
    [(2, (1, 4, 16), 1), (5, (1, 2, 4, 8), 3), (7, (1,), 2)],
)
def test_receptive_field_formula(kernel_size, dilations, nb_stacks):
    tcn = TCN(kernel_size=kernel_size, dilations=dilations, nb_stacks=nb_stacks)
    # Two convs per block, each adding (k - 1) * d steps of history.
    history = sum(2 * (kernel_size - 1) * d for d in dilations) * nb_stacks
    assert tcn.receptive_field == 1 + history


def test_sequential_json_weights_and_keras_round_trip(tmp_path):
    model = keras.Sequential(
        [
            keras.Input((30,)),
            keras.layers.Embedding(20, 8),
            TCN(
                nb_filters=6,
                dropout_rate=0.5,
                kernel_size=4,
                use_batch_norm=True,
                dilations=[1, 2, 4],
            ),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(loss="mae")
    rng = np.random.default_rng(1)
    model.fit(rng.integers(0, 20, (16, 30)), rng.random((16, 1)), verbose=0)
    x = np.ones((1, 30))
    expected = model.predict(x, verbose=0)

    weights = tmp_path / "model.weights.h5"
    model.save_weights(weights)
    reloaded = keras.models.model_from_json(
        model.to_json(), custom_objects={"TCN": TCN}
    )
    reloaded.load_weights(weights)
    np.testing.assert_allclose(
        reloaded.predict(x, verbose=0), expected, atol=1e-6
    )

    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), expected, atol=1e-6
    )
    printed = []
    tcn_full_summary(
        model, expand_residual_blocks=False, print_fn=printed.append
    )
    assert any("residual_block_2" in line for line in printed)
    assert not any("conv1" in line for line in printed)


def test_variable_length_sequences_train():
    model = keras.Sequential(
        [
            TCN(nb_filters=8, input_shape=(None, 1)),
            keras.layers.Dense(1, "sigmoid"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    for length in (3, 17, 9):
        x = np.zeros((2, length, 1), "float32")
        x[0, 0, 0] = 1
        loss = model.train_on_batch(x, np.array([[1.0], [0.0]]))
        assert np.isfinite(loss)


def test_plot_model_draws_a_tcn(tmp_path):
    pytest.importorskip("pydot")
    inputs = keras.Input((32, 5))
    x = TCN(nb_filters=8)(inputs)
    outputs = keras.layers.Reshape((3, 4))(keras.layers.Dense(12)(x))
    path = tmp_path / "tcn.png"
    try:
        keras.utils.plot_model(keras.Model(inputs, outputs), to_file=path)
    except ImportError as error:  # pydot without the graphviz binaries
        pytest.skip(str(error))
    assert path.stat().st_size > 0


def test_compiled_tcn_classification():
    model = compiled_tcn(
        num_feat=2,
        num_classes=3,
        nb_filters=4,
        kernel_size=2,
        dilations=[0, 1, 2],
        nb_stacks=1,
        max_len=12,
    )
    tcn = model.get_layer("tcn")
    # keras-tcn reads dilations that are not powers of two as exponents.
    assert tcn.dilations == (1, 2, 4)
    assert tcn.return_sequences and not tcn.use_skip_connections
    assert tcn.dropout_rate == 0.05
    assert model.output_shape == (None, 12, 3)
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert model.optimizer.clipnorm == 1.0
    np.testing.assert_allclose(float(model.optimizer.learning_rate), 0.002)
    x = np.random.default_rng(2).normal(size=(4, 12, 2)).astype("float32")
    y = np.random.default_rng(2).integers(0, 3, (4, 12))
    history = model.fit(x, y, epochs=1, verbose=0)
    assert {"loss", "accuracy"} <= set(history.history)


def test_compiled_tcn_regression_and_bad_optimizer():
    model = compiled_tcn(
        3,
        10,
        4,
        3,
        [1, 2],
        1,
        None,
        output_len=2,
        return_sequences=False,
        regression=True,
        opt="rmsprop",
        lr=0.01,
    )
    assert model.output_shape == (None, 2)
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    assert model.loss == "mean_squared_error"
    with pytest.raises(ValueError, match="opt='sgd'"):
        compiled_tcn(3, 10, 4, 3, [1, 2], 1, 8, opt="sgd")


# --- Bidirectional, go_backwards, ResidualBlock ----------------------------


def test_go_backwards_reads_the_reversed_sequence():
    x = np.random.default_rng(3).normal(size=(2, 10, 3)).astype("float32")
    forward = TCN(nb_filters=4, dilations=[1, 2], return_sequences=True)
    backward = TCN(
        nb_filters=4, dilations=[1, 2], return_sequences=True, go_backwards=True
    )
    forward.build(x.shape)
    backward.build(x.shape)
    randomize(forward)
    backward.set_weights(forward.get_weights())
    np.testing.assert_allclose(
        to_numpy(backward(x)), to_numpy(forward(x[:, ::-1])), atol=1e-6
    )
    with pytest.raises(ValueError, match="return_state=True"):
        TCN(return_state=True)


@pytest.mark.parametrize("return_sequences", [True, False])
def test_bidirectional_tcn(return_sequences, tmp_path):
    x = np.random.default_rng(4).normal(size=(2, 9, 3)).astype("float32")
    layer = keras.layers.Bidirectional(
        TCN(nb_filters=4, dilations=[1, 2], return_sequences=return_sequences)
    )
    inputs = keras.Input((None, 3))
    model = keras.Model(inputs, layer(inputs))
    randomize(model)
    y = to_numpy(model(x))
    assert y.shape == ((2, 9, 8) if return_sequences else (2, 8))
    # The backward half is the forward TCN of the reversed sequence.
    fwd = TCN.from_config({**layer.forward_layer.get_config(), "name": "f"})
    fwd.build(x.shape)
    fwd.set_weights(layer.backward_layer.get_weights())
    reversed_out = to_numpy(fwd(x[:, ::-1]))
    if return_sequences:
        reversed_out = reversed_out[:, ::-1]
    np.testing.assert_allclose(y[..., 4:], reversed_out, atol=1e-5)
    model.save(tmp_path / "bidi.keras")
    loaded = keras.models.load_model(tmp_path / "bidi.keras")
    np.testing.assert_allclose(to_numpy(loaded(x)), y, atol=1e-6)


def test_residual_block_adapter():
    block = ResidualBlock(
        2, 5, 3, "causal", activation="tanh", use_layer_norm=True
    )
    x = np.random.default_rng(5).normal(size=(2, 8, 3)).astype("float32")
    output, skip = block(x)
    assert tuple(output.shape) == tuple(skip.shape) == (2, 8, 5)
    config = block.get_config()
    assert config["nb_filters"] == 5 and config["use_layer_norm"]
    again = ResidualBlock.from_config(config)
    assert again.get_config() == config
    plain = TCNBlock(
        5, 3, 2, activation="tanh", normalization="layer", return_skip=True
    )
    plain.build(x.shape)
    plain.set_weights(block.get_weights())
    np.testing.assert_allclose(
        to_numpy(plain(x)[0]), to_numpy(output), atol=1e-6
    )


# --- Files written by the real keras-tcn ----------------------------------


@pytest.fixture
def upstream():
    if keras.backend.backend() != "tensorflow":
        pytest.skip("keras-tcn imports tensorflow.keras")
    return pytest.importorskip("tcn", reason="keras-tcn is not installed")


def _upstream_model(upstream, wrap=None, **kwargs):
    inputs = keras.Input((20, 3))
    kwargs = {"nb_filters": 5, **kwargs}
    layer = upstream.TCN(kernel_size=3, dilations=[1, 2], **kwargs)
    x = (wrap(layer) if wrap else layer)(inputs)
    return keras.Model(inputs, keras.layers.Dense(2)(x))


UPSTREAM_CASES = [
    dict(activation="tanh", use_layer_norm=True),
    dict(use_batch_norm=True, return_sequences=True),
    dict(activation="gelu", nb_stacks=2, padding="same"),
    dict(nb_filters=[4, 5], use_skip_connections=False),
]


@pytest.mark.parametrize("kwargs", UPSTREAM_CASES)
def test_load_keras_tcn_model_and_weights(upstream, kwargs, tmp_path):
    kwargs = {"nb_filters": 5, **kwargs}
    theirs = _upstream_model(upstream, **kwargs)
    x = np.random.default_rng(6).normal(size=(4, 20, 3)).astype("float32")
    # A training step moves batch-norm statistics and every weight.
    theirs.compile("adam", "mse")
    target = np.zeros((4,) + theirs.output_shape[1:], "float32")
    theirs.fit(x, target, verbose=0)
    expected = theirs.predict(x, verbose=0)
    theirs.save(tmp_path / "theirs.keras")
    theirs.save_weights(tmp_path / "theirs.weights.h5")

    ours = keras_tcn.load_keras_tcn_model(tmp_path / "theirs.keras")
    tcn = ours.layers[1]
    assert type(tcn) is TCN and tcn.double_activation
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, atol=1e-5)
    ours.save(tmp_path / "ours.keras")
    again = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(again.predict(x, verbose=0), expected, atol=1e-5)

    inputs = keras.Input((20, 3))
    fresh = TCN(
        kernel_size=3, dilations=[1, 2], double_activation=True, **kwargs
    )
    rebuilt = keras.Model(inputs, keras.layers.Dense(2)(fresh(inputs)))
    keras_tcn.load_keras_tcn_weights(rebuilt, tmp_path / "theirs.weights.h5")
    np.testing.assert_allclose(
        rebuilt.predict(x, verbose=0), expected, atol=1e-5
    )


def test_double_activation_is_what_keras_tcn_computes(upstream, tmp_path):
    theirs = _upstream_model(upstream, activation="tanh")
    theirs.save_weights(tmp_path / "w.weights.h5")
    x = np.random.default_rng(7).normal(size=(2, 20, 3)).astype("float32")
    expected = theirs.predict(x, verbose=0)
    outputs = {}
    for double in (False, True):
        inputs = keras.Input((20, 3))
        tcn = TCN(
            5, 3, dilations=[1, 2], activation="tanh", double_activation=double
        )
        model = keras.Model(inputs, keras.layers.Dense(2)(tcn(inputs)))
        keras_tcn.load_keras_tcn_weights(model, tmp_path / "w.weights.h5")
        outputs[double] = model.predict(x, verbose=0)
    np.testing.assert_allclose(outputs[True], expected, atol=1e-5)
    assert np.abs(outputs[False] - expected).max() > 1e-3


def test_load_keras_tcn_bidirectional(upstream, tmp_path):
    wrap = keras.layers.Bidirectional
    theirs = _upstream_model(upstream, wrap=wrap, return_sequences=True)
    theirs.save(tmp_path / "bidi.keras")
    x = np.random.default_rng(8).normal(size=(2, 20, 3)).astype("float32")
    ours = keras_tcn.load_keras_tcn_model(tmp_path / "bidi.keras")
    assert isinstance(ours.layers[1].forward_layer, TCN)
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=1e-5
    )
