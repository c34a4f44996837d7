"""Streaming inference for causal TCNs: input buffers, steps and chunks.

A causal dilated conv with kernel `k` and dilation `d` needs, besides its
new input, only its last `(k - 1) d` inputs. Keeping those in a buffer per
conv lets a TCN run on a sequence that arrives piece by piece, at a cost
per step that does not depend on how long the sequence has been running,
with the values of the full call.
"""

import keras
from keras import ops


def check_streamable(layer):
    """Raises a `ValueError` unless `layer` (a `TCN` or `TCNBlock`) can
    stream: causal padding, forward in time, and built."""
    if layer.padding != "causal":
        raise ValueError(
            "Streaming inference (`get_initial_state` / `step`) needs "
            "padding='causal': with 'same' padding an output depends on "
            f"future inputs. Received: padding={layer.padding!r}"
        )
    if getattr(layer, "go_backwards", False):
        raise ValueError(
            "Streaming inference reads the sequence forward in time, so it "
            "needs go_backwards=False. Received: go_backwards=True"
        )
    if not layer.built:
        raise ValueError(
            f"Layer {layer.name} must be built before streaming; call it "
            "on a batch of sequences or call `build(input_shape)` first."
        )


def causal_conv_chunk(conv, x, buffer):
    """`n` new steps of a causal `DilatedConv1D`, given its input buffer.

    Args:
        conv: a built `DilatedConv1D` (channels_last).
        x: tensor `(batch, n, channels)`, the conv's next `n` inputs.
        buffer: tensor `(batch, (k - 1) * d, channels)`, its last inputs,
            oldest first.

    Returns:
        `(y, new_buffer)`: `y` of shape `(batch, n, filters)`. A "valid"
        conv over buffer + chunk yields exactly the `n` outputs, so no
        step is computed twice.
    """
    window = ops.concatenate([buffer, x], axis=1)
    # Outside `__call__` keras does not autocast variables.
    kernel = ops.cast(conv.conv_kernel, window.dtype)
    dilation = conv.dilation_rate[0]
    if x.shape[1] == 1:
        # One new step reads `k` taps: a matmul is cheaper than a conv
        # call for that single output.
        taps = window[:, ::dilation, :]
        k, channels, filters = kernel.shape
        y = ops.matmul(
            ops.reshape(taps, (-1, k * channels)),
            ops.reshape(kernel, (k * channels, filters)),
        )
        y = ops.expand_dims(y, 1)
    else:
        y = ops.conv(window, kernel, padding="valid", dilation_rate=dilation)
    if conv.use_bias:
        y = y + ops.cast(conv.bias, y.dtype)
    span = buffer.shape[1]
    return y, window[:, ops.shape(window)[1] - span :, :]


class TCNStreamingMixin:
    """`get_initial_state`, `step`, `stream` and `make_streaming_fn` for
    `TCN`, which provides `blocks`, `kernel_size`, `input_spec` and
    `_combine(x, skips)`."""

    def get_initial_state(self, batch_size):
        """Zero buffers for `step` and `stream`, one per dilated conv.

        Args:
            batch_size: int. Number of sequences streamed in parallel.

        Returns:
            A tuple with two tensors per block (`len(blocks) * 2` in all),
            in block order; the buffer of a conv with dilation `d` and `c`
            input channels has shape `(batch_size, (kernel_size - 1) * d,
            c)`. It can be saved (`keras.ops.convert_to_numpy`) and given
            back later to resume the stream.
        """
        check_streamable(self)
        state = []
        for block in self.blocks:
            state.extend(block.get_initial_state(batch_size))
        return tuple(state)

    def step(self, inputs, state):
        """Computes the output at one new time step, in inference mode.

        Args:
            inputs: tensor `(batch, channels)`, the input at time `t`.
            state: tuple of buffers from `get_initial_state`, `step` or
                `stream`.

        Returns:
            `(output, new_state)`: `output` of shape `(batch, filters)`
            equals the `return_sequences=True` output of the full call at
            time `t` (and so the `return_sequences=False` output when `t`
            is the last step); `new_state` replaces `state`. Nothing is
            mutated, so `step` can be jitted (`jax.jit`, `tf.function`).

        Raises:
            ValueError: with `padding="same"` or `go_backwards=True`,
                before the layer is built, or when `inputs` or `state`
                have the wrong shape.
        """
        inputs = self._streaming_inputs(inputs, 2, "`step`", "(batch, {})")
        return self._run_blocks("step", inputs, state)

    def stream(self, inputs, state):
        """Computes the outputs at `n` new time steps, in inference mode.

        Feeding a sequence in chunks of any sizes gives, at every step,
        the `return_sequences=True` output of the full call; a chunk of
        `n` steps costs one conv call per conv instead of `n` steps.

        Args:
            inputs: tensor `(batch, n, channels)`, the next `n` inputs.
            state: tuple of buffers from `get_initial_state`, `step` or
                `stream`.

        Returns:
            `(outputs, new_state)`: `outputs` of shape `(batch, n,
            filters)` and the tuple of buffers after the last new step.

        Raises:
            ValueError: as `step`, for inputs that are not `(batch, n,
                channels)`.
        """
        inputs = self._streaming_inputs(inputs, 3, "`stream`", "(batch, n, {})")
        return self._run_blocks("stream", inputs, state)

    def make_streamer(self, batch_size=1, jit_compile=True):
        """A compiled `StreamingTCN` over this layer, which keeps the
        stream state itself: `streamer(chunk) -> outputs`. The fastest
        way to stream, one small chunk at a time."""
        from zoo.layers.tcn_streamer import StreamingTCN

        return StreamingTCN(
            self, batch_size=batch_size, jit_compile=jit_compile
        )

    def make_streaming_fn(self, jit_compile=True):
        """Returns `stream` compiled for the current backend.

        `tf.function(jit_compile=...)` on TensorFlow, `jax.jit` on JAX
        (the layer's variables are passed in at each call, so later
        weight updates are seen), and `stream` under `torch.no_grad()` on
        torch. Each new chunk size compiles once.

        Args:
            jit_compile: bool. On TensorFlow, compile with XLA. Defaults
                to `True`.

        Returns:
            A function `(inputs, state) -> (outputs, new_state)` with the
            arguments and results of `stream`.

        Example:

        >>> tcn = TCN(nb_filters=8, dilations=[1, 2], return_sequences=True)
        >>> tcn.build((None, None, 1))
        >>> fn = tcn.make_streaming_fn()
        >>> y, state = fn(keras.ops.ones((1, 4, 1)), tcn.get_initial_state(1))
        >>> y.shape
        (1, 4, 8)
        """
        check_streamable(self)
        backend = keras.backend.backend()
        if backend == "tensorflow":
            import tensorflow as tf

            return tf.function(self.stream, jit_compile=jit_compile)
        if backend == "jax":
            import jax

            variables = list(self.variables)

            def pure(values, inputs, state):
                mapping = list(zip(variables, values))
                with keras.StatelessScope(state_mapping=mapping):
                    return self.stream(inputs, state)

            compiled = jax.jit(pure)

            def streaming_fn(inputs, state):
                return compiled([v.value for v in variables], inputs, state)

            return streaming_fn
        if backend == "torch":
            import torch

            def torch_streaming_fn(inputs, state):
                with torch.no_grad():
                    return self.stream(inputs, state)

            return torch_streaming_fn
        return self.stream

    def _streaming_inputs(self, inputs, ndim, method, shape):
        check_streamable(self)
        inputs = ops.convert_to_tensor(inputs, dtype=self.compute_dtype)
        channels = self.input_spec.axes[-1]
        if len(inputs.shape) != ndim or inputs.shape[-1] != channels:
            shape = shape.format(channels)
            raise ValueError(
                f"{method} expects inputs of shape {shape}. "
                f"Received: inputs.shape={tuple(inputs.shape)}"
            )
        return inputs

    def _run_blocks(self, method, x, state):
        self._check_state(state)
        skips = []
        new_state = []
        for i, block in enumerate(self.blocks):
            run = getattr(block, method)
            (x, skip), block_state = run(x, state[2 * i : 2 * i + 2])
            skips.append(skip)
            new_state.extend(block_state)
        return self._combine(x, skips), tuple(new_state)

    def _check_state(self, state):
        expected = [
            ((self.kernel_size - 1) * block.dilation_rate, conv.kernel.shape[1])
            for block in self.blocks
            for conv in (block.conv1, block.conv2)
        ]
        if isinstance(state, (list, tuple)):
            received = [tuple(buffer.shape[1:]) for buffer in state]
        else:
            received = type(state).__name__
        if received != expected:
            raise ValueError(
                "`state` must be the tuple returned by `get_initial_state`, "
                "`step` or `stream`: one buffer per dilated conv with "
                f"per-sample shapes {expected}. Received: {received!r}"
            )
