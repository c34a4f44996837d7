"""`StreamingTCN`: the compiled streamer that keeps its own state gives
the full call's output at every step, whatever the chunks, and its state
can be read, saved and given back."""

import numpy as np
import pytest

from tests.layers.test_tcn_streaming import CHUNKS
from tests.layers.test_tcn_streaming import inputs
from tests.layers.test_tcn_streaming import make_tcn
from tests.layers.test_tcn_streaming import randomize_weights
from tests.layers.test_tcn_streaming import to_numpy
from zoo.layers import TCN
from zoo.layers.tcn_streamer import StreamingTCN


def feed(streamer, x, chunks=CHUNKS, start=0):
    outputs = []
    for n in chunks:
        outputs.append(to_numpy(streamer(x[:, start : start + n])))
        start += n
    return np.concatenate(outputs, axis=1)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(),
        dict(use_batch_norm=True),
        dict(use_weight_norm=True),
        dict(dropout_rate=0.2, nb_stacks=2),  # a dropout's seed variable
        dict(use_skip_connections=False, kernel_size=2),
    ],
)
def test_every_output_equals_the_full_call(kwargs):
    tcn = make_tcn(**kwargs)
    x = inputs(4)
    streamer = tcn.make_streamer(batch_size=2)
    assert isinstance(streamer, StreamingTCN)
    np.testing.assert_allclose(feed(streamer, x), to_numpy(tcn(x)), atol=1e-5)


def test_one_sample_at_a_time_equals_the_full_call():
    tcn = make_tcn(dilations=[1, 2, 4, 8])
    x = inputs(5, batch=1)
    streamer = StreamingTCN(tcn)
    streamed = feed(streamer, x, chunks=[1] * x.shape[1])
    np.testing.assert_allclose(streamed, to_numpy(tcn(x)), atol=1e-5)


def test_state_is_saved_given_back_and_reset():
    tcn = make_tcn()
    x = inputs(6)
    streamer = tcn.make_streamer(batch_size=2)
    full = to_numpy(tcn(x))
    feed(streamer, x, chunks=[5])
    saved = [to_numpy(buffer) for buffer in streamer.state]
    assert [b.shape for b in saved] == [
        tuple(b.shape) for b in tcn.get_initial_state(2)
    ]
    rest = feed(streamer, x, chunks=[4, 1], start=5)
    np.testing.assert_allclose(rest, full[:, 5:10], atol=1e-5)

    # A new streamer given the saved state resumes the same stream.
    resumed = tcn.make_streamer(batch_size=2)
    resumed.state = tuple(saved)
    again = feed(resumed, x, chunks=[5], start=5)
    np.testing.assert_allclose(again, full[:, 5:10], atol=1e-5)

    streamer.reset()
    np.testing.assert_allclose(
        feed(streamer, x, chunks=[3]), full[:, :3], atol=1e-5
    )


def test_the_current_weights_are_read_at_every_call():
    tcn = make_tcn()
    x = inputs(7)
    streamer = tcn.make_streamer(batch_size=2)
    feed(streamer, x, chunks=[2])
    randomize_weights(tcn, seed=9)
    streamer.reset()
    np.testing.assert_allclose(
        feed(streamer, x, chunks=[6]), to_numpy(tcn(x))[:, :6], atol=1e-5
    )


def test_streamer_errors():
    tcn = make_tcn()
    streamer = tcn.make_streamer(batch_size=2)
    with pytest.raises(ValueError, match=r"\(2, n, 3\).*\(1, 4, 3\)"):
        streamer(np.zeros((1, 4, 3), "float32"))
    with pytest.raises(ValueError, match=r"\(2, n, 3\).*\(2, 4\)"):
        streamer(np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match="batch_size=2; the state holds 1"):
        streamer.state = tcn.get_initial_state(1)
    with pytest.raises(ValueError, match="`state` must be"):
        streamer.state = tcn.get_initial_state(2)[1:]
    with pytest.raises(ValueError, match="positive int batch_size"):
        StreamingTCN(tcn, batch_size=0)
    same = TCN(nb_filters=4, dilations=[1], padding="same")
    same.build((None, 8, 3))
    with pytest.raises(ValueError, match="padding='causal'"):
        same.make_streamer()
