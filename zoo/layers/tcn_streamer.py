"""`StreamingTCN`: a causal TCN that keeps its own stream state.

`TCN.stream` is a pure function of `(inputs, state)`; its state is a
tuple of one buffer per dilated conv (16 for 8 blocks). On TensorFlow,
handing those buffers to a compiled function and back costs more per
call than the conv work of one new sample: `StreamingTCN` keeps them
packed in one `tf.Variable` that the compiled function reads and
updates in place (`python -m bench.streaming`, sequential-MNIST TCN,
one sample per call on a 2-core CPU: 1.62 ms through
`make_streaming_fn`, 0.975 ms through `StreamingTCN`). On JAX the
tuple stays as it is, because packing costs more inside XLA than it
saves, and the streamer simply holds it between calls.
"""

import keras
import numpy as np
from keras import ops

from zoo.layers.tcn_streaming import check_streamable


def pack_state(state):
    """One `(batch, total)` tensor holding every buffer of `state`."""
    batch = ops.shape(state[0])[0]
    return ops.concatenate([ops.reshape(b, (batch, -1)) for b in state], 1)


def unpack_state(packed, shapes):
    """The tuple of buffers `pack_state` packed; `shapes` are their
    per-sample shapes `(span, channels)`."""
    buffers, start = [], 0
    for span, channels in shapes:
        size = span * channels
        flat = packed[:, start : start + size]
        buffers.append(ops.reshape(flat, (-1, span, channels)))
        start += size
    return tuple(buffers)


class StreamingTCN:
    """A causal `TCN` fed chunk by chunk, remembering what it has read.

    Calling it on the next `n` samples of `batch_size` streams returns
    the `n` outputs of the full `return_sequences=True` call at those
    steps (as `TCN.stream`), compiled for the backend:
    `tf.function(jit_compile=...)` on TensorFlow, `jax.jit` on JAX,
    `torch.no_grad()` on torch. Each new chunk size compiles once.

    It reads the layer's current weights at every call.

    Args:
        tcn: a built causal `TCN` (`padding="causal"`).
        batch_size: int. Number of streams fed side by side. Defaults
            to 1.
        jit_compile: bool. On TensorFlow, compile with XLA. Defaults to
            `True`.

    Input shape:
        `(batch_size, n, channels)`: the next `n` samples of each stream.

    Output shape:
        `(batch_size, n, nb_filters)`: the TCN's outputs at those steps.

    Example:

    >>> tcn = TCN(nb_filters=8, dilations=[1, 2], return_sequences=True)
    >>> tcn.build((None, None, 1))
    >>> streamer = StreamingTCN(tcn)
    >>> streamer(np.ones((1, 4, 1), "float32")).shape
    (1, 4, 8)
    >>> streamer(np.ones((1, 1, 1), "float32")).shape  # the 5th step
    (1, 1, 8)
    >>> saved = streamer.state  # a tuple of buffers, as `stream` takes
    >>> streamer.reset()        # back to an empty stream
    """

    def __init__(self, tcn, batch_size=1, jit_compile=True):
        check_streamable(tcn)
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(
                f"Expected a positive int batch_size, got {batch_size!r}."
            )
        self.tcn = tcn
        self.batch_size = batch_size
        initial = tcn.get_initial_state(batch_size)
        self._shapes = [tuple(buffer.shape[1:]) for buffer in initial]
        self._channels = tcn.input_spec.axes[-1]
        self._backend = keras.backend.backend()
        self._packed = None
        self._compile(jit_compile)
        self.state = initial

    @property
    def state(self):
        """The stream's buffers, a tuple as `TCN.get_initial_state`
        returns: save them (`keras.ops.convert_to_numpy`) and assign them
        back to resume the stream."""
        if self._backend == "tensorflow":
            return unpack_state(self._packed.value(), self._shapes)
        return self._state

    @state.setter
    def state(self, state):
        self.tcn._check_state(state)
        if ops.shape(state[0])[0] != self.batch_size:
            raise ValueError(
                f"The streamer has batch_size={self.batch_size}; the state "
                f"holds {ops.shape(state[0])[0]} streams."
            )
        dtype = self.tcn.compute_dtype
        state = tuple(ops.cast(buffer, dtype) for buffer in state)
        if self._backend != "tensorflow":
            self._state = state
        elif self._packed is None:
            import tensorflow as tf

            self._packed = tf.Variable(pack_state(state), trainable=False)
        else:
            self._packed.assign(pack_state(state))

    def reset(self):
        """Forgets the stream: the next call is its first step."""
        self.state = self.tcn.get_initial_state(self.batch_size)

    def __call__(self, inputs):
        shape = tuple(getattr(inputs, "shape", np.shape(inputs)))
        if (
            len(shape) != 3
            or shape[0] != self.batch_size
            or shape[2] != self._channels
        ):
            raise ValueError(
                "StreamingTCN expects inputs of shape (batch_size, n, "
                f"channels) = ({self.batch_size}, n, {self._channels}). "
                f"Received: inputs.shape={shape}"
            )
        dtype = self.tcn.compute_dtype
        if isinstance(inputs, np.ndarray) and inputs.dtype != dtype:
            # One compiled function per dtype is enough. Tensors and NumPy
            # arrays of that dtype go in as they are: converting them
            # here would cost as much as a step.
            inputs = inputs.astype(dtype)
        return self._call(inputs)

    def _compile(self, jit_compile):
        if self._backend != "tensorflow":
            # On JAX the tuple is cheaper than packing: the concatenations
            # cost more inside XLA than handing over 16 arrays saves.
            stream = self.tcn.make_streaming_fn(jit_compile=jit_compile)

            def tuple_call(inputs):
                outputs, self._state = stream(inputs, self._state)
                return outputs

            self._call = tuple_call
            return
        import tensorflow as tf

        def tf_call(inputs):
            state = unpack_state(self._packed.value(), self._shapes)
            outputs, state = self.tcn.stream(inputs, state)
            self._packed.assign(pack_state(state))
            return outputs

        self._call = tf.function(tf_call, jit_compile=jit_compile)
