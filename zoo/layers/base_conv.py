"""What every zoo convolution shares: padding, size checks, bias, shapes."""

import keras
from keras import ops

from zoo.utils import conv_utils
from zoo.utils import validation

# How each kind of weight option is read from and written to a config.
GETTERS = {
    "initializer": keras.initializers.get,
    "regularizer": keras.regularizers.get,
    "constraint": keras.constraints.get,
}
SERIALIZERS = {
    "initializer": keras.initializers.serialize,
    "regularizer": keras.regularizers.serialize,
    "constraint": keras.constraints.serialize,
}


class BaseConv(keras.layers.Layer):
    """Shared logic of the zoo's dilated and depthwise-separable convs.

    Subclasses create their kernels in `build` (after calling this
    `build`) and implement `convolve(x, strides, padding)` with one
    `keras.ops` convolution. `"causal"` and `"reflect"` pad the input
    explicitly and run a `"valid"` convolution; `"valid"` and `"same"` go
    straight to `ops.conv`, as the built-in layers do.

    `strides > 1` together with `dilation_rate > 1` (which TensorFlow's
    convolution rejects) is computed on every backend as the stride-1
    dilated conv sampled every `strides` outputs, after the padding the
    strided conv would use: the same windows, so the same numbers and the
    sizes of `conv_utils.conv_output_length`. Subclasses extend
    `_subsamples` where their op has other stride limits.
    """

    rank = None
    allowed_padding = ("valid", "same", "reflect")
    allow_strided_dilation = True
    # Weight options that every subclass has, on top of its own.
    weight_options = ("bias_initializer", "bias_regularizer", "bias_constraint")

    def __init__(
        self,
        filters,
        kernel_size,
        strides,
        padding,
        dilation_rate,
        data_format,
        activation,
        use_bias,
        activity_regularizer=None,
        **kwargs,
    ):
        options = {name: kwargs.pop(name) for name in self.weight_options}
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        rank = self.rank
        self.filters = validation.positive_int(filters, "filters")
        self.kernel_size = validation.standardize_tuple(
            kernel_size, rank, "kernel_size"
        )
        self.strides = validation.standardize_tuple(strides, rank, "strides")
        self.dilation_rate = validation.standardize_tuple(
            dilation_rate, rank, "dilation_rate"
        )
        if not self.allow_strided_dilation:
            validation.check_strides_and_dilation(
                self.strides, self.dilation_rate
            )
        self.padding = validation.standardize_padding(
            padding, self.allowed_padding
        )
        self.data_format = validation.standardize_data_format(data_format)
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        for name, value in options.items():
            setattr(self, name, GETTERS[name.rsplit("_", 1)[1]](value))
        self.input_spec = keras.layers.InputSpec(min_ndim=rank + 2)

    @property
    def effective_kernel_size(self):
        """Footprint of the dilated kernel, k + (k - 1)(d - 1) per axis."""
        return tuple(
            conv_utils.effective_kernel_size(k, d)
            for k, d in zip(self.kernel_size, self.dilation_rate)
        )

    @property
    def channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _spatial_axes(self):
        return conv_utils.spatial_axes(self.rank, self.data_format)

    def _reflect_pads(self):
        return [
            conv_utils.reflect_pad_amounts(k, d)
            for k, d in zip(self.kernel_size, self.dilation_rate)
        ]

    def _subsamples(self):
        """Whether the conv runs at stride 1 and is subsampled after."""
        return max(self.strides) > 1 and max(self.dilation_rate) > 1

    def _check_spatial_sizes(self, shape):
        for axis, k_eff, pads in zip(
            self._spatial_axes(),
            self.effective_kernel_size,
            self._reflect_pads(),
        ):
            size = shape[axis]
            if size is None:
                continue
            if self.padding == "reflect":
                conv_utils.check_reflect_pads(
                    shape,
                    [axis],
                    [pads],
                    needs=f"the effective kernel size {k_eff} needs ",
                )
            elif self.padding == "valid" and size < k_eff:
                raise ValueError(
                    f"The input is smaller than the effective kernel size on "
                    f"axis {axis}: size {size} < {k_eff} with padding="
                    f"'valid'. Received input shape {tuple(shape)}."
                )

    def build(self, input_shape):
        """Checks the input shape; subclasses then create their kernels."""
        channels = input_shape[self.channel_axis]
        if channels is None:
            raise ValueError(
                f"The channel dimension of the inputs to {self.name} must be "
                f"defined. Received input shape {tuple(input_shape)}."
            )
        self._check_spatial_sizes(input_shape)
        self.input_spec = keras.layers.InputSpec(
            min_ndim=self.rank + 2, axes={self.channel_axis: channels}
        )

    def add_bias_weight(self):
        """Creates `bias` (or sets it to `None` without `use_bias`)."""
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.filters,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def _same_pads(self, shape):
        pads = []
        for axis, k, s, d in zip(
            self._spatial_axes(),
            self.kernel_size,
            self.strides,
            self.dilation_rate,
        ):
            if shape[axis] is None:
                # keras' "same" split depends on the size modulo the stride.
                raise ValueError(
                    f"{type(self).__name__} with padding='same', "
                    f"strides={self.strides} and dilation_rate="
                    f"{self.dilation_rate} needs a known input size on axis "
                    f"{axis}. Received input shape {tuple(shape)}."
                )
            pads.append(conv_utils.same_pad_amounts(shape[axis], k, s, d))
        return pads

    def _explicit_pads(self, shape):
        """(before, after) per spatial axis where the layer pads the input
        itself ("causal", "reflect", strided dilated "same"), else None."""
        if self.padding == "causal":
            return [(k_eff - 1, 0) for k_eff in self.effective_kernel_size]
        if self.padding == "reflect":
            self._check_spatial_sizes(shape)
            return self._reflect_pads()
        if self.padding == "same" and self._subsamples():
            return self._same_pads(shape)
        return None

    def convolve(self, x, strides, padding):
        """The subclass's `channels_last` convolution of `x`."""
        raise NotImplementedError

    def call(self, inputs):
        pads = self._explicit_pads(inputs.shape)
        x = inputs
        if self.data_format == "channels_first":
            # TensorFlow's CPU convolutions only take channels_last unless
            # oneDNN is on (it is off by default on AMD CPUs), so the conv
            # itself always runs channels_last.
            x = ops.moveaxis(x, 1, -1)
        padding = self.padding
        if pads is not None:
            mode = "reflect" if self.padding == "reflect" else "constant"
            x = ops.pad(x, [[0, 0], *pads, [0, 0]], mode=mode)
            padding = "valid"
        if not self._subsamples():
            outputs = self.convolve(x, self.strides, padding)
        else:
            outputs = self.convolve(x, (1,) * self.rank, padding)
            steps = [slice(None, None, s) for s in self.strides]
            outputs = outputs[(slice(None), *steps, slice(None))]
        if self.use_bias:
            outputs = ops.add(outputs, self.bias)
        if self.data_format == "channels_first":
            outputs = ops.moveaxis(outputs, -1, 1)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        output_shape = list(input_shape)
        for axis, k, s, d in zip(
            self._spatial_axes(),
            self.kernel_size,
            self.strides,
            self.dilation_rate,
        ):
            output_shape[axis] = conv_utils.conv_output_length(
                input_shape[axis], k, self.padding, stride=s, dilation=d
            )
        output_shape[self.channel_axis] = self.filters
        return tuple(output_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "dilation_rate": self.dilation_rate,
                "data_format": self.data_format,
                "activation": keras.activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "activity_regularizer": keras.regularizers.serialize(
                    self.activity_regularizer
                ),
            }
        )
        for name in self.weight_options:
            kind = name.rsplit("_", 1)[1]
            config[name] = SERIALIZERS[kind](getattr(self, name))
        return config
