"""The residual block of a temporal convolutional network (TCN)."""

import keras
from keras import layers
from keras import ops

from zoo.layers.dilated_conv import DilatedConv1D
from zoo.layers.tcn_streaming import causal_conv_chunk
from zoo.layers.tcn_streaming import check_streamable
from zoo.utils import validation

NORMALIZATIONS = (None, "batch", "layer", "weight")


def fresh_initializer(initializer):
    """A new instance with the same config as `initializer`.

    An unseeded keras initializer instance draws the same values every time
    it is called, so sharing one instance would give every conv of the same
    shape the same starting kernel.
    """
    return keras.initializers.get(keras.initializers.serialize(initializer))


def check_normalization(normalization):
    """Validates the `normalization` argument of `TCNBlock`."""
    if normalization not in NORMALIZATIONS:
        raise ValueError(
            "Invalid value for argument `normalization`. Expected one of "
            f"{list(NORMALIZATIONS)}. Received: normalization={normalization!r}"
        )
    return normalization


def apply_mask(x, mask):
    """Zeroes the masked time steps of `x` (batch, steps, channels)."""
    if mask is None:
        return x
    return x * ops.expand_dims(ops.cast(mask, x.dtype), -1)


@keras.saving.register_keras_serializable(package="zoo")
class TCNBlock(keras.layers.Layer):
    """Residual block of a TCN: two dilated causal convs plus a shortcut.

    The conv branch is, twice: `DilatedConv1D(filters, kernel_size,
    dilation_rate)` -> optional batch or layer normalization -> activation
    -> `SpatialDropout1D(dropout_rate)`. The shortcut is the input itself
    when it already has `filters` channels, otherwise a 1x1 `DilatedConv1D`
    projection (`downsample`, created in `build`). The output is
    `activation(shortcut + branch)`, as in Bai et al. (2018) and keras-tcn's
    `ResidualBlock`. With `return_skip=True` the layer also returns the
    branch itself (before the residual add), which a `TCN` sums over blocks
    as its skip connections. keras-tcn applies the activation once more to
    the branch before the add; for the default ReLU that is a no-op, and
    `double_activation=True` reproduces it for other activations.

    With `padding="causal"` output `t` depends on inputs `t - r + 1 .. t`
    only, where `r = receptive_field = 1 + 2 (kernel_size - 1)
    dilation_rate`. `normalization="weight"` reparametrises both conv
    kernels with weight normalisation instead of adding a layer.

    Keras masks are supported: each conv's input is multiplied by the mask,
    so padded steps contribute zeros, and the outputs at real steps equal
    those of the unpadded sequence (for both pre- and post-padding). Batch
    normalization gets the mask too, so its batch statistics skip padding.
    The layer works on `channels_last` sequences only.

    Args:
        filters: int. Number of channels of every conv in the block.
        kernel_size: int. Number of taps of each dilated conv.
        dilation_rate: int. Spacing between the taps.
        padding: str. `"causal"` (output `t` sees only inputs `<= t`) or
            `"same"` (centred, non-causal). Defaults to `"causal"`.
        dropout_rate: float in [0, 1). Rate of the `SpatialDropout1D` after
            each conv, which drops whole channels. Defaults to `0.0`.
        activation: activation function or name, used after each conv and
            after the residual add. Defaults to `"relu"`.
        normalization: `None`, `"batch"`, `"layer"` or `"weight"`.
            Defaults to `None`.
        kernel_initializer: initializer for the conv kernels. Defaults to
            `"he_normal"`.
        use_bias: bool. Whether the convs have a bias. Defaults to `True`.
        return_skip: bool. Return `(output, skip)` instead of `output`.
            Defaults to `False`.
        double_activation: bool. Apply the activation once more to the
            conv branch (its skip output too), as keras-tcn does.
            Defaults to `False`.
        data_format: str. Only `"channels_last"` (or `None`, meaning the
            same) is supported. Defaults to `"channels_last"`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        3D tensor `(batch, steps, channels)`.

    Output shape:
        3D tensor `(batch, steps, filters)`; with `return_skip=True` a tuple
        of two such tensors, `(output, skip)`.

    Raises:
        ValueError: for non-positive `filters`, `kernel_size` or
            `dilation_rate`, a `padding` other than `"causal"`/`"same"`, a
            `dropout_rate` outside [0, 1), an unknown `normalization`, or
            `data_format="channels_first"`; at build time when the channel
            dimension is unknown.

    Example:

    >>> x = keras.ops.ones((2, 50, 3))
    >>> block = TCNBlock(16, 3, dilation_rate=4)
    >>> block(x).shape
    (2, 50, 16)
    >>> block.receptive_field
    17

    Reference:
        - [Bai, Kolter & Koltun, An Empirical Evaluation of Generic
          Convolutional and Recurrent Networks for Sequence Modeling, 2018](
          https://arxiv.org/abs/1803.01271)
    """

    def __init__(
        self,
        filters,
        kernel_size,
        dilation_rate,
        padding="causal",
        dropout_rate=0.0,
        activation="relu",
        normalization=None,
        kernel_initializer="he_normal",
        use_bias=True,
        return_skip=False,
        data_format="channels_last",
        double_activation=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = validation.positive_int(filters, "filters")
        self.kernel_size = validation.positive_int(kernel_size, "kernel_size")
        self.dilation_rate = validation.positive_int(
            dilation_rate, "dilation_rate"
        )
        self.padding = validation.standardize_padding(
            padding, ("causal", "same")
        )
        self.dropout_rate = validation.rate(dropout_rate, "dropout_rate")
        self.activation = keras.activations.get(activation)
        self.normalization = check_normalization(normalization)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.use_bias = bool(use_bias)
        self.return_skip = bool(return_skip)
        self.double_activation = bool(double_activation)
        if data_format not in (None, "channels_last"):
            raise ValueError(
                "`TCNBlock` supports only data_format='channels_last' "
                "(sequences of shape (batch, steps, channels)). "
                f"Received: data_format={data_format!r}"
            )
        self.data_format = "channels_last"
        self.supports_masking = True

        self.conv1 = self._make_conv("conv1")
        self.norm1 = self._make_norm("norm1")
        self.dropout1 = layers.SpatialDropout1D(
            self.dropout_rate, name="dropout1", dtype=self.dtype_policy
        )
        self.conv2 = self._make_conv("conv2")
        self.norm2 = self._make_norm("norm2")
        self.dropout2 = layers.SpatialDropout1D(
            self.dropout_rate, name="dropout2", dtype=self.dtype_policy
        )
        self.downsample = None

    def _make_conv(self, name, projection=False):
        # The 1x1 projection of the shortcut is a plain conv, as in Bai et
        # al.'s code: weight normalisation applies to the dilated convs.
        return DilatedConv1D(
            self.filters,
            1 if projection else self.kernel_size,
            dilation_rate=1 if projection else self.dilation_rate,
            padding=self.padding,
            data_format="channels_last",
            use_bias=self.use_bias,
            weight_norm=self.normalization == "weight" and not projection,
            kernel_initializer=fresh_initializer(self.kernel_initializer),
            name=name,
            dtype=self.dtype_policy,
        )

    def _make_norm(self, name):
        if self.normalization == "batch":
            return layers.BatchNormalization(name=name, dtype=self.dtype_policy)
        if self.normalization == "layer":
            return layers.LayerNormalization(name=name, dtype=self.dtype_policy)
        return None

    @property
    def receptive_field(self):
        """Number of input steps one output step depends on."""
        return 1 + 2 * (self.kernel_size - 1) * self.dilation_rate

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(
                f"The channel dimension of the inputs to {self.name} must be "
                f"defined. Received input shape {tuple(input_shape)}."
            )
        self.input_spec = keras.layers.InputSpec(ndim=3, axes={-1: channels})
        shape = tuple(input_shape)
        for conv, norm, dropout in self._branch():
            conv.build(shape)
            shape = conv.compute_output_shape(shape)
            if norm is not None:
                norm.build(shape)
            dropout.build(shape)
        if channels != self.filters:
            self.downsample = self._make_conv("downsample", projection=True)
            self.downsample.build(tuple(input_shape))

    def _branch(self):
        return (
            (self.conv1, self.norm1, self.dropout1),
            (self.conv2, self.norm2, self.dropout2),
        )

    def call(self, inputs, training=None, mask=None):
        x = inputs
        for conv, norm, dropout in self._branch():
            x = conv(apply_mask(x, mask))
            if norm is not None and self.normalization == "batch":
                x = norm(x, training=training, mask=mask)
            elif norm is not None:
                x = norm(x)
            x = self.activation(x)
            x = dropout(x, training=training)
        if self.downsample is None:
            shortcut = inputs
        else:
            shortcut = self.downsample(apply_mask(inputs, mask))
        return self._merge(shortcut, x)

    def _merge(self, shortcut, branch, both=False):
        """`activation(shortcut + branch)`, with the branch as skip output
        when `return_skip` (or `both`) is set."""
        if self.double_activation:
            branch = self.activation(branch)
        output = self.activation(ops.add(shortcut, branch))
        if self.return_skip or both:
            return output, branch
        return output

    def call_strided(self, inputs, spacing, stride, training=None):
        """Runs the causal block only at the steps a later layer reads.

        `TCN` uses this when it returns only the last step: each block then
        needs its output at every `stride`-th step counted back from the
        last one, and nothing else. The values equal those of the full
        call at the same steps; the work shrinks by about `stride`.

        Args:
            inputs: tensor `(batch, steps, channels)` with a static number
                of steps: the block input at every `spacing`-th original
                time step, ending with the last one.
            spacing: int. Original time steps between two input steps; it
                must divide `dilation_rate`.
            stride: int. Keep every `stride`-th output step, counted back
                from the last; `stride >= steps` keeps the last step only.
            training: bool. Passed to dropout.

        Returns:
            `(output, skip)`: the block output and its conv branch at the
            kept steps, each of shape `(batch, ceil(steps / stride),
            filters)`.

        Raises:
            ValueError: with `padding="same"`, batch normalization (whose
                batch statistics would change), or a `spacing` that does
                not divide `dilation_rate`.
        """
        if self.padding != "causal" or self.normalization == "batch":
            raise ValueError(
                "`call_strided` needs padding='causal' and no batch "
                "normalization. Received: "
                f"padding={self.padding!r}, "
                f"normalization={self.normalization!r}"
            )
        if self.dilation_rate % spacing:
            raise ValueError(
                "`spacing` must divide the block's dilation_rate="
                f"{self.dilation_rate}. Received: spacing={spacing}"
            )
        dilation = self.dilation_rate // spacing
        x = inputs
        for conv, norm, dropout in self._branch():
            conv_stride = stride if conv is self.conv2 else 1
            x = conv.strided_causal(x, dilation, conv_stride)
            if norm is not None:
                # Layer normalization is pointwise in time.
                x = norm(x)
            x = self.activation(x)
            x = dropout(x, training=training)
        first = (inputs.shape[1] - 1) % stride
        shortcut = inputs[:, first::stride, :]
        if self.downsample is not None:
            shortcut = self.downsample(shortcut)
        return self._merge(shortcut, x, both=True)

    def compute_mask(self, inputs, mask=None):
        if self.return_skip:
            return mask, mask
        return mask

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape[:-1]) + (self.filters,)
        if self.return_skip:
            return shape, shape
        return shape

    def get_initial_state(self, batch_size):
        """Zero input buffers for `step`, one per dilated conv.

        Args:
            batch_size: int. Number of sequences streamed in parallel.

        Returns:
            A list `[buffer1, buffer2]` of zero tensors of shape
            `(batch_size, (kernel_size - 1) * dilation_rate, channels)`,
            where `channels` is the input size of `conv1` and `conv2`.
        """
        check_streamable(self)
        length = (self.kernel_size - 1) * self.dilation_rate
        return [
            ops.zeros(
                (batch_size, length, conv.kernel.shape[1]),
                dtype=self.compute_dtype,
            )
            for conv in (self.conv1, self.conv2)
        ]

    def step(self, inputs, state):
        """Runs the block on one new time step, in inference mode.

        Args:
            inputs: tensor `(batch, channels)`, the input at time `t`.
            state: list of two buffers, as returned by `get_initial_state`
                or by the previous `step`.

        Returns:
            `(output, new_state)`, where `output` is the block output at
            time `t` (a tuple `(output, skip)` when `return_skip=True`),
            of shape `(batch, filters)`, and `new_state` the updated
            buffers. Nothing is mutated, so the method can be jitted.
        """
        check_streamable(self)
        x = inputs
        new_state = []
        for (conv, norm, _), buffer in zip(self._branch(), state):
            x, buffer = conv.step(x, buffer)
            new_state.append(buffer)
            if norm is not None:
                # Inference-mode batch and layer norm are pointwise in time,
                # so one step through the layer gives the full-call value.
                x = ops.squeeze(norm(ops.expand_dims(x, 1), training=False), 1)
            x = self.activation(x)
        if self.downsample is None:
            shortcut = inputs
        else:
            kernel = ops.cast(self.downsample.conv_kernel[0], inputs.dtype)
            shortcut = ops.matmul(inputs, kernel)
            if self.downsample.use_bias:
                shortcut = shortcut + ops.cast(
                    self.downsample.bias, kernel.dtype
                )
        return self._merge(shortcut, x), new_state

    def stream(self, inputs, state):
        """Runs the block on `n` new time steps, in inference mode.

        Args:
            inputs: tensor `(batch, n, channels)`, the next `n` inputs.
            state: list of two buffers, as for `step`.

        Returns:
            `(output, new_state)` as for `step`, with outputs of shape
            `(batch, n, filters)`; equal to the full call at those steps.
        """
        check_streamable(self)
        x = inputs
        new_state = []
        for (conv, norm, _), buffer in zip(self._branch(), state):
            x, buffer = causal_conv_chunk(conv, x, buffer)
            new_state.append(buffer)
            if norm is not None:
                # Inference-mode batch and layer norm are pointwise in time.
                x = norm(x, training=False)
            x = self.activation(x)
        if self.downsample is None:
            shortcut = inputs
        else:
            shortcut = self.downsample(inputs)
        return self._merge(shortcut, x), new_state

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "dilation_rate": self.dilation_rate,
                "padding": self.padding,
                "dropout_rate": self.dropout_rate,
                "activation": keras.activations.serialize(self.activation),
                "normalization": self.normalization,
                "kernel_initializer": keras.initializers.serialize(
                    self.kernel_initializer
                ),
                "use_bias": self.use_bias,
                "return_skip": self.return_skip,
                "data_format": self.data_format,
                "double_activation": self.double_activation,
            }
        )
        return config
