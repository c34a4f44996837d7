"""Augmentation transforms against numpy references, and the determinism
of `perturb_digits`."""

import functools

import numpy as np
import pytest
import tensorflow as tf

from training import augment

OFF = {"thickness": None, "shift": None, "scale": None, "rotation": None}


def random_digits(n=4, size=28, seed=0):
    rng = np.random.default_rng(seed)
    images = np.zeros((n, size, size), np.uint8)
    # Strokes away from the border, so shifts and rotations keep them.
    images[:, 8:20, 8:20] = rng.integers(0, 256, (n, 12, 12))
    return images


def np_filter3x3(images, reduce, pad_value):
    """3x3 max/min filter, ignoring pixels outside the image."""
    padded = np.pad(
        images.astype(np.float64),
        [(0, 0), (1, 1), (1, 1)],
        constant_values=pad_value,
    )
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), (1, 2))
    return reduce(windows, axis=(-2, -1))


def test_perturb_digits_is_deterministic():
    images = random_digits()
    first = augment.perturb_digits(images, seed=3)
    again = augment.perturb_digits(images, seed=3)
    other = augment.perturb_digits(images, seed=4)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert not np.array_equal(first, images)


@pytest.mark.parametrize(
    "shape, dtype", [((3, 28, 28), np.uint8), ((3, 28, 28, 1), np.float32)]
)
def test_perturb_digits_keeps_shape_dtype_range(shape, dtype):
    images = random_digits(3).reshape(shape).astype(dtype)
    out = augment.perturb_digits(images, seed=0)
    assert out.shape == shape and out.dtype == dtype
    assert out.min() >= 0 and out.max() <= 255


def test_all_off_is_identity():
    images = random_digits()
    np.testing.assert_array_equal(
        augment.perturb_digits(images, seed=0, **OFF), images
    )


def test_rotation_by_90_degrees_matches_rot90():
    images = random_digits(2)
    turned = augment.perturb_digits(
        images.astype(np.float32), 0, **{**OFF, "rotation": (90.0, 90.0)}
    )
    # np.rot90 turns counter-clockwise as the image is displayed.
    np.testing.assert_allclose(turned, np.rot90(images, axes=(1, 2)), atol=1e-2)


def test_whole_pixel_shift_matches_zero_filled_roll():
    images = random_digits(2).astype(np.float32)
    moved = augment.perturb_digits(images, 0, **{**OFF, "shift": (3.0, 3.0)})
    expected = np.zeros_like(images)
    expected[:, 3:, 3:] = images[:, :-3, :-3]
    np.testing.assert_allclose(moved, expected, atol=1e-3)


def test_scale_two_doubles_distances_from_centre():
    # An odd size puts the centre on pixel 13, so x2 maps pixels to pixels.
    image = np.zeros((1, 27, 27), np.float32)
    image[0, 13, 15] = 200.0  # 2 px right of the centre: lands at 4 px
    image[0, 10, 13] = 100.0  # 3 px above: lands 6 px above
    zoomed = augment.perturb_digits(image, 0, **{**OFF, "scale": (2.0, 2.0)})
    # Bilinear reading of a x2 zoom turns one pixel into the 3x3 tent
    # (0.5, 1, 0.5) x (0.5, 1, 0.5) around its new place.
    tent = np.outer([0.5, 1.0, 0.5], [0.5, 1.0, 0.5])
    expected = np.zeros_like(image)
    for (row, col), value in (((13, 17), 200.0), ((7, 13), 100.0)):
        expected[0, row - 1 : row + 2, col - 1 : col + 2] += value * tent
    np.testing.assert_allclose(zoomed, expected, atol=1e-3)


@pytest.mark.parametrize(
    "amount, reduce, pad_value",
    [(1.0, np.max, -np.inf), (-1.0, np.min, np.inf)],
)
def test_full_thickness_change_is_max_or_min_filter(amount, reduce, pad_value):
    images = random_digits(2)
    out = augment.perturb_digits(
        images.astype(np.float32), 0, **{**OFF, "thickness": (amount, amount)}
    )
    expected = np_filter3x3(images, reduce, pad_value)
    np.testing.assert_allclose(out, expected, atol=1e-3)


def test_half_thickening_is_a_blend():
    images = random_digits(1).astype(np.float32)
    out = augment.perturb_digits(images, 0, **{**OFF, "thickness": (0.5, 0.5)})
    dilated = np_filter3x3(images, np.max, -np.inf)
    np.testing.assert_allclose(out, (images + dilated) / 2, atol=1e-3)


@pytest.mark.parametrize("bounds", [(1.0, -1.0), (1.0,), 5.0])
def test_bad_range_raises(bounds):
    with pytest.raises(ValueError, match="Received: rotation="):
        augment.perturb_digits(random_digits(1), 0, rotation=bounds)


def test_bad_image_rank_raises():
    with pytest.raises(ValueError, match=r"Received: shape \(28, 28\)"):
        augment.perturb_digits(np.zeros((28, 28)), 0)


@pytest.mark.parametrize(
    "transform, shift",
    [
        (functools.partial(augment.augment_clothing, max_shift=2), 2),
        (augment.POLICIES["clothing_light"], augment.CLOTHING_MAX_SHIFT_LIGHT),
    ],
)
def test_clothing_is_flip_plus_whole_pixel_crop(transform, shift):
    rng = np.random.default_rng(1)
    images = np.zeros((8, 12, 12, 1), np.float32)
    images[:, 3:9, 3:9] = rng.integers(1, 256, (8, 6, 6, 1))
    out = transform(tf.constant(images), tf.constant([5, 6])).numpy()
    assert out.shape == images.shape

    def candidates(image):
        for flipped in (image, image[:, ::-1]):
            padded = np.pad(flipped, [(shift, shift), (shift, shift), (0, 0)])
            for top in range(2 * shift + 1):
                for left in range(2 * shift + 1):
                    yield padded[top : top + 12, left : left + 12]

    for image, result in zip(images, out):
        assert any(np.array_equal(result, c) for c in candidates(image))
    assert not np.array_equal(out, images)


def test_augment_digits_same_seed_same_batch():
    images = tf.constant(random_digits(4)[..., None], tf.float32)
    first = augment.augment_digits(images, tf.constant([1, 2]))
    again = augment.augment_digits(images, tf.constant([1, 2]))
    other = augment.augment_digits(images, tf.constant([1, 3]))
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    assert not np.array_equal(first.numpy(), other.numpy())


def test_light_digit_ranges_lie_inside_the_full_ranges():
    for name, light in augment.DIGIT_AUGMENTATION_LIGHT.items():
        if light is None:
            continue
        low, high = augment.DIGIT_AUGMENTATION[name]
        assert low <= light[0] <= light[1] <= high, name
    assert augment.CLOTHING_MAX_SHIFT_LIGHT < augment.CLOTHING_MAX_SHIFT


def test_digits_light_policy_uses_the_light_ranges():
    images = tf.constant(random_digits(4)[..., None], tf.float32)
    seed = tf.constant([1, 2])
    light = augment.POLICIES["digits_light"](images, seed)
    expected = augment.augment_digits(
        images, seed, **augment.DIGIT_AUGMENTATION_LIGHT
    )
    np.testing.assert_array_equal(light.numpy(), expected.numpy())
    full = augment.POLICIES["digits"](images, seed)
    assert not np.array_equal(light.numpy(), full.numpy())
