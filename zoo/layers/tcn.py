"""Temporal convolutional network (TCN) layer with streaming inference."""

import math

import keras
from keras import ops

from zoo.layers.tcn_block import TCNBlock
from zoo.layers.tcn_streaming import TCNStreamingMixin
from zoo.utils import validation


def check_nb_filters(nb_filters, dilations, use_skip_connections):
    """Returns an int or a tuple with one positive int per dilation."""
    if isinstance(nb_filters, int) and not isinstance(nb_filters, bool):
        return validation.positive_int(nb_filters, "nb_filters")
    if not isinstance(nb_filters, (list, tuple)):
        raise ValueError(
            "Invalid value for argument `nb_filters`. Expected an int or a "
            f"list of ints. Received: nb_filters={nb_filters!r}"
        )
    values = tuple(validation.positive_int(f, "nb_filters") for f in nb_filters)
    if len(values) != len(dilations):
        raise ValueError(
            "A list `nb_filters` needs one entry per dilation. Received: "
            f"nb_filters={list(nb_filters)} ({len(values)} entries), "
            f"dilations={list(dilations)} ({len(dilations)} entries)"
        )
    if use_skip_connections and len(set(values)) > 1:
        raise ValueError(
            "Skip connections add the outputs of all blocks, so they need "
            "the same number of filters in every block; pass "
            "use_skip_connections=False or equal filters. Received: "
            f"nb_filters={list(nb_filters)}, use_skip_connections=True"
        )
    return values


def last_step_spacings(dilations):
    """Input spacing of each causal block when only the last step is read.

    Block `i` with dilation `d` needs its input only at steps `last - n g`
    (n = 0, 1, ...) with `g = gcd(d, s)`, where `s` is the spacing the next
    block needs (the last block needs its final step only, so `g = d`).
    For dilations 1, 2, 4, ... this gives `g = d`: the first block sees the
    whole sequence, the next every second step, and so on.
    """
    spacings = []
    needed = None
    for dilation in reversed(dilations):
        needed = dilation if needed is None else math.gcd(needed, dilation)
        spacings.append(needed)
    return spacings[::-1]


def check_one_normalization(use_batch_norm, use_layer_norm, use_weight_norm):
    """Maps the three keras-tcn flags to `TCNBlock`'s `normalization`."""
    flags = {
        "batch": bool(use_batch_norm),
        "layer": bool(use_layer_norm),
        "weight": bool(use_weight_norm),
    }
    chosen = [name for name, on in flags.items() if on]
    if len(chosen) > 1:
        raise ValueError(
            "At most one of `use_batch_norm`, `use_layer_norm` and "
            "`use_weight_norm` can be True. Received: "
            f"use_batch_norm={use_batch_norm}, "
            f"use_layer_norm={use_layer_norm}, "
            f"use_weight_norm={use_weight_norm}"
        )
    return chosen[0] if chosen else None


@keras.saving.register_keras_serializable(package="zoo")
class TCN(TCNStreamingMixin, keras.layers.Layer):
    """Temporal convolutional network: stacks of dilated residual blocks.

    The layer runs `nb_stacks` passes over `dilations`, one `TCNBlock` per
    (stack, dilation), each feeding the next. With
    `use_skip_connections=True` the result is the sum of every block's conv
    branch (its skip output), otherwise the last block's output. Argument
    names and defaults follow the keras-tcn package, so switching is a
    change of import; unlike keras-tcn, `dilations` are used exactly as
    given (any positive ints, not only powers of two) and weight
    normalisation is available.

    With `return_sequences=False` one step is returned: the last one for
    `padding="causal"` (it has seen the whole sequence), the middle one
    (`steps // 2`) for `padding="same"`, as in keras-tcn. When the input
    carries a Keras mask, that becomes the last real (unmasked) step, or
    the middle of the real steps for `"same"`, so padding does not change
    the result. For the last step of a causal TCN with a known number of
    steps (no mask, no batch norm), each block is computed only at the
    steps that reach that output (`TCNBlock.call_strided`): the same
    values and gradients with far less work, e.g. ~7x fewer conv FLOPs for
    dilations 1, 2, ..., 128.

    A causal TCN can also run on a sequence that arrives piece by piece
    (`get_initial_state`, then `step` for one time step or `stream` for a
    chunk of `n`), keeping for each dilated conv a buffer of its last
    `(kernel_size - 1) * dilation` inputs: the cost per step does not
    depend on the sequence length and every output equals the full call
    at that step. `make_streaming_fn()` returns `stream` compiled for the
    backend (`tf.function(jit_compile=True)`, `jax.jit`);
    `make_streamer()` returns a compiled `StreamingTCN` that keeps the
    state itself, the cheapest way to feed a few samples at a time.

    Args:
        nb_filters: int, or list with one int per dilation. Channels of
            each block. Defaults to `64`.
        kernel_size: int. Taps of every dilated conv. Defaults to `3`.
        nb_stacks: int. Number of passes over `dilations`. Defaults to `1`.
        dilations: list of positive ints. Dilation of each block of a
            stack. Defaults to `(1, 2, 4, 8, 16, 32)`.
        padding: str. `"causal"` or `"same"`. Defaults to `"causal"`.
        use_skip_connections: bool. Sum the skip outputs of all blocks.
            Defaults to `True`.
        dropout_rate: float in [0, 1). `SpatialDropout1D` rate inside the
            blocks. Defaults to `0.0`.
        return_sequences: bool. Return every step, or a single step as
            described above. Defaults to `False`.
        activation: activation function or name used in the blocks.
            Defaults to `"relu"`.
        kernel_initializer: initializer for the conv kernels. Defaults to
            `"he_normal"`.
        use_batch_norm: bool. Batch normalization after each conv.
            Defaults to `False`.
        use_layer_norm: bool. Layer normalization after each conv.
            Defaults to `False`.
        go_backwards: bool. Read the sequence in reverse and return the
            reversed output, as keras' RNNs do, so that
            `keras.layers.Bidirectional(TCN(...))` works. Defaults to
            `False`.
        return_state: bool. Only `False`: a TCN has no recurrent state
            (keras-tcn accepts the argument and ignores it). Defaults to
            `False`.
        use_weight_norm: bool. Weight normalisation of the conv kernels.
            Defaults to `False`.
        double_activation: bool. Apply the activation once more to each
            block's conv branch, as keras-tcn does; a no-op for ReLU, and
            needed to reproduce keras-tcn weights trained with another
            activation. Defaults to `False`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        3D tensor `(batch, steps, channels)`.

    Output shape:
        - If `return_sequences=True`: `(batch, steps, filters)`.
        - Otherwise: `(batch, filters)`.
        `filters` is `nb_filters`, or its last entry for a list.

    Raises:
        ValueError: for an empty or non-positive `dilations`, a
            non-positive `nb_filters`, `kernel_size` or `nb_stacks`, a
            `nb_filters` list of the wrong length (or with unequal entries
            together with skip connections), a `padding` other than
            `"causal"`/`"same"`, a `dropout_rate` outside [0, 1), or more
            than one normalization flag, or `return_state=True`; from
            `get_initial_state`/`step`/`stream` with `"same"` padding or
            `go_backwards=True`, before the layer is built, or for inputs
            or states of the wrong shape.

    Example:

    >>> x = keras.ops.ones((2, 100, 3))
    >>> tcn = TCN(nb_filters=16, dilations=[1, 2, 4], return_sequences=True)
    >>> tcn(x).shape
    (2, 100, 16)
    >>> tcn.receptive_field
    29
    >>> state = tcn.get_initial_state(batch_size=2)
    >>> y_t, state = tcn.step(x[:, 0, :], state)
    >>> y_t.shape
    (2, 16)
    >>> y, state = tcn.stream(x[:, 1:9, :], state)
    >>> y.shape
    (2, 8, 16)

    Reference:
        - [Bai, Kolter & Koltun, An Empirical Evaluation of Generic
          Convolutional and Recurrent Networks for Sequence Modeling, 2018](
          https://arxiv.org/abs/1803.01271)
        - [keras-tcn](https://github.com/philipperemy/keras-tcn)
    """

    def __init__(
        self,
        nb_filters=64,
        kernel_size=3,
        nb_stacks=1,
        dilations=(1, 2, 4, 8, 16, 32),
        padding="causal",
        use_skip_connections=True,
        dropout_rate=0.0,
        return_sequences=False,
        activation="relu",
        kernel_initializer="he_normal",
        use_batch_norm=False,
        use_layer_norm=False,
        go_backwards=False,
        return_state=False,
        use_weight_norm=False,
        double_activation=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.dilations = validation.dilations(dilations)
        self.use_skip_connections = bool(use_skip_connections)
        self.nb_filters = check_nb_filters(
            nb_filters, self.dilations, self.use_skip_connections
        )
        self.kernel_size = validation.positive_int(kernel_size, "kernel_size")
        self.nb_stacks = validation.positive_int(nb_stacks, "nb_stacks")
        self.padding = validation.standardize_padding(
            padding, ("causal", "same")
        )
        self.dropout_rate = validation.rate(dropout_rate, "dropout_rate")
        self.return_sequences = bool(return_sequences)
        self.activation = keras.activations.get(activation)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        normalization = check_one_normalization(
            use_batch_norm, use_layer_norm, use_weight_norm
        )
        self.use_batch_norm = bool(use_batch_norm)
        self.use_layer_norm = bool(use_layer_norm)
        self.use_weight_norm = bool(use_weight_norm)
        self.go_backwards = bool(go_backwards)
        if return_state:
            raise ValueError(
                "A TCN has no recurrent state to return (keras-tcn accepts "
                "`return_state` and ignores it); for streaming use "
                "`get_initial_state` and `stream`. Received: "
                "return_state=True"
            )
        self.return_state = False
        # `keras.layers.Bidirectional` reads it; a TCN keeps no state
        # across calls.
        self.stateful = False
        self.double_activation = bool(double_activation)
        self.supports_masking = True

        self.blocks = []
        for _ in range(self.nb_stacks):
            for i, dilation in enumerate(self.dilations):
                self.blocks.append(
                    TCNBlock(
                        self._block_filters(i),
                        self.kernel_size,
                        dilation,
                        padding=self.padding,
                        dropout_rate=self.dropout_rate,
                        activation=self.activation,
                        normalization=normalization,
                        kernel_initializer=self.kernel_initializer,
                        return_skip=True,
                        double_activation=self.double_activation,
                        name=f"residual_block_{len(self.blocks)}",
                        dtype=self.dtype_policy,
                    )
                )

    def _block_filters(self, index):
        if isinstance(self.nb_filters, int):
            return self.nb_filters
        return self.nb_filters[index]

    @property
    def receptive_field(self):
        """Number of input steps one output step depends on."""
        return 1 + 2 * (self.kernel_size - 1) * self.nb_stacks * sum(
            self.dilations
        )

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                f"{self.name} expects inputs of shape (batch, steps, "
                "channels) with a known number of channels. Received input "
                f"shape {tuple(input_shape)}."
            )
        self.input_spec = keras.layers.InputSpec(
            ndim=3, axes={-1: input_shape[-1]}
        )
        shape = tuple(input_shape)
        for block in self.blocks:
            block.build(shape)
            shape = block.compute_output_shape(shape)[0]

    def call(self, inputs, training=None, mask=None, initial_state=None):
        if initial_state is not None:
            raise ValueError(
                "A TCN takes no `initial_state`; to continue a sequence use "
                "`stream(inputs, state)`."
            )
        if self.go_backwards:
            # As keras-tcn and keras' RNNs: the output stays reversed.
            inputs = ops.flip(inputs, axis=1)
            mask = None if mask is None else ops.flip(mask, axis=1)
        if self._reads_last_step_only(inputs, mask):
            return self._call_last_step(inputs, training)
        x = self.sequence_outputs(inputs, training=training, mask=mask)
        if self.return_sequences:
            return x
        return self._select_step(x, mask)

    def sequence_outputs(self, inputs, training=None, mask=None):
        """The output at every step, whatever `return_sequences` says.

        With causal padding, step `t` of the result is what the layer
        would return for the sequence cut after step `t`; training a
        classifier on several of these steps makes it answer early
        (`zoo-train --anytime`). `inputs` are read in the given order
        (`go_backwards` is applied by `call` only).

        Args:
            inputs: tensor `(batch, steps, channels)`; the layer must be
                built.
            training: bool or None. Passed to the blocks (dropout, batch
                norm).
            mask: optional boolean tensor `(batch, steps)`.

        Returns:
            Tensor `(batch, steps, filters)`.
        """
        x = inputs
        skips = []
        for block in self.blocks:
            x, skip = block(x, training=training, mask=mask)
            skips.append(skip)
        return self._combine(x, skips)

    def _combine(self, x, skips):
        """The TCN output from the last block's `x` and every skip."""
        if not self.use_skip_connections:
            return x
        output = skips[0]
        for skip in skips[1:]:
            output = ops.add(output, skip)
        return output

    def _reads_last_step_only(self, inputs, mask):
        # Batch statistics would change if fewer steps were computed.
        return (
            not self.return_sequences
            and self.padding == "causal"
            and mask is None
            and not self.use_batch_norm
            and inputs.shape[1] is not None
        )

    def _call_last_step(self, inputs, training):
        # Computes each block only at the steps that reach the last output
        # (about 7x fewer conv FLOPs for dilations 1..128); the values are
        # those of the full call.
        spacings = last_step_spacings([b.dilation_rate for b in self.blocks])
        steps = inputs.shape[1]
        x = inputs[:, (steps - 1) % spacings[0] :: spacings[0], :]
        skips = []
        for i, block in enumerate(self.blocks):
            if i + 1 < len(self.blocks):
                stride = spacings[i + 1] // spacings[i]
            else:
                stride = x.shape[1]
            x, skip = block.call_strided(
                x, spacings[i], stride, training=training
            )
            skips.append(skip[:, -1, :])
        return self._combine(x[:, -1, :], skips)

    def _select_step(self, x, mask):
        steps = ops.shape(x)[1]
        if mask is None:
            index = steps - 1 if self.padding == "causal" else steps // 2
            return ops.take(x, index, axis=1)
        real = ops.cast(mask, "int32")
        if self.padding == "causal":
            positions = ops.expand_dims(ops.arange(steps, dtype="int32"), 0)
            index = ops.max(real * positions, axis=1)
        else:
            first = ops.argmax(real, axis=1)
            index = ops.cast(first, "int32") + ops.sum(real, axis=1) // 2
        index = ops.reshape(index, (-1, 1, 1))
        return ops.take_along_axis(x, index, axis=1)[:, 0, :]

    def compute_mask(self, inputs, mask=None):
        return mask if self.return_sequences else None

    def compute_output_shape(self, input_shape):
        filters = self._block_filters(len(self.dilations) - 1)
        if self.return_sequences:
            return (input_shape[0], input_shape[1], filters)
        return (input_shape[0], filters)

    def get_config(self):
        config = super().get_config()
        nb_filters = self.nb_filters
        config.update(
            {
                "nb_filters": (
                    nb_filters
                    if isinstance(nb_filters, int)
                    else list(nb_filters)
                ),
                "kernel_size": self.kernel_size,
                "nb_stacks": self.nb_stacks,
                "dilations": list(self.dilations),
                "padding": self.padding,
                "use_skip_connections": self.use_skip_connections,
                "dropout_rate": self.dropout_rate,
                "return_sequences": self.return_sequences,
                "activation": keras.activations.serialize(self.activation),
                "kernel_initializer": keras.initializers.serialize(
                    self.kernel_initializer
                ),
                "use_batch_norm": self.use_batch_norm,
                "use_layer_norm": self.use_layer_norm,
                "go_backwards": self.go_backwards,
                "return_state": self.return_state,
                "use_weight_norm": self.use_weight_norm,
                "double_activation": self.double_activation,
            }
        )
        return config
