"""Input checks and layers shared by the model builders.

Builders check their arguments before creating any layer, so a bad value
fails with a message that names the builder and the argument instead of a
shape error from deep inside Keras.
"""

import keras
from keras import layers

from zoo.utils import validation

# Raw MNIST-style inputs are 0-255 pixel values; models rescale them
# themselves so callers never have to remember the preprocessing.
PIXEL_SCALE = 1.0 / 255.0


def image_input_shape(input_shape, builder):
    """Checks an `(height, width, channels)` shape of positive ints."""
    shape = _int_tuple(input_shape, builder)
    if len(shape) != 3 or any(d is None or d < 1 for d in shape):
        raise ValueError(
            f"`{builder}` expects `input_shape=(height, width, channels)` "
            f"with positive sizes (channels_last). "
            f"Received: input_shape={input_shape!r}"
        )
    return shape


def sequence_input_shape(input_shape, builder):
    """Checks a `(steps, channels)` shape; `steps` may be `None`."""
    shape = _int_tuple(input_shape, builder)
    if (
        len(shape) != 2
        or shape[1] is None
        or any(d is not None and d < 1 for d in shape)
    ):
        raise ValueError(
            f"`{builder}` expects `input_shape=(steps, channels)` with a "
            f"positive number of channels (steps may be None). "
            f"Received: input_shape={input_shape!r}"
        )
    return shape


def _int_tuple(input_shape, builder):
    try:
        shape = tuple(input_shape)
    except TypeError:
        shape = ()
    if not shape or any(
        d is not None and (isinstance(d, bool) or not isinstance(d, int))
        for d in shape
    ):
        raise ValueError(
            f"`{builder}` expects `input_shape` to be a tuple of ints. "
            f"Received: input_shape={input_shape!r}"
        )
    return shape


def int_list(value, name, builder):
    """A non-empty list of positive ints from an int or a sequence."""
    values = [value] if isinstance(value, int) else value
    try:
        values = list(values)
    except TypeError:
        values = []
    if not values:
        raise ValueError(
            f"`{builder}` expects `{name}` to be a positive int or a "
            f"non-empty sequence of positive ints. Received: {name}={value!r}"
        )
    for v in values:
        validation.positive_int(v, name)
    return values


def positive_float(value, name):
    """Checks that `value` is a strictly positive number."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not value > 0
    ):
        raise ValueError(
            f"Invalid value for argument `{name}`. Expected a strictly "
            f"positive number. Received: {name}={value!r}"
        )
    return float(value)


def check_downsampling(input_shape, factor, builder):
    """Rejects images smaller than the network's total downsampling."""
    height, width = input_shape[:2]
    if min(height, width) < factor:
        raise ValueError(
            f"`{builder}` downsamples its input {factor}x, so the input "
            f"height and width must be at least {factor}. "
            f"Received: input_shape={tuple(input_shape)}"
        )


def check_fits(x, window, layer_name, builder, input_shape):
    """Checks that a feature map is large enough for the next window.

    Args:
        x: symbolic `(batch, height, width, channels)` tensor.
        window: int. Smallest height and width the next layer accepts.
        layer_name: str. Name of that layer, quoted in the message.
        builder: str. Name of the builder, quoted in the message.
        input_shape: the model's input shape, quoted in the message.

    Raises:
        ValueError: when the feature map is smaller than `window`.
    """
    height, width = x.shape[1:3]
    if min(height, width) < window:
        raise ValueError(
            f"input_shape={tuple(input_shape)} is too small for "
            f"`{builder}`: layer '{layer_name}' needs a feature map of at "
            f"least {window}x{window} but receives {height}x{width}. Use a "
            f"larger input or fewer downsampling blocks. "
            f"Received: input_shape={tuple(input_shape)}"
        )


def rescale(inputs, scale=PIXEL_SCALE):
    """Maps raw values into the range the network trains on."""
    return layers.Rescaling(scale, name="rescale")(inputs)


def classifier(x, num_classes):
    """Softmax class probabilities, always named `"predictions"`."""
    validation.positive_int(num_classes, "num_classes")
    return layers.Dense(num_classes, activation="softmax", name="predictions")(
        x
    )


def functional_model(inputs, outputs, name):
    return keras.Model(inputs=inputs, outputs=outputs, name=name)
