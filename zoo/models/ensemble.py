"""Ensembles of trained classifiers, packaged as one functional model.

Averaging the class probabilities of a few independently trained models
is the most reliable accuracy gain there is for a fixed training recipe;
averaging each model's answer on the mirrored picture as well
(test-time flip averaging) adds a little more for data where mirroring
keeps the class, such as clothing (never for digits). The result is one
Keras model: it saves, loads and serves like any other, and can be the
teacher a smaller model is distilled from (`zoo-train --distill-from`).
"""

import keras
from keras import layers
from keras import ops


@keras.saving.register_keras_serializable(package="zoo")
class FlipLeftRight(layers.Layer):
    """Mirrors images left to right, always (not a random augmentation).

    `keras.layers.RandomFlip` flips only while training; this layer is the
    deterministic flip that test-time flip averaging needs.

    Args:
        data_format: `"channels_last"` or `"channels_first"`, or None for
            `keras.config.image_data_format()`.
        **kwargs: base `Layer` arguments (`name`, `dtype`, ...).

    Input shape:
        4D tensor `(batch, height, width, channels)` (channels_last) or
        `(batch, channels, height, width)` (channels_first).

    Output shape:
        The input shape.

    Example:

    >>> import numpy as np
    >>> x = np.arange(3, dtype="float32").reshape(1, 1, 3, 1)
    >>> y = keras.ops.convert_to_numpy(FlipLeftRight()(x))
    >>> y[0, 0, :, 0].tolist()
    [2.0, 1.0, 0.0]
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format is None:
            data_format = keras.config.image_data_format()
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(
                "`data_format` must be 'channels_last' or 'channels_first'. "
                f"Received: data_format={data_format!r}"
            )
        self.data_format = data_format

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(
                "FlipLeftRight expects 4D image batches; received input "
                f"shape {tuple(input_shape)}."
            )
        self.built = True

    def call(self, inputs):
        width_axis = 2 if self.data_format == "channels_last" else 3
        return ops.flip(inputs, axis=width_axis)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


def average_ensemble(members, flip_average=False, name="ensemble"):
    """One model whose output is the mean of its members' probabilities.

    Args:
        members: sequence of at least one classifier `keras.Model`, all
            with the same input and output shapes and softmax outputs.
            They are used as they are (shared, not copied).
        flip_average: bool. Also average every member's answer on the
            left-right mirrored input (`FlipLeftRight`). Only for images
            whose mirror keeps the class. Defaults to `False`.
        name: str. Model name. Defaults to `"ensemble"`.

    Returns:
        A functional `keras.Model` taking the members' input.

    Raises:
        ValueError: with no members, members of different input or output
            shapes or with the same name (a functional model names its
            layers uniquely), or `flip_average` on non-image inputs.

    Example:

    >>> import zoo
    >>> a = zoo.create_model("mnist_seed_cnn")
    >>> b = zoo.create_model("mnist_cnn")
    >>> average_ensemble([a, b], name="digits").output.shape
    (None, 10)
    """
    members = list(members)
    if not members:
        raise ValueError("An ensemble needs at least one member model.")
    shapes = {(tuple(m.input_shape), tuple(m.output_shape)) for m in members}
    if len(shapes) != 1:
        raise ValueError(
            "The members of an ensemble must share their input and output "
            "shapes; got (input, output) shapes "
            f"{sorted(shapes, key=str)}."
        )
    names = [member.name for member in members]
    if len(set(names)) != len(names):
        raise ValueError(
            f"The members of an ensemble need distinct names; got {names}. "
            "Rename the copies first (for example `model.name = "
            "'cnn_seed2'`)."
        )
    input_shape = members[0].input_shape
    if flip_average and len(input_shape) != 4:
        raise ValueError(
            "flip_average mirrors images: it needs 4D image inputs, but the "
            f"members take {tuple(input_shape)}."
        )
    inputs = keras.Input(shape=input_shape[1:], name="image")
    views = [inputs]
    if flip_average:
        views.append(FlipLeftRight(name="mirrored")(inputs))
    answers = [member(view) for member in members for view in views]
    if len(answers) == 1:
        outputs = answers[0]
    else:
        outputs = layers.Average(name="predictions")(answers)
    return keras.Model(inputs, outputs, name=name)
