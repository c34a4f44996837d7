"""Image augmentation for the tf.data pipeline, and digit perturbations.

All transforms work on float32 batches `(batch, height, width, channels)`
of raw 0-255 values and draw their randomness from a stateless seed (a
shape-`(2,)` integer tensor), so a seed fixes the result exactly.

- `augment_digits`: stroke thickness, shift, zoom and rotation. No flips,
  which would turn digits into other symbols.
- `augment_clothing`: horizontal flips and random crops of a zero-padded
  image (done as whole-pixel shifts with zero fill, which is the same).
- `POLICIES`: the transforms by name, including `digits_light` and
  `clothing_light` with smaller ranges.
- `perturb_digits`: the digit transforms on a numpy array with explicit
  ranges, for robustness tables (see `DIGIT_PERTURBATIONS`).

Stroke thickness blends each image with its 3x3 grey dilation (max
pooling: thicker strokes) or erosion (min pooling: thinner strokes):
`thickness` in [-1, 1], where 1 is the full dilation, -1 the full erosion
and 0 the image itself.
"""

import functools
import math

import numpy as np
import tensorflow as tf

# Ranges (low, high), sampled uniformly per image.
DIGIT_AUGMENTATION = {
    "thickness": (-0.5, 1.0),
    "shift": (-2.0, 2.0),
    "scale": (0.8, 1.2),
    "rotation": (-15.0, 15.0),
}
# Named settings for robustness tables: each changes one property.
DIGIT_PERTURBATIONS = {
    "thicker strokes": {"thickness": (1.0, 1.0)},
    "thinner strokes": {"thickness": (-0.6, -0.6)},
    "shift ±3 px": {"shift": (-3.0, 3.0)},
    "scale 0.75-1.25": {"scale": (0.75, 1.25)},
    "rotate ±25°": {"rotation": (-25.0, 25.0)},
    "all of these": {
        "thickness": (-0.6, 1.0),
        "shift": (-3.0, 3.0),
        "scale": (0.75, 1.25),
        "rotation": (-25.0, 25.0),
    },
}
# The "light" policies: about half the geometric ranges and no thickness
# change for digits, crops of 2 pixels instead of 3 for clothing. For models
# the full ranges leave underfit (training accuracy below validation).
DIGIT_AUGMENTATION_LIGHT = {
    "thickness": None,
    "shift": (-1.0, 1.0),
    "scale": (0.9, 1.1),
    "rotation": (-8.0, 8.0),
}
CLOTHING_MAX_SHIFT = 3  # pixels of zero padding for the random crops
CLOTHING_MAX_SHIFT_LIGHT = 2
MAX_VALUE = 255.0


def _uniform(seed, index, batch, bounds):
    low, high = bounds
    return tf.random.stateless_uniform(
        [batch],
        seed=tf.random.experimental.stateless_fold_in(seed, index),
        minval=low,
        maxval=high,
    )


def _check_range(name, bounds):
    if bounds is None:
        return
    is_pair = isinstance(bounds, (tuple, list)) and len(bounds) == 2
    if not is_pair or not bounds[0] <= bounds[1]:
        raise ValueError(
            f"`{name}` must be a (low, high) pair with low <= high, or "
            f"None. Received: {name}={bounds!r}"
        )


def change_thickness(images, amount):
    """Blends images towards their 3x3 dilation (amount > 0) or erosion."""
    dilated = tf.nn.max_pool2d(images, 3, 1, "SAME")
    eroded = -tf.nn.max_pool2d(-images, 3, 1, "SAME")
    amount = tf.reshape(amount, [-1, 1, 1, 1])
    return (
        images
        + tf.nn.relu(amount) * (dilated - images)
        + tf.nn.relu(-amount) * (eroded - images)
    )


def affine_transform(images, dx, dy, scale, degrees, interpolation):
    """Rotates (counter-clockwise), scales and shifts about the centre.

    `dx`/`dy` move the content right/down by that many pixels; every
    argument holds one value per image. Pixels that come from outside the
    image are 0.
    """
    shape = tf.shape(images)
    height = tf.cast(shape[1], tf.float32)
    width = tf.cast(shape[2], tf.float32)
    cx, cy = (width - 1.0) / 2.0, (height - 1.0) / 2.0
    theta = degrees * (math.pi / 180.0)
    cos, sin = tf.cos(theta) / scale, tf.sin(theta) / scale
    # The op maps each output pixel back to the input pixel it reads:
    # input = A (output - centre - shift) + centre, A the inverse rotation
    # (y points down, so counter-clockwise on screen) divided by scale.
    ox, oy = cx + dx, cy + dy
    transforms = tf.stack(
        [
            cos,
            -sin,
            cx - cos * ox + sin * oy,
            sin,
            cos,
            cy - sin * ox - cos * oy,
            tf.zeros_like(cos),
            tf.zeros_like(cos),
        ],
        axis=1,
    )
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=transforms,
        output_shape=shape[1:3],
        fill_value=0.0,
        interpolation=interpolation,
        fill_mode="CONSTANT",
    )


def augment_digits(
    images,
    seed,
    *,
    thickness=DIGIT_AUGMENTATION["thickness"],
    shift=DIGIT_AUGMENTATION["shift"],
    scale=DIGIT_AUGMENTATION["scale"],
    rotation=DIGIT_AUGMENTATION["rotation"],
):
    """Random stroke thickness, then a random shift, zoom and rotation.

    Args:
        images: float32 tensor `(batch, height, width, channels)`, 0-255.
        seed: int tensor of shape `(2,)`, the stateless random seed.
        thickness: (low, high) in [-1, 1] or None. See the module doc.
        shift: (low, high) in pixels or None, for x and y separately.
        scale: (low, high) zoom factors or None; > 1 enlarges.
        rotation: (low, high) in degrees or None; > 0 is counter-clockwise.

    Returns:
        A float32 tensor of the same shape, clipped to [0, 255].
    """
    ranges = {
        "thickness": thickness,
        "shift": shift,
        "scale": scale,
        "rotation": rotation,
    }
    for name, bounds in ranges.items():
        _check_range(name, bounds)
    images = tf.convert_to_tensor(images, tf.float32)
    batch = tf.shape(images)[0]
    if thickness is not None:
        images = change_thickness(images, _uniform(seed, 0, batch, thickness))
    if shift is None and scale is None and rotation is None:
        return tf.clip_by_value(images, 0.0, MAX_VALUE)
    zeros = tf.zeros([batch])
    dx = _uniform(seed, 1, batch, shift) if shift else zeros
    dy = _uniform(seed, 2, batch, shift) if shift else zeros
    zoom = _uniform(seed, 3, batch, scale) if scale else zeros + 1.0
    degrees = _uniform(seed, 4, batch, rotation) if rotation else zeros
    images = affine_transform(images, dx, dy, zoom, degrees, "BILINEAR")
    return tf.clip_by_value(images, 0.0, MAX_VALUE)


def augment_clothing(images, seed, *, max_shift=CLOTHING_MAX_SHIFT):
    """Random horizontal flips and random crops of a zero-padded image.

    Args:
        images: float32 tensor `(batch, height, width, channels)`.
        seed: int tensor of shape `(2,)`, the stateless random seed.
        max_shift: int. The zero padding on each side; the crop moves the
            content by up to this many whole pixels. Defaults to 3.

    Returns:
        A float32 tensor of the same shape.
    """
    images = tf.convert_to_tensor(images, tf.float32)
    batch = tf.shape(images)[0]
    flip = _uniform(seed, 0, batch, (0.0, 1.0)) < 0.5
    images = tf.where(
        tf.reshape(flip, [-1, 1, 1, 1]), tf.reverse(images, axis=[2]), images
    )
    if not max_shift:
        return images
    steps = tf.random.stateless_uniform(
        [2, batch],
        seed=tf.random.experimental.stateless_fold_in(seed, 1),
        minval=-max_shift,
        maxval=max_shift + 1,
        dtype=tf.int32,
    )
    steps = tf.cast(steps, tf.float32)
    ones, zeros = tf.ones([batch]), tf.zeros([batch])
    return affine_transform(images, steps[0], steps[1], ones, zeros, "NEAREST")


# `--augment` uses a data set's default policy ("digits" or "clothing");
# `--augment NAME` picks one of these by name.
POLICIES = {
    "digits": augment_digits,
    "digits_light": functools.partial(
        augment_digits, **DIGIT_AUGMENTATION_LIGHT
    ),
    "clothing": augment_clothing,
    "clothing_light": functools.partial(
        augment_clothing, max_shift=CLOTHING_MAX_SHIFT_LIGHT
    ),
}


def perturb_digits(
    images,
    seed,
    *,
    thickness=(-1.0, 1.0),
    shift=(-2.0, 2.0),
    scale=(0.9, 1.1),
    rotation=(-15.0, 15.0),
):
    """Randomly thickens/thins, shifts, scales and rotates digit images.

    The same seed gives the same result. Pass `None` for a property to
    leave it alone, and `(v, v)` to apply exactly `v` to every image.

    Args:
        images: numpy array `(n, height, width)` or
            `(n, height, width, channels)`, uint8 or float, 0-255.
        seed: int. The random seed.
        thickness: (low, high) in [-1, 1] or None: 1 dilates the strokes
            with a 3x3 max filter, -1 erodes them with a 3x3 min filter.
            Defaults to (-1.0, 1.0).
        shift: (low, high) in pixels, or None. Defaults to (-2.0, 2.0).
        scale: (low, high) zoom factors, or None. Defaults to (0.9, 1.1).
        rotation: (low, high) in degrees (counter-clockwise), or None.
            Defaults to (-15.0, 15.0).

    Returns:
        A numpy array with the shape and dtype of `images` (uint8 results
        are rounded).

    Raises:
        ValueError: when `images` is not a batch of images or a range is
            not a (low, high) pair.

    Example:

    >>> x = np.zeros((2, 28, 28), np.uint8)
    >>> perturb_digits(x, seed=0).shape
    (2, 28, 28)
    """
    array = np.asarray(images)
    if array.ndim not in (3, 4):
        raise ValueError(
            "`images` must have shape (n, height, width) or "
            f"(n, height, width, channels). Received: shape {array.shape}"
        )
    batch = array if array.ndim == 4 else array[..., None]
    result = augment_digits(
        tf.constant(batch, tf.float32),
        tf.constant([seed, 0], tf.int64),
        thickness=thickness,
        shift=shift,
        scale=scale,
        rotation=rotation,
    ).numpy()
    result = result.reshape(array.shape)
    if np.issubdtype(array.dtype, np.integer):
        return np.round(result).astype(array.dtype)
    return result.astype(array.dtype)
