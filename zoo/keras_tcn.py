"""A drop-in for the keras-tcn package: change one import, nothing else.

`from zoo.keras_tcn import TCN, compiled_tcn, tcn_full_summary,
ResidualBlock` replaces `from tcn import ...` (keras-tcn 3.5.7): same
argument names, order and defaults. `load_keras_tcn_model` and
`load_keras_tcn_weights` bring models and weights saved with keras-tcn
over, with equal outputs. See `docs/keras_tcn.md` for what differs.

Reference:
    - [keras-tcn](https://github.com/philipperemy/keras-tcn)
"""

import json
import re
import tempfile
import warnings
import zipfile
from pathlib import Path

import keras

from zoo.layers.tcn import TCN
from zoo.layers.tcn import check_one_normalization
from zoo.layers.tcn_block import TCNBlock

__all__ = [
    "TCN",
    "ResidualBlock",
    "adjust_dilations",
    "compiled_tcn",
    "load_keras_tcn_model",
    "load_keras_tcn_weights",
    "tcn_full_summary",
]

# What keras-tcn writes for its layer in a `.keras` config.
KERAS_TCN_NAMES = ("Custom>TCN", "TCN")
NORM_GROUP = re.compile(r"^(batch|layer)_normalization(?:_(\d+))?$")


def is_power_of_two(num):
    """Whether the int `num` is a power of two (keras-tcn's helper)."""
    return num != 0 and (num & (num - 1)) == 0


def adjust_dilations(dilations):
    """keras-tcn's rule for `compiled_tcn`: dilations that are not all
    powers of two are read as exponents (`[1, 2, 3]` -> `[2, 4, 8]`)."""
    if all(is_power_of_two(d) for d in dilations):
        return list(dilations)
    return [2**d for d in dilations]


@keras.saving.register_keras_serializable(package="zoo")
class ResidualBlock(TCNBlock):
    """keras-tcn's `ResidualBlock` signature on top of `TCNBlock`.

    It returns `(output, skip)` like keras-tcn's block (which returns the
    same pair as a list).

    Args:
        dilation_rate: int. Spacing between the taps.
        nb_filters: int. Channels of every conv in the block.
        kernel_size: int. Taps of each dilated conv.
        padding: str. `"causal"` or `"same"`.
        activation: activation function or name. Defaults to `"relu"`.
        dropout_rate: float in [0, 1). Defaults to `0`.
        kernel_initializer: initializer. Defaults to `"he_normal"`.
        use_batch_norm: bool. Defaults to `False`.
        use_layer_norm: bool. Defaults to `False`.
        use_weight_norm: bool. Defaults to `False`.
        double_activation: bool. Activation applied twice on the conv
            branch, as keras-tcn does. Defaults to `False`.
        **kwargs: Base layer keyword arguments, such as `name`.

    Input shape:
        3D tensor `(batch, steps, channels)`.

    Output shape:
        Tuple of two 3D tensors `(batch, steps, nb_filters)`.

    Example:

    >>> block = ResidualBlock(2, 8, 3, "causal")
    >>> output, skip = block(keras.ops.ones((1, 10, 3)))
    >>> output.shape
    (1, 10, 8)
    """

    def __init__(
        self,
        dilation_rate,
        nb_filters,
        kernel_size,
        padding,
        activation="relu",
        dropout_rate=0,
        kernel_initializer="he_normal",
        use_batch_norm=False,
        use_layer_norm=False,
        use_weight_norm=False,
        double_activation=False,
        **kwargs,
    ):
        super().__init__(
            nb_filters,
            kernel_size,
            dilation_rate,
            padding=padding,
            dropout_rate=dropout_rate,
            activation=activation,
            normalization=check_one_normalization(
                use_batch_norm, use_layer_norm, use_weight_norm
            ),
            kernel_initializer=kernel_initializer,
            return_skip=True,
            double_activation=double_activation,
            **kwargs,
        )
        self.nb_filters = self.filters

    def get_config(self):
        config = keras.layers.Layer.get_config(self)
        config.update(
            {
                "dilation_rate": self.dilation_rate,
                "nb_filters": self.filters,
                "kernel_size": self.kernel_size,
                "padding": self.padding,
                "activation": keras.activations.serialize(self.activation),
                "dropout_rate": self.dropout_rate,
                "kernel_initializer": keras.initializers.serialize(
                    self.kernel_initializer
                ),
                "use_batch_norm": self.normalization == "batch",
                "use_layer_norm": self.normalization == "layer",
                "use_weight_norm": self.normalization == "weight",
                "double_activation": self.double_activation,
            }
        )
        return config


def compiled_tcn(
    num_feat,
    num_classes,
    nb_filters,
    kernel_size,
    dilations,
    nb_stacks,
    max_len,
    output_len=1,
    padding="causal",
    use_skip_connections=False,
    return_sequences=True,
    regression=False,
    dropout_rate=0.05,
    name="tcn",
    kernel_initializer="he_normal",
    activation="relu",
    opt="adam",
    lr=0.002,
    use_batch_norm=False,
    use_layer_norm=False,
):
    """A compiled TCN model for classification or regression, as keras-tcn
    builds it.

    `Input((max_len, num_feat))` -> `TCN` -> `Dense(num_classes)` +
    softmax, compiled with sparse categorical cross-entropy and accuracy
    (feed class ids, not one-hot), or with `regression=True` ->
    `Dense(output_len)` + linear, compiled with MSE. The optimizer is
    `Adam` or `RMSprop` with learning rate `lr` and `clipnorm=1`.
    Dilations that are not all powers of two are read as exponents
    (`adjust_dilations`), as keras-tcn does. Unlike keras-tcn nothing is
    printed.

    Args:
        num_feat: int. Channels of the input sequences.
        num_classes: int. Classes (ignored for regression).
        nb_filters, kernel_size, dilations, nb_stacks, padding,
            use_skip_connections, return_sequences, dropout_rate,
            kernel_initializer, activation, use_batch_norm,
            use_layer_norm: as for `TCN`.
        max_len: int or `None`. Sequence length.
        output_len: int. Regression outputs. Defaults to `1`.
        regression: bool. Defaults to `False`.
        name: str. Name of the TCN layer. Defaults to `"tcn"`.
        opt: str. `"adam"` or `"rmsprop"`. Defaults to `"adam"`.
        lr: float. Learning rate. Defaults to `0.002`.

    Returns:
        A compiled functional `keras.Model`.

    Raises:
        ValueError: for an `opt` other than `"adam"` / `"rmsprop"`, and
            for any argument `TCN` rejects.

    Example:

    >>> model = compiled_tcn(1, 10, 8, 3, [1, 2, 4], 1, 40)
    >>> model.output.shape
    (None, 40, 10)
    """
    optimizers = {
        "adam": keras.optimizers.Adam,
        "rmsprop": keras.optimizers.RMSprop,
    }
    if opt not in optimizers:
        raise ValueError(
            "Only 'adam' and 'rmsprop' are available for `opt`. "
            f"Received: opt={opt!r}"
        )
    inputs = keras.Input(shape=(max_len, num_feat))
    x = TCN(
        nb_filters,
        kernel_size,
        nb_stacks,
        adjust_dilations(dilations),
        padding,
        use_skip_connections,
        dropout_rate,
        return_sequences,
        activation,
        kernel_initializer,
        use_batch_norm,
        use_layer_norm,
        name=name,
    )(inputs)
    optimizer = optimizers[opt](learning_rate=lr, clipnorm=1.0)
    if regression:
        x = keras.layers.Dense(output_len)(x)
        outputs = keras.layers.Activation("linear")(x)
        model = keras.Model(inputs, outputs)
        model.compile(optimizer, loss="mean_squared_error")
        return model
    x = keras.layers.Dense(num_classes)(x)
    outputs = keras.layers.Activation("softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer,
        loss="sparse_categorical_crossentropy",
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    return model


def _sublayers(block):
    parts = (block.conv1, block.norm1, block.dropout1)
    parts += (block.conv2, block.norm2, block.dropout2, block.downsample)
    return [layer for layer in parts if layer is not None]


def _tcns_in(layer):
    """The zoo TCNs in `layer`: itself, or the two a `Bidirectional` wraps."""
    if isinstance(layer, TCN):
        return [layer]
    inner = [
        getattr(layer, a, None) for a in ("forward_layer", "backward_layer")
    ]
    return [t for t in inner if isinstance(t, TCN)]


def tcn_full_summary(model, expand_residual_blocks=True, print_fn=print):
    """Prints `model`'s layers with each TCN's residual blocks (and, with
    `expand_residual_blocks`, their convs, norms and dropouts) and
    parameter counts. keras-tcn's version does nothing on TF >= 2.5.

    Args:
        model: a built `keras.Model`.
        expand_residual_blocks: bool. List the layers inside each block.
            Defaults to `True`.
        print_fn: function called with each line. Defaults to `print`.

    Returns:
        The list of `(name, class name, parameters)` rows printed.
    """
    rows = []
    for layer in model.layers:
        rows.append((layer.name, type(layer).__name__, layer.count_params()))
        for tcn in _tcns_in(layer):
            if tcn is not layer:
                rows.append(("  " + tcn.name, "TCN", tcn.count_params()))
            indent = "    " if tcn is not layer else "  "
            for block in tcn.blocks:
                rows.append(
                    (indent + block.name, "TCNBlock", block.count_params())
                )
                if expand_residual_blocks:
                    for sub in _sublayers(block):
                        name = indent + "  " + sub.name
                        rows.append(
                            (name, type(sub).__name__, sub.count_params())
                        )
    width = max(len(name) for name, _, _ in rows) + 2
    print_fn(f"Model: {model.name}")
    print_fn(f"{'Layer':<{width}}{'Type':<24}{'Params':>10}")
    for name, kind, params in rows:
        print_fn(f"{name:<{width}}{kind:<24}{params:>10,}")
    print_fn(f"Total params: {model.count_params():,}")
    return rows


def _convert_config(node):
    """Replaces every keras-tcn `TCN` config in a saved model config by a
    zoo `TCN` with `double_activation=True` (keras-tcn's numerics)."""
    if isinstance(node, list):
        return [_convert_config(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _convert_config(value) for key, value in node.items()}
    if (
        node.get("class_name") == "TCN"
        and node.get("registered_name") in KERAS_TCN_NAMES
        and str(node.get("module", "tcn")).startswith("tcn")
    ):
        config = {**node["config"], "double_activation": True}
        node.update(module="zoo.layers.tcn", registered_name="zoo>TCN")
        node["config"] = config
    return node


def _norm_groups(group):
    """The normalization layers' groups inside a keras-tcn block, in the
    order of the convs they follow (`..._normalization`, `_1`)."""
    found = {}

    def visit(name, obj):
        match = NORM_GROUP.match(name.rsplit("/", 1)[-1])
        if match and "vars" in obj:
            found.setdefault(int(match.group(2) or 0), obj)

    group.visititems(visit)
    return [found[key] for key in sorted(found)]


def _variables(group):
    return [group["vars"][str(i)][()] for i in range(len(group["vars"]))]


def _assign_tcn(tcn, group, path):
    for i, block in enumerate(tcn.blocks):
        name = f"residual_block_{i}"
        if name not in group:
            raise ValueError(f"{path}: no group {name!r} for block {i}.")
        saved = group[name]
        norms = _norm_groups(saved)
        values = _variables(saved["conv1D_0"])
        values += _variables(norms[0]) if norms else []
        values += _variables(saved["conv1D_1"])
        values += _variables(norms[1]) if norms else []
        if "matching_conv1D" in saved:
            values += _variables(saved["matching_conv1D"])
        variables = [v for sub in _sublayers(block) for v in sub.weights]
        if len(values) != len(variables):
            raise ValueError(
                f"{path}/{name} holds {len(values)} arrays, the zoo block "
                f"{block.name} has {len(variables)} weights: the model "
                "does not match the saved keras-tcn architecture."
            )
        for variable, value in zip(variables, values):
            variable.assign(value)


def _saved_names(layers):
    """The group names keras' weights files give `layers`: the class name
    in snake case, numbered from the second of a class on. They do not
    depend on layer names, and keras-tcn's `TCN` gets the same as zoo's."""
    used = {}
    for layer in layers:
        name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", type(layer).__name__)
        name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()
        used[name] = used.get(name, -1) + 1
        yield f"{name}_{used[name]}" if used[name] else name


def _load_h5(model, weights_path):
    import h5py

    with warnings.catch_warnings():
        # The TCNs' weights sit under keras-tcn's own layer names; they are
        # assigned below.
        warnings.filterwarnings("ignore", message=".*could not be loaded")
        model.load_weights(weights_path, skip_mismatch=True)
    with h5py.File(weights_path, "r") as saved:
        for layer, group in zip(model.layers, _saved_names(model.layers)):
            for tcn in _tcns_in(layer):
                path = f"layers/{group}"
                if tcn is not layer:
                    side = (
                        "forward" if tcn is layer.forward_layer else "backward"
                    )
                    path = f"{path}/{side}_layer"
                if path not in saved:
                    raise ValueError(f"No keras-tcn weights at {path!r}.")
                _assign_tcn(tcn, saved[path], path)


def load_keras_tcn_weights(model, path):
    """Loads a keras-tcn `.weights.h5` file into an equal zoo model.

    Build `model` as the keras-tcn one was built, with this module's
    `TCN` and the same layer names; pass `double_activation=True` to each
    TCN unless its activation is ReLU, to reproduce keras-tcn's numerics.

    Args:
        model: a built `keras.Model`.
        path: path of the `.weights.h5` file written by keras-tcn.

    Raises:
        ValueError: when a TCN's saved weights are missing or do not
            match its architecture.
    """
    _load_h5(model, str(path))


def load_keras_tcn_model(path, compile=True):
    """Loads a `.keras` model saved with keras-tcn into zoo's `TCN`.

    Every `TCN` (class `Custom>TCN`) becomes a zoo `TCN` with
    `double_activation=True`, so outputs equal keras-tcn's for any
    activation; the other layers load as keras loads them. Saved with
    `model.save`, the result reloads with plain `keras.models.load_model`
    after `import zoo`.

    Args:
        path: path of the `.keras` file.
        compile: bool. Compile the model as it was saved, when keras can
            rebuild its compile arguments. Defaults to `True`.

    Returns:
        A `keras.Model`.
    """
    with zipfile.ZipFile(path) as archive:
        config = _convert_config(json.loads(archive.read("config.json")))
        model = keras.saving.deserialize_keras_object(config)
        with tempfile.TemporaryDirectory() as tmp:
            weights = Path(tmp) / "model.weights.h5"
            weights.write_bytes(archive.read("model.weights.h5"))
            _load_h5(model, str(weights))
    compile_config = config.get("compile_config")
    if compile and compile_config:
        try:
            model.compile_from_config(compile_config)
        except (TypeError, ValueError) as error:
            warnings.warn(f"{path}: left uncompiled ({error}).", stacklevel=2)
    return model
