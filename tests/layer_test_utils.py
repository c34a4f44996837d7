"""A small `run_layer_test` in the spirit of keras' own test case.

keras' `testing.TestCase.run_layer_test` is private (`keras.src`), so this
helper re-implements the checks the zoo needs with the public API: build and
call, output shape against `compute_output_shape`, weight counts, the
get_config -> from_config -> get_config round trip, a `.keras` save/load
round trip with equal outputs, and one training step. It also holds the
numpy reference convolution and the random-weights helper the conv tests
share.
"""

import keras
import numpy as np


def run_layer_test(
    layer_cls,
    init_kwargs,
    input_shape,
    expected_output_shape=None,
    expected_num_trainable_weights=None,
    expected_num_non_trainable_weights=None,
    tmp_path=None,
    run_training_step=True,
    atol=1e-5,
):
    """Runs the standard checks on one layer configuration.

    Returns the built layer so callers can make further assertions.
    """
    rng = np.random.default_rng(0)
    x = rng.normal(size=input_shape).astype("float32")
    layer = layer_cls(**init_kwargs)
    y = keras.ops.convert_to_numpy(layer(x))

    expected = expected_output_shape or tuple(y.shape)
    assert tuple(y.shape) == tuple(expected), (y.shape, expected)
    static = layer.compute_output_shape(input_shape)
    if isinstance(static, tuple) and static and isinstance(static[0], tuple):
        static = static[0]
    assert tuple(static) == tuple(expected), (static, expected)
    # compute_output_shape keeps unknown dimensions unknown.
    unknown = (None,) + tuple(input_shape[1:])
    assert layer.compute_output_shape(unknown)[0] is None

    if expected_num_trainable_weights is not None:
        assert len(layer.trainable_weights) == expected_num_trainable_weights
    if expected_num_non_trainable_weights is not None:
        assert (
            len(layer.non_trainable_weights)
            == expected_num_non_trainable_weights
        )

    config = layer.get_config()
    clone = layer_cls.from_config(config)
    assert clone.get_config() == config
    serialized = keras.saving.serialize_keras_object(layer)
    revived = keras.saving.deserialize_keras_object(serialized)
    assert revived.get_config() == config

    inputs = keras.Input(shape=input_shape[1:], batch_size=None)
    model = keras.Model(inputs, layer_cls(**init_kwargs)(inputs))
    reference = keras.ops.convert_to_numpy(model(x))
    if tmp_path is not None:
        path = tmp_path / f"{layer_cls.__name__}.keras"
        model.save(path)
        loaded = keras.models.load_model(path)
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(loaded(x)), reference, atol=atol
        )

    if run_training_step and model.trainable_weights:
        model.compile(optimizer="sgd", loss="mse")
        target = np.zeros_like(reference)
        model.fit(x, target, batch_size=len(x), epochs=1, verbose=0)
    return layer


def random_weights(layer):
    """Sets and returns random weights. Tests build layers with "zeros"
    initializers and call this instead, because on JAX every new kernel
    shape makes a random initializer compile (about 1 s each)."""
    rng = np.random.default_rng(7)
    layer.set_weights(
        [rng.normal(size=w.shape).astype("float32") for w in layer.weights]
    )
    return [w.numpy() for w in layer.weights]


def np_dilated_conv(x, kernel, bias, strides, padding, dilation):
    """Channels-last N-d convolution written from the definition.

    The dilated kernel is built explicitly by inserting `d - 1` zeros
    between taps (as keras' own `np_conv1d` reference does), so dilation
    never goes through the code under test. `padding` is applied with
    `np.pad`: zeros for "same" (keras' split, extra pixel after) and
    "causal" (all before), mirrored values for "reflect".
    """
    rank = x.ndim - 2
    k_eff = [k + (k - 1) * (d - 1) for k, d in zip(kernel.shape, dilation)]
    dilated = np.zeros(tuple(k_eff) + kernel.shape[rank:], kernel.dtype)
    dilated[tuple(slice(None, None, d) for d in dilation)] = kernel

    pads = [(0, 0)]
    for size, k, s in zip(x.shape[1:-1], k_eff, strides):
        if padding == "valid":
            pads.append((0, 0))
        elif padding == "causal":
            pads.append((k - 1, 0))
        elif padding == "reflect":
            pads.append(((k - 1) // 2, k - 1 - (k - 1) // 2))
        else:
            out = -(-size // s)
            total = max((out - 1) * s + k - size, 0)
            pads.append((total // 2, total - total // 2))
    pads.append((0, 0))
    mode = "reflect" if padding == "reflect" else "constant"
    xp = np.pad(x.astype("float64"), pads, mode=mode)

    out_sizes = [
        (xp.shape[i + 1] - k_eff[i]) // strides[i] + 1 for i in range(rank)
    ]
    y = np.zeros((x.shape[0], *out_sizes, kernel.shape[-1]))
    for offset in np.ndindex(*k_eff):
        window = tuple(
            slice(o, o + (n - 1) * s + 1, s)
            for o, n, s in zip(offset, out_sizes, strides)
        )
        y += xp[(slice(None),) + window] @ dilated[offset]
    if bias is not None:
        y += bias
    return y


def keras_conv(conv_cls, weights, x, *args, data_format=None, **kwargs):
    """The output of a built-in keras conv with `weights` on `x`.

    A `channels_first` reference runs `channels_last` on the transposed
    input and is transposed back: TensorFlow's CPU conv takes
    `channels_first` only when oneDNN is on, and it is off by default on
    AMD CPUs.
    """
    channels_first = data_format == "channels_first"
    if channels_first:
        x = np.moveaxis(x, 1, -1)
    conv = conv_cls(*args, data_format="channels_last", **kwargs)
    conv.build(x.shape)
    conv.set_weights(weights)
    y = keras.ops.convert_to_numpy(conv(x))
    return np.moveaxis(y, -1, 1) if channels_first else y


def assert_matches_numpy(layer, x, tol=1e-4):
    """Gives a `DilatedConv*` layer random weights and checks its output
    on `x`, and its static output shape, against `np_dilated_conv`.

    Returns the output as a numpy array.
    """
    layer.build(x.shape)
    kernel, bias = random_weights(layer)
    channels_first = layer.data_format == "channels_first"
    x_last = np.moveaxis(x, 1, -1) if channels_first else x
    expected = np_dilated_conv(
        x_last,
        kernel,
        bias,
        layer.strides,
        layer.padding,
        layer.dilation_rate,
    )
    if channels_first:
        expected = np.moveaxis(expected, -1, 1)
    y = keras.ops.convert_to_numpy(layer(x))
    assert y.shape == tuple(layer.compute_output_shape(x.shape))
    np.testing.assert_allclose(y, expected, rtol=tol, atol=tol)
    return y
