"""Chunked and compiled streaming of a causal TCN: every output equals the
full call at that step, whatever the chunk sizes, and the state is a
plain tuple of tensors that can be saved and restored."""

import keras
import numpy as np
import pytest

from zoo.layers import TCN

# Chunk sizes that cross block buffers unevenly (1, longer than the
# largest buffer, and in between).
CHUNKS = (1, 7, 1, 13, 3, 15)
STEPS = sum(CHUNKS)


def to_numpy(x):
    return keras.ops.convert_to_numpy(x)


def randomize_weights(layer, seed=0):
    # Kernels of scale 0.3 keep outputs of order 1, where float32 resolves
    # the 1e-5 tolerance (scale 0.5 grows them past 100 over six blocks).
    rng = np.random.default_rng(seed)
    for w in layer.weights:
        scale = w.name in ("moving_variance", "weight_norm_g", "gamma")
        shape = tuple(w.shape)
        w.assign(
            rng.uniform(0.5, 1.5, shape) if scale else rng.normal(0, 0.3, shape)
        )


def make_tcn(**kwargs):
    kwargs = {
        "nb_filters": 4,
        "kernel_size": 3,
        "dilations": [1, 2, 4],
        **kwargs,
    }
    tcn = TCN(return_sequences=True, **kwargs)
    tcn.build((None, None, 3))
    randomize_weights(tcn)
    return tcn


def stream_in_chunks(fn, tcn, x, chunks=CHUNKS):
    state = tcn.get_initial_state(x.shape[0])
    outputs, start = [], 0
    for n in chunks:
        y, state = fn(x[:, start : start + n], state)
        assert tuple(y.shape) == (x.shape[0], n, tcn.blocks[-1].filters)
        outputs.append(to_numpy(y))
        start += n
    return np.concatenate(outputs, axis=1), state


def inputs(seed=1, batch=2):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(batch, STEPS, 3)).astype("float32")


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(),
        dict(use_batch_norm=True, nb_stacks=2),
        dict(use_layer_norm=True, activation="tanh", double_activation=True),
        dict(use_weight_norm=True, activation="gelu"),
        dict(nb_filters=[3, 5, 4], use_skip_connections=False),
        dict(kernel_size=1, dilations=[1]),
    ],
)
def test_stream_matches_full_call_at_every_step(kwargs):
    tcn = make_tcn(**kwargs)
    x = inputs()
    full = to_numpy(tcn(x))
    streamed, state = stream_in_chunks(tcn.stream, tcn, x)
    np.testing.assert_allclose(streamed, full, atol=1e-5)
    assert isinstance(state, tuple)
    assert len(state) == 2 * len(tcn.blocks)


def test_stream_and_step_mix_and_state_restores():
    tcn = make_tcn()
    x = inputs(2)
    full = to_numpy(tcn(x))
    state = tcn.get_initial_state(2)
    y0, state = tcn.step(x[:, 0], state)
    y1, state = tcn.stream(x[:, 1:10], state)
    # A saved state (numpy) resumes the stream where it stopped.
    saved = tuple(to_numpy(s) for s in state)
    y2, _ = tcn.stream(x[:, 10:], saved)
    y2_again, _ = tcn.stream(x[:, 10:], saved)
    got = np.concatenate([to_numpy(y0)[:, None], to_numpy(y1), to_numpy(y2)], 1)
    np.testing.assert_allclose(got, full, atol=1e-5)
    np.testing.assert_array_equal(to_numpy(y2), to_numpy(y2_again))


def test_stream_last_output_equals_single_step_model():
    tcn = make_tcn(nb_stacks=2)
    x = inputs(3)
    streamed, _ = stream_in_chunks(tcn.stream, tcn, x)
    last = TCN.from_config({**tcn.get_config(), "return_sequences": False})
    last.build(x.shape)
    last.set_weights(tcn.get_weights())
    np.testing.assert_allclose(to_numpy(last(x)), streamed[:, -1], atol=1e-5)


@pytest.mark.parametrize("kwargs", [dict(), dict(use_batch_norm=True)])
def test_make_streaming_fn_matches_full_call(kwargs):
    tcn = make_tcn(**kwargs)
    x = inputs(4)
    fn = tcn.make_streaming_fn()
    streamed, _ = stream_in_chunks(fn, tcn, x)
    np.testing.assert_allclose(streamed, to_numpy(tcn(x)), atol=1e-5)
    # The compiled function reads the current weights, not a snapshot.
    randomize_weights(tcn, seed=5)
    streamed, _ = stream_in_chunks(fn, tcn, x)
    np.testing.assert_allclose(streamed, to_numpy(tcn(x)), atol=1e-5)


def test_stream_errors():
    tcn = make_tcn()
    state = tcn.get_initial_state(2)
    with pytest.raises(ValueError, match=r"shape \(batch, n, 3\)"):
        tcn.stream(np.zeros((2, 3), "float32"), state)
    with pytest.raises(ValueError, match=r"shape \(batch, n, 3\)"):
        tcn.stream(np.zeros((2, 4, 2), "float32"), state)
    with pytest.raises(ValueError, match="`state` must be"):
        tcn.stream(np.zeros((2, 4, 3), "float32"), state[1:])
    backwards = TCN(nb_filters=4, dilations=[1], go_backwards=True)
    backwards.build((None, 8, 3))
    with pytest.raises(ValueError, match="go_backwards=False"):
        backwards.get_initial_state(1)
    with pytest.raises(ValueError, match="padding='causal'"):
        same = TCN(nb_filters=4, dilations=[1], padding="same")
        same.build((None, 8, 3))
        same.make_streaming_fn()
