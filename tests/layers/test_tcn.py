"""Tests for TCNBlock and TCN: shapes, serialization, numerics against
NumPy, causality, receptive field, masking and streaming inference."""

import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest

from tests.layer_test_utils import run_layer_test
from zoo.layers import TCN
from zoo.layers import TCNBlock

ROOT = pathlib.Path(__file__).resolve().parents[2]


def to_numpy(x):
    if isinstance(x, keras.Variable):
        # Avoids numpy 2's __array__(copy=...) deprecation on variables.
        x = x.value
    return keras.ops.convert_to_numpy(x)


def randomize_weights(layer, seed=0):
    """Gives every weight random non-zero values (zero biases and unit
    norm scales would hide mistakes in the reference)."""
    rng = np.random.default_rng(seed)
    for weight in layer.weights:
        shape = tuple(weight.shape)
        if weight.name in ("moving_variance", "weight_norm_g", "gamma"):
            weight.assign(rng.uniform(0.5, 1.5, shape).astype("float32"))
        else:
            weight.assign(rng.normal(0, 0.5, shape).astype("float32"))


# --- NumPy reference -------------------------------------------------------


def np_conv1d(x, kernel, bias, dilation, padding):
    """Dilated conv from the definition: `y[t] = sum_j x[t + j d - left]
    @ kernel[j]`, zeros outside the sequence; causal puts all of the
    `(k - 1) d` padding on the left, same splits it (extra step right)."""
    k = kernel.shape[0]
    span = (k - 1) * dilation
    left = span if padding == "causal" else span // 2
    xp = np.pad(x.astype("float64"), ((0, 0), (left, span - left), (0, 0)))
    steps = x.shape[1]
    y = sum(
        xp[:, j * dilation : j * dilation + steps] @ kernel[j] for j in range(k)
    )
    return y + bias if bias is not None else y


def np_conv_kernel(conv):
    kernel = to_numpy(conv.kernel).astype("float64")
    if not conv.weight_norm:
        return kernel
    g = to_numpy(conv.weight_norm_g)
    return kernel * g / np.sqrt(np.sum(kernel**2, axis=(0, 1)))


def np_norm(x, norm, kind):
    gamma, beta = to_numpy(norm.gamma), to_numpy(norm.beta)
    if kind == "batch":
        mean, var = to_numpy(norm.moving_mean), to_numpy(norm.moving_variance)
    else:
        mean = x.mean(axis=-1, keepdims=True)
        var = x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + norm.epsilon) * gamma + beta


def np_activation(x, name):
    return np.maximum(x, 0) if name == "relu" else x


def np_block(x, block, activation="relu"):
    """Returns (output, skip) of a TCNBlock in inference mode."""
    h = x
    for conv, norm in ((block.conv1, block.norm1), (block.conv2, block.norm2)):
        bias = to_numpy(conv.bias) if conv.use_bias else None
        h = np_conv1d(
            h, np_conv_kernel(conv), bias, block.dilation_rate, block.padding
        )
        if norm is not None:
            h = np_norm(h, norm, block.normalization)
        h = np_activation(h, activation)
    if block.downsample is None:
        shortcut = x
    else:
        shortcut = x @ to_numpy(block.downsample.kernel)[0]
        shortcut = shortcut + to_numpy(block.downsample.bias)
    return np_activation(shortcut + h, activation), h


def np_tcn(x, tcn, activation="relu"):
    h, skips = x, []
    for block in tcn.blocks:
        h, skip = np_block(h, block, activation)
        skips.append(skip)
    if tcn.use_skip_connections:
        h = sum(skips)
    if tcn.return_sequences:
        return h
    index = -1 if tcn.padding == "causal" else x.shape[1] // 2
    return h[:, index]


# --- Shapes and serialization ---------------------------------------------


@pytest.mark.parametrize(
    "kwargs, channels, trainable, non_trainable",
    [
        # conv1 + conv2 + 1x1 downsample, kernel and bias each.
        (dict(filters=4, kernel_size=3, dilation_rate=2), 3, 6, 0),
        # Identity shortcut; gamma/beta trainable, moving stats not.
        (
            dict(
                filters=4,
                kernel_size=2,
                dilation_rate=4,
                padding="same",
                normalization="batch",
            ),
            4,
            8,
            4,
        ),
        (
            dict(
                filters=4,
                kernel_size=2,
                dilation_rate=2,
                normalization="layer",
                dropout_rate=0.2,
                use_bias=False,
            ),
            3,
            7,
            0,
        ),
        # Weight norm adds a g per conv, not to the plain 1x1 projection.
        (
            dict(
                filters=4,
                kernel_size=3,
                dilation_rate=3,
                normalization="weight",
            ),
            3,
            8,
            0,
        ),
    ],
)
def test_tcn_block_layer(kwargs, channels, trainable, non_trainable, tmp_path):
    run_layer_test(
        TCNBlock,
        kwargs,
        input_shape=(2, 12, channels),
        expected_output_shape=(2, 12, kwargs["filters"]),
        expected_num_trainable_weights=trainable,
        expected_num_non_trainable_weights=non_trainable,
        tmp_path=tmp_path,
    )


def test_tcn_block_return_skip():
    block = TCNBlock(6, 3, 2, return_skip=True)
    output, skip = block(np.ones((2, 10, 3), "float32"))
    assert output.shape == skip.shape == (2, 10, 6)
    assert block.compute_output_shape((None, None, 3)) == (
        (None, None, 6),
        (None, None, 6),
    )
    assert block.receptive_field == 1 + 2 * 2 * 2
    assert block.downsample.kernel_size == (1,)
    identity = TCNBlock(3, 3, 2)
    identity.build((None, 10, 3))
    assert identity.downsample is None


@pytest.mark.parametrize(
    "kwargs, expected_shape",
    [
        (dict(nb_filters=4, kernel_size=3, dilations=[1, 2, 4]), (2, 4)),
        (
            dict(
                nb_filters=4,
                kernel_size=2,
                nb_stacks=2,
                dilations=[1, 3],
                return_sequences=True,
                use_batch_norm=True,
            ),
            (2, 12, 4),
        ),
        (
            dict(
                nb_filters=4,
                dilations=[1, 2],
                padding="same",
                use_layer_norm=True,
                dropout_rate=0.1,
            ),
            (2, 4),
        ),
        (
            dict(
                nb_filters=[3, 4],
                dilations=[1, 2],
                use_skip_connections=False,
                use_weight_norm=True,
                return_sequences=True,
                activation="tanh",
            ),
            (2, 12, 4),
        ),
    ],
)
def test_tcn_layer(kwargs, expected_shape, tmp_path):
    layer = run_layer_test(
        TCN,
        kwargs,
        input_shape=(2, 12, 3),
        expected_output_shape=expected_shape,
        tmp_path=tmp_path,
    )
    assert len(layer.blocks) == layer.nb_stacks * len(layer.dilations)


@pytest.mark.large
def test_tcn_keras_file_loads_in_fresh_process(tmp_path):
    x = np.random.default_rng(0).normal(size=(3, 12, 3)).astype("float32")
    model = keras.Sequential(
        [
            keras.Input((None, 3)),
            TCN(
                nb_filters=4,
                dilations=[1, 2],
                nb_stacks=2,
                use_batch_norm=True,
                return_sequences=True,
            ),
            keras.layers.Dense(1),
        ]
    )
    # A training step makes the batch-norm statistics differ from the
    # initial ones, so the saved file must carry them.
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, np.ones((3, 12, 1)), epochs=1, verbose=0)
    model_path = tmp_path / "tcn.keras"
    model.save(model_path)
    np.save(tmp_path / "x.npy", x)
    code = (
        "import sys, numpy, keras, zoo\n"
        "m = keras.models.load_model(sys.argv[1])\n"
        "y = m(numpy.load(sys.argv[2]))\n"
        "numpy.save(sys.argv[3], keras.ops.convert_to_numpy(y))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            str(model_path),
            str(tmp_path / "x.npy"),
            str(tmp_path / "y.npy"),
        ],
        check=True,
        cwd=ROOT,
        env=env,
        capture_output=True,
    )
    np.testing.assert_allclose(
        np.load(tmp_path / "y.npy"), to_numpy(model(x)), atol=1e-5
    )


def test_tcn_convs_start_from_different_kernels():
    # One shared unseeded initializer instance would draw the same values
    # for every conv of the same shape.
    tcn = TCN(nb_filters=4, dilations=[1, 2, 4])
    tcn.build((None, 12, 4))
    kernels = [
        to_numpy(conv.kernel)
        for block in tcn.blocks
        for conv in (block.conv1, block.conv2)
    ]
    for i, a in enumerate(kernels):
        for b in kernels[i + 1 :]:
            assert not np.allclose(a, b)


@pytest.mark.parametrize("padding", ["causal", "same"])
def test_tcn_single_step_output_with_unknown_length(padding):
    x = np.random.default_rng(8).normal(size=(2, 11, 3)).astype("float32")
    inputs = keras.Input((None, 3))
    tcn = TCN(nb_filters=4, dilations=[1, 2], padding=padding)
    model = keras.Model(inputs, tcn(inputs))
    assert model.output_shape == (None, 4)
    sequences = TCN.from_config({**tcn.get_config(), "return_sequences": True})
    sequences.build(x.shape)
    sequences.set_weights(tcn.get_weights())
    index = 10 if padding == "causal" else 5
    np.testing.assert_allclose(
        model.predict(x, verbose=0),
        to_numpy(sequences(x))[:, index],
        atol=1e-5,
    )


def test_tcn_step_follows_mixed_precision_policy():
    x = np.random.default_rng(9).normal(size=(2, 6, 3)).astype("float32")
    tcn = TCN(
        nb_filters=4,
        dilations=[1, 2],
        use_layer_norm=True,
        return_sequences=True,
        dtype="mixed_bfloat16",
    )
    full = tcn(x)
    assert keras.backend.standardize_dtype(full.dtype) == "bfloat16"
    streamed, state = stream(tcn, x)
    assert all(
        keras.backend.standardize_dtype(b.dtype) == "bfloat16" for b in state
    )
    full = to_numpy(keras.ops.cast(full, "float32"))
    np.testing.assert_allclose(streamed.astype("float32"), full, atol=0.05)


# --- Numerics against NumPy ----------------------------------------------


@pytest.mark.parametrize(
    "kwargs, channels",
    [
        (dict(filters=4, kernel_size=3, dilation_rate=2), 3),
        (dict(filters=4, kernel_size=2, dilation_rate=4, padding="same"), 4),
        (dict(filters=4, kernel_size=3, dilation_rate=3, padding="same"), 3),
        (
            dict(
                filters=4, kernel_size=2, dilation_rate=1, normalization="batch"
            ),
            4,
        ),
        (
            dict(
                filters=4, kernel_size=3, dilation_rate=2, normalization="layer"
            ),
            2,
        ),
        (
            dict(
                filters=4,
                kernel_size=3,
                dilation_rate=2,
                normalization="weight",
            ),
            3,
        ),
    ],
)
def test_tcn_block_matches_numpy(kwargs, channels):
    x = np.random.default_rng(1).normal(size=(2, 12, channels))
    x = x.astype("float32")
    block = TCNBlock(return_skip=True, **kwargs)
    block.build(x.shape)
    randomize_weights(block)
    output, skip = block(x)
    expected_output, expected_skip = np_block(x, block)
    np.testing.assert_allclose(to_numpy(output), expected_output, atol=1e-4)
    np.testing.assert_allclose(to_numpy(skip), expected_skip, atol=1e-4)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(use_skip_connections=True, return_sequences=True),
        dict(use_skip_connections=False, return_sequences=True),
        dict(use_skip_connections=True, padding="same"),
        dict(
            use_skip_connections=False,
            nb_filters=[3, 4],
            nb_stacks=1,
            use_layer_norm=True,
        ),
    ],
)
def test_tcn_matches_numpy(kwargs):
    kwargs = {"nb_filters": 4, "nb_stacks": 2, **kwargs}
    x = np.random.default_rng(2).normal(size=(2, 12, 3)).astype("float32")
    tcn = TCN(kernel_size=3, dilations=[1, 2], **kwargs)
    tcn.build(x.shape)
    randomize_weights(tcn)
    np.testing.assert_allclose(to_numpy(tcn(x)), np_tcn(x, tcn), atol=1e-4)


# --- Last-step path ---------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, steps",
    [
        (dict(kernel_size=3, dilations=[1, 2, 4, 8]), 37),
        (dict(kernel_size=8, dilations=[1, 2, 4, 8, 16, 32, 64, 128]), 600),
        (dict(kernel_size=8, dilations=[1, 2, 4, 8, 16, 32, 64, 128]), 3),
        (
            dict(
                kernel_size=2,
                dilations=[1, 3, 6],
                nb_stacks=2,
                use_weight_norm=True,
            ),
            50,
        ),
        (
            dict(
                nb_filters=[3, 4, 5],
                kernel_size=4,
                dilations=[2, 4, 6],
                use_skip_connections=False,
                use_layer_norm=True,
                dropout_rate=0.3,
            ),
            23,
        ),
    ],
)
def test_tcn_last_step_matches_full_sequence(kwargs, steps):
    # With a known length and no mask, return_sequences=False computes
    # only the steps that reach the output; outputs and one SGD step must
    # match those of the full computation read at its last step.
    kwargs = {"nb_filters": 4, **kwargs}
    rng = np.random.default_rng(8)
    x = rng.normal(size=(3, steps, 2)).astype("float32")
    y = rng.normal(size=(3, 1)).astype("float32")

    def regressor(return_sequences):
        inputs = keras.Input((steps, 2))
        h = TCN(return_sequences=return_sequences, **kwargs)(inputs)
        if return_sequences:
            h = h[:, -1, :]
        model = keras.Model(inputs, keras.layers.Dense(1)(h))
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
        return model

    last, full = regressor(False), regressor(True)
    randomize_weights(full)
    last.set_weights(full.get_weights())
    np.testing.assert_allclose(
        last.predict_on_batch(x), full.predict_on_batch(x), rtol=1e-5
    )
    if not kwargs.get("dropout_rate"):
        before = full.get_weights()
        last.train_on_batch(x, y)
        full.train_on_batch(x, y)
        for w0, a, b in zip(before, last.get_weights(), full.get_weights()):
            # Random weights give large activations and gradients over 600
            # steps: compare each update relative to its own scale.
            scale = np.abs(b - w0).max()
            np.testing.assert_allclose(a - w0, b - w0, atol=1e-4 * scale)


def test_tcn_block_call_strided_matches_call():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(2, 30, 3)).astype("float32")
    block = TCNBlock(5, 3, dilation_rate=4, return_skip=True)
    block.build(x.shape)
    randomize_weights(block)
    output, skip = (to_numpy(t) for t in block(x))
    # Every 2nd step ending at the last one (spacing 2 divides dilation 4),
    # then every 3rd output of that.
    sub = x[:, 1::2]
    strided = block.call_strided(sub, spacing=2, stride=3)
    np.testing.assert_allclose(
        to_numpy(strided[0]), output[:, 1::2][:, 2::3], atol=1e-5
    )
    np.testing.assert_allclose(
        to_numpy(strided[1]), skip[:, 1::2][:, 2::3], atol=1e-5
    )


@pytest.mark.parametrize(
    "kwargs, spacing, match",
    [
        (dict(padding="same"), 1, "padding='causal'"),
        (dict(normalization="batch"), 1, "no batch"),
        (dict(), 3, "must divide"),
    ],
)
def test_tcn_block_call_strided_errors(kwargs, spacing, match):
    block = TCNBlock(4, 3, dilation_rate=4, **kwargs)
    block.build((1, 8, 4))
    with pytest.raises(ValueError, match=match):
        block.call_strided(np.zeros((1, 8, 4), "float32"), spacing, 1)


# --- Causality and receptive field ---------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(kernel_size=3, dilations=[1, 2, 4]),
        dict(kernel_size=2, dilations=[1, 3], nb_stacks=2, use_layer_norm=True),
        dict(
            kernel_size=3,
            dilations=[2, 5],
            use_weight_norm=True,
            use_skip_connections=False,
        ),
    ],
)
def test_tcn_is_causal(kwargs):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 24, 3)).astype("float32")
    tcn = TCN(nb_filters=4, return_sequences=True, **kwargs)
    reference = to_numpy(tcn(x))
    for t in (0, 5, 11, 22):
        perturbed = x.copy()
        perturbed[:, t + 1 :] += rng.normal(size=perturbed[:, t + 1 :].shape)
        y = to_numpy(tcn(perturbed))
        np.testing.assert_allclose(y[:, : t + 1], reference[:, : t + 1])
        assert not np.allclose(y[:, t + 1 :], reference[:, t + 1 :])


def input_gradient(model_fn, x):
    """Gradient of sum(model_fn(x)) with respect to x, per backend."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return np.asarray(jax.grad(lambda v: model_fn(v).sum())(x))
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(model_fn(x))
        return tape.gradient(y, x).numpy()
    pytest.skip(f"no gradient helper for backend {backend}")


@pytest.mark.parametrize(
    "kernel_size, dilations, nb_stacks",
    [(2, [1, 2, 4], 1), (3, [1, 3], 2), (3, [1, 2, 5], 1)],
)
def test_tcn_receptive_field_matches_gradient(
    kernel_size, dilations, nb_stacks
):
    expected = 1 + 2 * (kernel_size - 1) * nb_stacks * sum(dilations)
    # Linear activations keep every path alive, so no gradient vanishes
    # by accident inside the receptive field.
    tcn = TCN(
        nb_filters=4,
        kernel_size=kernel_size,
        nb_stacks=nb_stacks,
        dilations=dilations,
        activation="linear",
    )
    x = np.random.default_rng(4).normal(size=(1, expected + 7, 3))
    x = x.astype("float32")
    tcn.build(x.shape)
    randomize_weights(tcn)
    grad = input_gradient(tcn, x)
    reached = np.flatnonzero(np.abs(grad[0]).sum(axis=-1) > 0)
    assert tcn.receptive_field == expected
    assert len(reached) == expected
    # The positions that matter are the last `expected` ones, contiguous.
    np.testing.assert_array_equal(
        reached, np.arange(x.shape[1] - expected, x.shape[1])
    )


# --- Masking --------------------------------------------------------------


def masked_model(tcn_kwargs, channels, weights=None):
    model = keras.Sequential(
        [
            keras.Input((None, channels)),
            keras.layers.Masking(mask_value=0.0),
            TCN(**tcn_kwargs),
        ]
    )
    if weights is None:
        randomize_weights(model)
    else:
        model.set_weights(weights)
    return model


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(kernel_size=3, dilations=[1, 2, 4]),
        dict(kernel_size=2, dilations=[1, 3], nb_stacks=2, use_layer_norm=True),
        dict(kernel_size=3, dilations=[1, 2], padding="same"),
    ],
)
def test_tcn_masked_padding_matches_unpadded(kwargs):
    kwargs = {"nb_filters": 4, **kwargs}
    rng = np.random.default_rng(5)
    lengths, steps, channels = (9, 14), 20, 3
    sequences = [
        rng.normal(size=(n, channels)).astype("float32") for n in lengths
    ]
    seq_model = masked_model({**kwargs, "return_sequences": True}, channels)
    weights = seq_model.get_weights()
    last_model = masked_model(kwargs, channels, weights)

    for pad_first in (True, False):
        padded = np.zeros((len(lengths), steps, channels), "float32")
        for i, seq in enumerate(sequences):
            if pad_first:
                padded[i, steps - len(seq) :] = seq
            else:
                padded[i, : len(seq)] = seq
        full = to_numpy(seq_model(padded))
        last = to_numpy(last_model(padded))
        for i, seq in enumerate(sequences):
            alone = to_numpy(seq_model(seq[None]))[0]
            real = (
                slice(steps - len(seq), None) if pad_first else slice(len(seq))
            )
            np.testing.assert_allclose(full[i, real], alone, atol=1e-5)
            expected_last = to_numpy(last_model(seq[None]))[0]
            np.testing.assert_allclose(last[i], expected_last, atol=1e-5)
            index = -1 if kwargs.get("padding") != "same" else len(seq) // 2
            np.testing.assert_allclose(last[i], alone[index], atol=1e-5)


# --- Streaming inference --------------------------------------------------


def stream(tcn, x, step_fn=None):
    step_fn = step_fn or tcn.step
    state = tcn.get_initial_state(x.shape[0])
    outputs = []
    for t in range(x.shape[1]):
        y_t, state = step_fn(x[:, t], state)
        outputs.append(to_numpy(y_t))
    return np.stack(outputs, axis=1), state


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(use_batch_norm=True),
        dict(use_layer_norm=True),
        dict(use_weight_norm=True),
        dict(nb_filters=[3, 4], use_skip_connections=False, nb_stacks=1),
    ],
)
def test_tcn_step_matches_full_call(kwargs):
    kwargs = {"nb_filters": 4, "nb_stacks": 2, **kwargs}
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 12, 3)).astype("float32")
    tcn = TCN(kernel_size=3, dilations=[1, 3], return_sequences=True, **kwargs)
    model = keras.Sequential([keras.Input((None, 3)), tcn])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    # Training moves the batch-norm statistics away from (0, 1), and the
    # streamed batch norm must use them.
    model.fit(2 * x + 1, np.zeros((2, 12, tcn.blocks[-1].filters)), verbose=0)
    if kwargs.get("use_batch_norm"):
        assert np.abs(to_numpy(tcn.blocks[0].norm1.moving_mean)).max() > 1e-3

    full = to_numpy(tcn(x))
    streamed, state = stream(tcn, x)
    np.testing.assert_allclose(streamed, full, atol=1e-5)

    expected_shapes = []
    for block in tcn.blocks:
        span = 2 * block.dilation_rate
        channels_in = block.conv1.kernel.shape[1]
        expected_shapes += [(2, span, channels_in), (2, span, block.filters)]
    assert [tuple(s.shape) for s in state] == expected_shapes

    last_config = {**tcn.get_config(), "return_sequences": False}
    last = TCN.from_config(last_config)
    last.build(x.shape)
    last.set_weights(tcn.get_weights())
    np.testing.assert_allclose(to_numpy(last(x)), streamed[:, -1], atol=1e-5)


def test_tcn_step_compiles():
    x = np.random.default_rng(7).normal(size=(2, 12, 3)).astype("float32")
    tcn = TCN(nb_filters=4, dilations=[1, 2], use_batch_norm=True)
    tcn.build(x.shape)
    randomize_weights(tcn)
    eager, _ = stream(tcn, x)
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        compiled_step = jax.jit(tcn.step)
    elif backend == "tensorflow":
        import tensorflow as tf

        compiled_step = tf.function(tcn.step)
    else:
        pytest.skip(f"no compiler for backend {backend}")
    compiled, _ = stream(tcn, x, compiled_step)
    np.testing.assert_allclose(compiled, eager, atol=1e-5)


# --- Bad arguments --------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(dilations=[]), "dilations"),
        (dict(dilations=[1, 0]), "dilations"),
        (dict(dilations=[1, 2.5]), "dilations"),
        (dict(dilations=4), "dilations"),
        (dict(use_batch_norm=True, use_layer_norm=True), "At most one"),
        (
            dict(use_layer_norm=True, use_weight_norm=True),
            "use_weight_norm=True",
        ),
        (dict(padding="valid"), "padding"),
        (dict(dropout_rate=-0.1), "dropout_rate"),
        (dict(dropout_rate=1.0), "dropout_rate"),
        (dict(nb_filters=0), "nb_filters"),
        (dict(nb_filters="64"), "nb_filters"),
        (
            dict(nb_filters=[8, 8], dilations=[1, 2, 4]),
            "one entry per dilation",
        ),
        (dict(nb_filters=[8, 16], dilations=[1, 2]), "same number of filters"),
        (dict(kernel_size=0), "kernel_size"),
        (dict(nb_stacks=0), "nb_stacks"),
    ],
)
def test_tcn_bad_args(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TCN(**kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(filters=0, kernel_size=3, dilation_rate=1), "filters"),
        (dict(filters=4, kernel_size=3, dilation_rate=0), "dilation_rate"),
        (
            dict(filters=4, kernel_size=3, dilation_rate=1, padding="valid"),
            "padding",
        ),
        (
            dict(
                filters=4, kernel_size=3, dilation_rate=1, normalization="group"
            ),
            "normalization",
        ),
        (
            dict(
                filters=4,
                kernel_size=3,
                dilation_rate=1,
                data_format="channels_first",
            ),
            "channels_last",
        ),
        (
            dict(filters=4, kernel_size=3, dilation_rate=1, dropout_rate=2),
            "dropout_rate",
        ),
    ],
)
def test_tcn_block_bad_args(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TCNBlock(**kwargs)


def test_tcn_streaming_errors():
    with pytest.raises(ValueError, match="must be built"):
        TCN(nb_filters=4, dilations=[1]).get_initial_state(1)
    same = TCN(nb_filters=4, dilations=[1], padding="same")
    same.build((None, 8, 3))
    with pytest.raises(ValueError, match="padding='causal'"):
        same.get_initial_state(1)

    tcn = TCN(nb_filters=4, dilations=[1, 2])
    tcn.build((None, 8, 3))
    state = tcn.get_initial_state(2)
    with pytest.raises(ValueError, match=r"shape \(batch, 3\)"):
        tcn.step(np.zeros((2, 1, 3), "float32"), state)
    with pytest.raises(ValueError, match=r"shape \(batch, 3\)"):
        tcn.step(np.zeros((2, 4), "float32"), state)
    with pytest.raises(ValueError, match="`state` must be"):
        tcn.step(np.zeros((2, 3), "float32"), state[:-1])
    with pytest.raises(ValueError, match="`state` must be"):
        tcn.step(np.zeros((2, 3), "float32"), state[::-1])
    with pytest.raises(ValueError, match="channel dimension"):
        TCNBlock(4, 3, 1).build((None, 8, None))


# --- Compatibility with keras-tcn -----------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(),
        dict(padding="same", return_sequences=True, use_batch_norm=True),
        dict(nb_stacks=2, use_skip_connections=False, use_layer_norm=True),
    ],
)
def test_tcn_matches_keras_tcn_interface(kwargs):
    if keras.backend.backend() != "tensorflow":
        pytest.skip("keras-tcn is written for the TensorFlow backend")
    tcn_package = pytest.importorskip("tcn")
    kwargs = dict(
        nb_filters=4,
        kernel_size=3,
        dilations=[1, 2, 4],
        dropout_rate=0.1,
        activation="relu",
        kernel_initializer="he_normal",
        **kwargs,
    )
    ours = TCN(**kwargs)
    theirs = tcn_package.TCN(**kwargs)
    x = np.ones((2, 16, 3), "float32")
    inputs = keras.Input((16, 3))
    our_model = keras.Model(inputs, ours(inputs))
    their_model = keras.Model(inputs, theirs(inputs))
    assert to_numpy(ours(x)).shape == to_numpy(theirs(x)).shape
    assert our_model.output_shape == their_model.output_shape
    assert our_model.count_params() == their_model.count_params()
    assert ours.receptive_field == theirs.receptive_field
