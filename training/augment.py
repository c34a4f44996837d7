"""Image augmentation for the tf.data pipeline, and digit perturbations.

Images are float32 batches `(batch, height, width, channels)` of raw
0-255 values. There are two ways in:

- `POLICIES`: the training augmentations by name (`digits`,
  `digits_light`, `clothing`, `clothing_light`, `clothing_erase`). Each
  builds its steps once, from an int seed, and returns
  `augment(images) -> images`. The steps are Keras' random layers
  (`RandomTranslation`, `RandomZoom`, `RandomRotation`, `RandomFlip`,
  `RandomErasing`), which keep their own `SeedGenerator`,
  and the stroke-thickness step, which Keras has no layer for and which
  draws from a `tf.random.Generator`. Every call draws new transforms, so
  batches and epochs differ, and the whole sequence is fixed by the seed
  as long as the batches come in order (the pipeline maps a policy
  without parallel calls for that reason).
- `perturb_digits`: the digit transforms on a numpy array with explicit
  ranges, for robustness tables (see `DIGIT_PERTURBATIONS`). Its values
  are drawn with numpy from the seed and applied as one
  `keras.ops.image.affine_transform`, so shift, zoom and rotation cost one
  resampling and `(v, v)` applies exactly `v`.

`augment_digits`: stroke thickness, shift, zoom and rotation. No flips,
which would turn digits into other symbols. `augment_clothing`: horizontal
flips and whole-pixel shifts with zero fill, that is random crops of a
zero-padded image, and optionally random erasing (Zhong et al. 2017): a
rectangle of each chosen image replaced by noise, so that the model cannot
lean on any one part of the garment.

Stroke thickness blends each image with its 3x3 grey dilation (max
pooling: thicker strokes) or erosion (min pooling: thinner strokes):
`thickness` in [-1, 1], where 1 is the full dilation, -1 the full erosion
and 0 the image itself.
"""

import functools

import keras
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
# Random erasing as Zhong et al. ("Random Erasing Data Augmentation", 2017)
# trained on Fashion-MNIST: half the images lose a rectangle of 2-40 % of
# their area. Keras draws each side's share of the image as the square
# root of a value in ERASE_AREA, so the area lies in that range and the
# aspect ratio between about 1:4.5 and 4.5:1 (Zhong: 1:3.3 to 3.3:1).
ERASE_PROBABILITY = 0.5
ERASE_AREA = (0.02, 0.4)
MAX_VALUE = 255.0
# The digit properties, in the order the transforms take them.
PROPERTIES = ("thickness", "shift", "scale", "rotation")


def _check_range(name, bounds):
    if bounds is None:
        return
    is_pair = isinstance(bounds, (tuple, list)) and len(bounds) == 2
    if not is_pair or not bounds[0] <= bounds[1]:
        raise ValueError(
            f"`{name}` must be a (low, high) pair with low <= high, or "
            f"None. Received: {name}={bounds!r}"
        )
    if name == "scale" and not bounds[0] > 0:
        raise ValueError(
            f"`scale` must hold positive zoom factors. Received: "
            f"scale={bounds!r}"
        )


def _checked_ranges(*bounds):
    """`{property: (low, high) or None}` of the four digit ranges."""
    ranges = dict(zip(PROPERTIES, bounds))
    for name, pair in ranges.items():
        _check_range(name, pair)
    return ranges


def _seeds(seed, count):
    """`count` independent int seeds, one per random step, from `seed`."""
    return [int(s) for s in np.random.SeedSequence(seed).generate_state(count)]


def change_thickness(images, amount):
    """Blends images towards their 3x3 dilation (amount > 0) or erosion."""
    images = tf.convert_to_tensor(images, tf.float32)
    dilated = tf.nn.max_pool2d(images, 3, 1, "SAME")
    eroded = -tf.nn.max_pool2d(-images, 3, 1, "SAME")
    amount = tf.reshape(tf.cast(amount, tf.float32), [-1, 1, 1, 1])
    return (
        images
        + tf.nn.relu(amount) * (dilated - images)
        + tf.nn.relu(-amount) * (eroded - images)
    )


class _RandomThickness:
    """The stroke-thickness step of a policy: one amount per image."""

    def __init__(self, bounds, seed):
        self.low, self.high = bounds
        self.generator = tf.random.Generator.from_seed(seed)

    def __call__(self, images):
        amount = self.generator.uniform(
            [tf.shape(images)[0]], self.low, self.high
        )
        return change_thickness(images, amount)


def augment_digits(
    seed,
    image_size=(28, 28),
    *,
    thickness=DIGIT_AUGMENTATION["thickness"],
    shift=DIGIT_AUGMENTATION["shift"],
    scale=DIGIT_AUGMENTATION["scale"],
    rotation=DIGIT_AUGMENTATION["rotation"],
):
    """Random stroke thickness, then a random shift, zoom and rotation.

    Args:
        seed: int. Seeds every random step; the same seed gives the same
            sequence of batches.
        image_size: `(height, width)` of the images, which turns the
            shift in pixels into Keras' fractions. Defaults to `(28, 28)`.
        thickness: (low, high) in [-1, 1] or None. See the module doc.
        shift: (low, high) in pixels or None, for x and y separately.
        scale: (low, high) zoom factors or None; > 1 enlarges. Keras draws
            the inverse factor uniformly (`RandomZoom`).
        rotation: (low, high) in degrees or None; > 0 is counter-clockwise.

    Returns:
        `augment(images)`: float32 `(batch, height, width, channels)`
        0-255 images in, the same shape out, clipped to [0, 255]; usable
        inside `tf.data`.
    """
    _checked_ranges(thickness, shift, scale, rotation)
    height, width = image_size
    thickness_seed, *layer_seeds = _seeds(seed, 4)
    # Zeros come in from outside the image, as on the empty MNIST border;
    # float32 whatever the global dtype policy (mixed precision).
    outside = {
        "fill_mode": "constant",
        "fill_value": 0.0,
        "data_format": "channels_last",
        "dtype": "float32",
    }
    steps = []
    if shift is not None:
        steps.append(
            keras.layers.RandomTranslation(
                (shift[0] / height, shift[1] / height),
                (shift[0] / width, shift[1] / width),
                seed=layer_seeds[0],
                **outside,
            )
        )
    if scale is not None:
        # Keras' zoom factor z reads the input `1 + z` times as far from
        # the centre: z < 0 enlarges.
        steps.append(
            keras.layers.RandomZoom(
                (1.0 / scale[1] - 1.0, 1.0 / scale[0] - 1.0),
                seed=layer_seeds[1],
                **outside,
            )
        )
    if rotation is not None:
        steps.append(
            keras.layers.RandomRotation(
                (rotation[0] / 360.0, rotation[1] / 360.0),
                seed=layer_seeds[2],
                **outside,
            )
        )
    geometry = keras.layers.Pipeline(steps) if steps else None
    thicken = None
    if thickness is not None:
        thicken = _RandomThickness(thickness, thickness_seed)

    def augment(images):
        images = tf.convert_to_tensor(images, tf.float32)
        if thicken is not None:
            images = thicken(images)
        if geometry is not None:
            images = geometry(images)
        return tf.clip_by_value(images, 0.0, MAX_VALUE)

    return augment


def augment_clothing(seed, image_size=(28, 28), *, max_shift=3, erase=0.0):
    """Random horizontal flips, random crops of a zero-padded image and,
    optionally, random erasing.

    The crops are whole-pixel shifts with zero fill (nearest-neighbour
    `RandomTranslation`), which is the same as cropping an image padded
    with `max_shift` zeros on each side. `RandomCrop` would draw one
    window for the whole batch; this draws one per image. Erasing comes
    last (`RandomErasing`): with probability `erase`, a rectangle of
    `ERASE_AREA` of the image is filled with noise, each pixel
    `|N(0, 1)| * 255` clipped to [0, 255] or 0 (half of them).

    Args:
        seed: int. Seeds the flips, the crops and the erasing.
        image_size: `(height, width)` of the images. Defaults to
            `(28, 28)`.
        max_shift: int. The zero padding on each side; the crop moves the
            content by up to this many whole pixels. Defaults to 3.
        erase: float in [0, 1]. The share of images that get a rectangle
            erased. Defaults to 0 (no erasing).

    Returns:
        `augment(images)`: float32 `(batch, height, width, channels)`
        images in, the same shape out, in [0, 255] for inputs in [0, 255];
        usable inside `tf.data`.

    Raises:
        ValueError: when `erase` is not a probability.
    """
    if not 0.0 <= erase <= 1.0:
        raise ValueError(
            f"`erase` must be a probability in [0, 1]. Received: "
            f"erase={erase!r}"
        )
    # A third seed for erasing; the first two are those of the policies
    # without it (SeedSequence draws its words in the same order).
    flip_seed, shift_seed, erase_seed = _seeds(seed, 3)
    steps = [
        keras.layers.RandomFlip(
            "horizontal",
            seed=flip_seed,
            data_format="channels_last",
            dtype="float32",
        )
    ]
    if max_shift:
        # Rounding a shift drawn from (-m - 1/2, m + 1/2) gives each whole
        # shift from -m to m the same chance.
        reach = max_shift + 0.5
        height, width = image_size
        steps.append(
            keras.layers.RandomTranslation(
                (-reach / height, reach / height),
                (-reach / width, reach / width),
                fill_mode="constant",
                fill_value=0.0,
                interpolation="nearest",
                seed=shift_seed,
                data_format="channels_last",
                dtype="float32",
            )
        )
    if erase:
        steps.append(
            keras.layers.RandomErasing(
                # A pair (p, p): a single float would draw each image's
                # probability from [0, p], halving the rate asked for.
                factor=(erase, erase),
                scale=ERASE_AREA,
                value_range=(0.0, MAX_VALUE),
                seed=erase_seed,
                data_format="channels_last",
                dtype="float32",
            )
        )
    pipeline = keras.layers.Pipeline(steps)

    def augment(images):
        return pipeline(tf.convert_to_tensor(images, tf.float32))

    return augment


# `--augment` uses a data set's default policy ("digits" or "clothing");
# `--augment NAME` picks one of these by name. Each is called as
# `POLICIES[name](seed, image_size)` and returns `augment(images)`.
POLICIES = {
    "digits": augment_digits,
    "digits_light": functools.partial(
        augment_digits, **DIGIT_AUGMENTATION_LIGHT
    ),
    "clothing": augment_clothing,
    "clothing_light": functools.partial(
        augment_clothing, max_shift=CLOTHING_MAX_SHIFT_LIGHT
    ),
    # The light crops plus random erasing: a regulariser for models large
    # enough to fit the light policy's training split.
    "clothing_erase": functools.partial(
        augment_clothing,
        max_shift=CLOTHING_MAX_SHIFT_LIGHT,
        erase=ERASE_PROBABILITY,
    ),
}


def affine_matrices(dx, dy, scale, degrees, height, width):
    """`keras.ops.image.affine_transform` matrices, one row per image.

    Each rotates counter-clockwise by `degrees`, scales by `scale` about
    the image centre and moves the content right/down by `dx`/`dy` pixels.
    """
    dx, dy, scale, degrees = np.broadcast_arrays(
        *(np.asarray(v, np.float64) for v in (dx, dy, scale, degrees))
    )
    cx, cy = (width - 1.0) / 2.0, (height - 1.0) / 2.0
    theta = np.deg2rad(degrees)
    cos, sin = np.cos(theta) / scale, np.sin(theta) / scale
    # The transform maps each output pixel back to the input pixel it
    # reads: input = A (output - centre - shift) + centre, A the inverse
    # rotation (y points down, so counter-clockwise on screen) / scale.
    ox, oy = cx + dx, cy + dy
    zeros = np.zeros_like(cos)
    rows = [
        cos,
        -sin,
        cx - cos * ox + sin * oy,
        sin,
        cos,
        cy - sin * ox - cos * oy,
        zeros,
        zeros,
    ]
    return np.stack(rows, axis=1).astype(np.float32)


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
    leave it alone, and `(v, v)` to apply exactly `v` to every image. Each
    property draws from its own stream, so turning one off leaves the
    others' values as they were.

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
    ranges = _checked_ranges(thickness, shift, scale, rotation)
    array = np.asarray(images)
    if array.ndim not in (3, 4):
        raise ValueError(
            "`images` must have shape (n, height, width) or "
            f"(n, height, width, channels). Received: shape {array.shape}"
        )
    batch = (array if array.ndim == 4 else array[..., None]).astype(np.float32)
    n, height, width = batch.shape[:3]

    def draw(index, name, count=1, off=0.0):
        if ranges[name] is None:
            return np.full((count, n), off)
        rng = np.random.default_rng([seed, index])
        return rng.uniform(*ranges[name], size=(count, n))

    if thickness is not None:
        batch = change_thickness(batch, draw(0, "thickness")[0]).numpy()
    if shift is not None or scale is not None or rotation is not None:
        (dx, dy), zoom = draw(1, "shift", 2), draw(2, "scale", off=1.0)[0]
        degrees = draw(3, "rotation")[0]
        transforms = affine_matrices(dx, dy, zoom, degrees, height, width)
        batch = keras.ops.convert_to_numpy(
            keras.ops.image.affine_transform(
                batch,
                transforms,
                interpolation="bilinear",
                fill_value=0,
                data_format="channels_last",
            )
        )
    result = np.clip(batch, 0.0, MAX_VALUE).reshape(array.shape)
    if np.issubdtype(array.dtype, np.integer):
        return np.round(result).astype(array.dtype)
    return result.astype(array.dtype)
