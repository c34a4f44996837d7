"""Temporal convolutional networks for sequence classification and regression.

Reference:
    - [Bai, Kolter & Koltun, An Empirical Evaluation of Generic
      Convolutional and Recurrent Networks for Sequence Modeling, 2018](
      https://arxiv.org/abs/1803.01271)
"""

import keras
from keras import layers

from zoo.layers import TCN
from zoo.models import common
from zoo.models.presets import TCN_DILATIONS as DILATIONS
from zoo.utils import validation

# The builders' arguments that go to the `TCN` layer unchanged.
TCN_ARGUMENTS = (
    "nb_filters",
    "kernel_size",
    "nb_stacks",
    "dilations",
    "padding",
    "use_skip_connections",
    "dropout_rate",
    "activation",
    "kernel_initializer",
    "use_batch_norm",
    "use_layer_norm",
    "use_weight_norm",
)


def tcn_classifier(
    input_shape=(784, 1),
    num_classes=10,
    nb_filters=25,
    kernel_size=7,
    nb_stacks=1,
    dilations=DILATIONS,
    padding="causal",
    use_skip_connections=True,
    dropout_rate=0.0,
    activation="relu",
    kernel_initializer="he_normal",
    use_batch_norm=False,
    use_layer_norm=False,
    use_weight_norm=False,
    input_scale=common.PIXEL_SCALE,
    name="tcn_classifier",
):
    """Sequence -> class: a `zoo.layers.TCN` read at its last step.

    `Rescaling(input_scale)` -> `TCN(return_sequences=False)` ->
    `Dense(num_classes, softmax)`. With causal padding the last step sees
    the whole sequence once the receptive field,
    `1 + 2 * (kernel_size - 1) * nb_stacks * sum(dilations)`, covers it:
    3,061 steps with the defaults, enough for sequential MNIST (784 steps,
    one pixel per step).

    Args:
        input_shape: tuple `(steps, channels)`; `steps` may be `None`.
            Defaults to `(784, 1)` (sequential MNIST).
        num_classes: int. Number of classes. Defaults to 10.
        nb_filters: int. Channels of every residual block. Defaults to 25.
        kernel_size: int. Taps of every dilated conv. Defaults to 7.
        nb_stacks: int. Repeats of the dilation schedule. Defaults to 1.
        dilations: sequence of ints. One residual block per dilation.
            Defaults to `(1, 2, 4, ..., 128)`.
        padding: str. `"causal"` or `"same"`. Defaults to `"causal"`.
        use_skip_connections: bool. Sum the blocks' outputs. Defaults to
            `True`.
        dropout_rate: float in [0, 1). Spatial dropout in the blocks.
            Defaults to 0.
        activation: str. Activation inside the blocks. Defaults to `"relu"`.
        kernel_initializer: initializer name or config dict. Defaults to
            `"he_normal"`.
        use_batch_norm: bool. Defaults to `False`.
        use_layer_norm: bool. Defaults to `False`.
        use_weight_norm: bool. Defaults to `False`.
        input_scale: float. Factor applied to the raw inputs by the
            `"rescale"` layer. Defaults to `1/255` (pixel values).
        name: str. Model name. Defaults to `"tcn_classifier"`.

    Returns:
        An uncompiled functional `keras.Model` with layers `rescale`, `tcn`
        and `predictions` (softmax).

    Raises:
        ValueError: for a malformed `input_shape`, `num_classes` or
            `input_scale`, and for any argument `TCN` rejects.

    Example:

    >>> model = tcn_classifier(input_shape=(40, 1), dilations=(1, 2, 4))
    >>> model.output.shape
    (None, 10)
    """
    return _tcn_model("tcn_classifier", "num_classes", locals())


def tcn_regressor(
    input_shape=(600, 2),
    num_outputs=1,
    nb_filters=24,
    kernel_size=8,
    nb_stacks=1,
    dilations=DILATIONS,
    padding="causal",
    use_skip_connections=True,
    dropout_rate=0.0,
    activation="relu",
    kernel_initializer="he_normal",
    use_batch_norm=False,
    use_layer_norm=False,
    use_weight_norm=False,
    input_scale=1.0,
    name="tcn_regressor",
):
    """Sequence -> value(s): a `zoo.layers.TCN` and a linear output.

    `Rescaling(input_scale)` -> `TCN(return_sequences=False)` ->
    `Dense(num_outputs)`. The defaults are Bai et al.'s adding-problem
    network (T=600, two channels: values and a two-hot marker; 8 levels,
    kernel 8, 24 channels, 69,985 parameters).

    Args:
        input_shape: tuple `(steps, channels)`; `steps` may be `None`.
            Defaults to `(600, 2)` (the adding problem).
        num_outputs: int. Number of regression targets. Defaults to 1.
        nb_filters: int. Channels of every residual block. Defaults to 24.
        kernel_size: int. Taps of every dilated conv. Defaults to 8.
        nb_stacks: int. Repeats of the dilation schedule. Defaults to 1.
        dilations: sequence of ints. One residual block per dilation.
            Defaults to `(1, 2, 4, ..., 128)`.
        padding: str. `"causal"` or `"same"`. Defaults to `"causal"`.
        use_skip_connections: bool. Defaults to `True`.
        dropout_rate: float in [0, 1). Defaults to 0.
        activation: str. Activation inside the blocks. Defaults to `"relu"`.
        kernel_initializer: initializer name or config dict. Defaults to
            `"he_normal"`.
        use_batch_norm: bool. Defaults to `False`.
        use_layer_norm: bool. Defaults to `False`.
        use_weight_norm: bool. Defaults to `False`.
        input_scale: float. Factor applied to the raw inputs by the
            `"rescale"` layer. Defaults to 1.
        name: str. Model name. Defaults to `"tcn_regressor"`.

    Returns:
        An uncompiled functional `keras.Model` with layers `rescale`, `tcn`
        and `predictions` (linear).

    Raises:
        ValueError: for a malformed `input_shape`, `num_outputs` or
            `input_scale`, and for any argument `TCN` rejects.

    Example:

    >>> tcn_regressor().count_params()
    69985
    """
    return _tcn_model("tcn_regressor", "num_outputs", locals())


def _tcn_model(builder, outputs_argument, arguments):
    """The body both builders share: checks, rescale -> TCN -> head.

    `arguments` is the builder's `locals()`. `outputs_argument` names the
    head's size: `"num_classes"` gives a softmax, `"num_outputs"` a linear
    layer. Every argument is checked (the TCN's by the layer itself)
    before any layer is connected.
    """
    input_shape = common.sequence_input_shape(arguments["input_shape"], builder)
    units = validation.positive_int(
        arguments[outputs_argument], outputs_argument
    )
    input_scale = common.positive_float(arguments["input_scale"], "input_scale")
    tcn = TCN(
        return_sequences=False,
        name="tcn",
        **{key: arguments[key] for key in TCN_ARGUMENTS},
    )
    inputs = layers.Input(shape=input_shape, name="sequence")
    x = tcn(common.rescale(inputs, input_scale))
    if outputs_argument == "num_classes":
        outputs = common.classifier(x, units)
    else:
        outputs = layers.Dense(units, name="predictions")(x)
    return common.functional_model(inputs, outputs, arguments["name"])


def split_around_tcn(model):
    """`(pre_layers, tcn, post_layers)` of a chain model with one TCN.

    The classifiers and regressors built here are such chains
    (`rescale -> tcn -> predictions`). Streaming applies the pre-layers to
    each new step, advances the TCN with `TCN.step` and applies the
    post-layers to its output; anytime training reads the TCN at several
    steps (`TCN.sequence_outputs`) and applies the post-layers to each.

    Raises:
        ValueError: when the model has no TCN or several, a non-causal
            one, or a layer that is not part of a single chain.
    """
    body = [
        layer
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer)
    ]
    positions = [i for i, layer in enumerate(body) if isinstance(layer, TCN)]
    if len(positions) != 1:
        raise ValueError(
            f"Model {model.name!r} needs exactly one TCN layer; found "
            f"{len(positions)}."
        )
    tcn = body[positions[0]]
    if tcn.padding != "causal":
        raise ValueError(
            f"The TCN of {model.name!r} uses padding={tcn.padding!r}; only "
            "a causal TCN has an answer after each step."
        )
    for previous, layer in zip(body, body[1:]):
        if layer.input is not previous.output:
            raise ValueError(
                f"Model {model.name!r} is not a plain chain of layers "
                f"(layer {layer.name!r} does not read {previous.name!r})."
            )
    return body[: positions[0]], tcn, body[positions[0] + 1 :]
