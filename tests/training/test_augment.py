"""Augmentation transforms against numpy references, and the seed
contract: a policy built from an int seed repeats its sequence of batches,
`perturb_digits` repeats its result."""

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


def centroids(images):
    """`(x, y)` ink centroid of each image, from the image centre."""
    images = np.asarray(images, np.float64)[..., 0]
    size = images.shape[1]
    grid = np.arange(size) - (size - 1) / 2
    mass = images.sum(axis=(1, 2))
    x = (images.sum(axis=1) * grid).sum(axis=1) / mass
    y = (images.sum(axis=2) * grid).sum(axis=1) / mass
    return x, y


def blob(n, size=29, right=8, down=-6):
    """`n` copies of a 3x3 blob `right` px right and `down` px below the
    centre of an odd-sized image (a negative `down` is above)."""
    images = np.zeros((n, size, size, 1), np.float32)
    row, col = size // 2 + down, size // 2 + right
    images[:, row - 1 : row + 2, col - 1 : col + 2] = 200.0
    return images


def only(name, bounds):
    return {**OFF, name: bounds}


def digits(seed=0, size=28, **ranges):
    return augment.augment_digits(seed, (size, size), **ranges)


def test_digit_policy_repeats_its_sequence_for_its_seed():
    images = random_digits(4)[..., None].astype(np.float32)
    first, again, other = digits(1), digits(1), digits(2)
    batches = [first(images).numpy() for _ in range(3)]
    np.testing.assert_array_equal(batches, [again(images) for _ in range(3)])
    # Each call draws new transforms; another seed draws others.
    assert not np.array_equal(batches[0], batches[1])
    assert not np.array_equal(batches[0], other(images).numpy())
    assert not np.array_equal(batches[0], images)


def test_policy_inside_tf_data_repeats_and_varies_by_epoch():
    images = random_digits(16)[..., None].astype(np.float32)

    def epochs(seed):
        policy = augment.POLICIES["digits"](seed, (28, 28))
        dataset = tf.data.Dataset.from_tensor_slices(images).batch(4)
        dataset = dataset.map(policy)
        return [np.stack([b.numpy() for b in dataset]) for _ in range(2)]

    first, again = epochs(7), epochs(7)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first[0], first[1])
    assert not np.array_equal(first[0], epochs(8)[0])


def test_digit_rotation_by_90_degrees_matches_rot90():
    images = random_digits(2)[..., None].astype(np.float32)
    turned = digits(**only("rotation", (90.0, 90.0)))(images).numpy()
    np.testing.assert_allclose(turned, np.rot90(images, axes=(1, 2)), atol=1e-2)


def test_digit_whole_pixel_shift_matches_zero_filled_roll():
    images = random_digits(2)[..., None].astype(np.float32)
    moved = digits(**only("shift", (3.0, 3.0)))(images).numpy()
    expected = np.zeros_like(images)
    expected[:, 3:, 3:] = images[:, :-3, :-3]
    np.testing.assert_allclose(moved, expected, atol=1e-3)


def test_digit_scale_two_doubles_distances_from_centre():
    image = np.zeros((1, 27, 27, 1), np.float32)
    image[0, 13, 15] = 200.0
    image[0, 10, 13] = 100.0
    zoomed = digits(size=27, **only("scale", (2.0, 2.0)))(image).numpy()
    tent = np.outer([0.5, 1.0, 0.5], [0.5, 1.0, 0.5])
    expected = np.zeros_like(image)
    for (row, col), value in (((13, 17), 200.0), ((7, 13), 100.0)):
        expected[0, row - 1 : row + 2, col - 1 : col + 2, 0] += value * tent
    np.testing.assert_allclose(zoomed, expected, atol=1e-3)


def test_digit_ranges_are_the_ones_asked_for():
    images = blob(64, right=8, down=0)
    x0, y0 = centroids(images)
    radius = np.hypot(x0, y0)
    # Rotation: the blob turns about the centre by at most 15 degrees.
    x, y = centroids(digits(size=29, **only("rotation", (-15.0, 15.0)))(images))
    angles = np.degrees(np.arctan2(-y, x))  # y points down
    assert np.all(np.abs(angles) <= 15.0 + 0.5)
    assert np.ptp(angles) > 20.0
    np.testing.assert_allclose(np.hypot(x, y), radius, rtol=0.02)
    # Shift: the blob moves up to 2 pixels along each axis.
    x, y = centroids(digits(size=29, **only("shift", (-2.0, 2.0)))(images))
    for moved in (x - x0, y - y0):
        assert np.all(np.abs(moved) <= 2.0 + 0.05)
        assert np.ptp(moved) > 2.5
    # Zoom: distances from the centre scale by 0.8 to 1.2.
    x, y = centroids(digits(size=29, **only("scale", (0.8, 1.2)))(images))
    ratio = np.hypot(x, y) / radius
    assert np.all((ratio >= 0.8 - 0.02) & (ratio <= 1.2 + 0.02))
    assert np.ptp(ratio) > 0.25


def test_digit_policy_never_flips():
    # A blob right of and above the centre stays there under the whole
    # policy: a flip, left-right or up-down, would move it across.
    for name in ("digits", "digits_light"):
        policy = augment.POLICIES[name](3, (29, 29))
        for _ in range(3):
            out = policy(blob(64, right=8, down=-8)).numpy()
            x, y = centroids(out)
            # At least 2.5 px from each axis after a 15 degree turn, a
            # 0.8 zoom and a 2 px shift; a flip would land 8 px across.
            assert np.all(x > 2.0) and np.all(y < -2.0), name
            assert out.min() >= 0.0 and out.max() <= 255.0


@pytest.mark.parametrize(
    "amount, reduce, pad_value",
    [(1.0, np.max, -np.inf), (-1.0, np.min, np.inf)],
)
def test_digit_thickness_is_max_or_min_filter(amount, reduce, pad_value):
    images = random_digits(2)
    policy = digits(**only("thickness", (amount, amount)))
    out = policy(images[..., None].astype(np.float32)).numpy()[..., 0]
    np.testing.assert_allclose(
        out, np_filter3x3(images, reduce, pad_value), atol=1e-3
    )


def test_digit_thickness_range_lies_between_erosion_and_dilation():
    images = random_digits(8)
    out = digits(**only("thickness", (-0.5, 1.0)))(
        images[..., None].astype(np.float32)
    ).numpy()[..., 0]
    eroded = np_filter3x3(images, np.min, np.inf)
    dilated = np_filter3x3(images, np.max, -np.inf)
    assert np.all(out >= eroded - 1e-3) and np.all(out <= dilated + 1e-3)
    # Some images thicken, some thin.
    ink = out.sum(axis=(1, 2)) - images.sum(axis=(1, 2))
    assert ink.max() > 0 > ink.min()


@pytest.mark.parametrize(
    "policy, shift",
    [
        (
            lambda seed, size: augment.augment_clothing(
                seed, size, max_shift=2
            ),
            2,
        ),
        (augment.POLICIES["clothing_light"], augment.CLOTHING_MAX_SHIFT_LIGHT),
        (augment.POLICIES["clothing"], augment.CLOTHING_MAX_SHIFT),
    ],
)
def test_clothing_is_flip_plus_whole_pixel_crop(policy, shift):
    rng = np.random.default_rng(1)
    images = np.zeros((64, 12, 12, 1), np.float32)
    images[:, 3:9, 3:9] = rng.integers(1, 256, (64, 6, 6, 1))
    # Left-right asymmetric, so a flip is told apart from no flip.
    images[:, 3:9, 3] = 255.0
    out = policy(5, (12, 12))(images).numpy()
    assert out.shape == images.shape

    def crops(image):
        for flipped in (False, True):
            source = image[:, ::-1] if flipped else image
            padded = np.pad(source, [(shift, shift), (shift, shift), (0, 0)])
            for top in range(2 * shift + 1):
                for left in range(2 * shift + 1):
                    crop = padded[top : top + 12, left : left + 12]
                    yield (flipped, top, left), crop

    found = []
    for image, result in zip(images, out):
        matches = [key for key, c in crops(image) if np.array_equal(result, c)]
        assert matches, "not a flip plus a whole-pixel crop"
        found.append(matches[0])
    flips, tops, lefts = zip(*found)
    # Both flips and every crop offset occur: one draw per image.
    assert set(flips) == {False, True}
    assert set(tops) == set(lefts) == set(range(2 * shift + 1))


def erased_boxes(images, erase, seed=2):
    """The bounding box `(top, bottom, left, right)` of the pixels that
    erasing changed in each of `images` (constant 100 inside), or None."""
    out = augment.augment_clothing(
        seed, images.shape[1:3], max_shift=0, erase=erase
    )(images).numpy()
    assert out.min() >= 0.0 and out.max() <= 255.0
    boxes = []
    for changed in (out != 100.0)[..., 0]:
        rows, cols = (
            np.flatnonzero(changed.any(1)),
            np.flatnonzero(changed.any(0)),
        )
        if rows.size == 0:
            boxes.append(None)
            continue
        box = (rows[0], rows[-1] + 1, cols[0], cols[-1] + 1)
        # One rectangle, not scattered pixels: the noise fills its box
        # (a noise value equal to 100 has probability ~0).
        assert changed[box[0] : box[1], box[2] : box[3]].mean() > 0.99
        boxes.append(box)
    return boxes


def test_clothing_erasing_replaces_one_rectangle_of_the_asked_size():
    images = np.full((300, 28, 28, 1), 100.0, np.float32)
    boxes = erased_boxes(images, erase=1.0)
    assert all(box is not None for box in boxes)
    areas = np.array([(b - t) * (r - lf) / 28**2 for t, b, lf, r in boxes])
    low, high = augment.ERASE_AREA
    # Keras rounds the sides to whole pixels: allow one pixel each way.
    assert areas.min() >= low * 0.5 and areas.max() <= high + 2 * 29 / 28**2
    assert np.quantile(areas, 0.9) > 0.25 and np.quantile(areas, 0.1) < 0.1
    # Tall and wide rectangles, at varied places.
    aspects = [(b - t) / (r - lf) for t, b, lf, r in boxes]
    assert min(aspects) < 0.6 < 1.6 < max(aspects)
    assert len({(t, lf) for t, _, lf, _ in boxes}) > 100


def test_clothing_erasing_hits_the_asked_share_of_images():
    images = np.full((400, 12, 12, 1), 100.0, np.float32)
    erased = [box is not None for box in erased_boxes(images, erase=0.5)]
    # Binomial(400, 0.5): 0.5 +- 0.075 is more than 3 standard deviations.
    assert abs(np.mean(erased) - 0.5) < 0.075
    assert not any(box is not None for box in erased_boxes(images, 0.0))


def test_clothing_erase_policy_is_the_light_crops_plus_erasing():
    policy = augment.POLICIES["clothing_erase"]
    assert policy.keywords == {
        "max_shift": augment.CLOTHING_MAX_SHIFT_LIGHT,
        "erase": augment.ERASE_PROBABILITY,
    }
    # The erasing seed is drawn third, so the flips and crops of a seed
    # (and the shipped models' commands) are what they were before it.
    for seed in (1, 7, 42):
        assert augment._seeds(seed, 3)[:2] == augment._seeds(seed, 2)


@pytest.mark.parametrize("erase", [-0.1, 1.5])
def test_clothing_erase_must_be_a_probability(erase):
    with pytest.raises(ValueError, match=r"`erase` must be a probability"):
        augment.augment_clothing(1, erase=erase)


def test_clothing_policy_repeats_its_sequence_for_its_seed():
    images = np.zeros((16, 12, 12, 1), np.float32)
    images[:, 3:9, 3:6] = 100.0
    first = augment.augment_clothing(4, (12, 12))
    again = augment.augment_clothing(4, (12, 12))
    batches = [first(images).numpy() for _ in range(2)]
    np.testing.assert_array_equal(batches, [again(images) for _ in range(2)])
    assert not np.array_equal(batches[0], batches[1])
    other = augment.augment_clothing(5, (12, 12))(images).numpy()
    assert not np.array_equal(batches[0], other)


def test_light_digit_ranges_lie_inside_the_full_ranges():
    for name, light in augment.DIGIT_AUGMENTATION_LIGHT.items():
        if light is None:
            continue
        low, high = augment.DIGIT_AUGMENTATION[name]
        assert low <= light[0] <= light[1] <= high, name
    assert augment.CLOTHING_MAX_SHIFT_LIGHT < augment.CLOTHING_MAX_SHIFT


def test_digits_light_policy_uses_the_light_ranges():
    images = random_digits(4)[..., None].astype(np.float32)
    light = augment.POLICIES["digits_light"](1, (28, 28))(images)
    expected = digits(1, **augment.DIGIT_AUGMENTATION_LIGHT)(images)
    np.testing.assert_array_equal(light.numpy(), expected.numpy())
    full = augment.POLICIES["digits"](1, (28, 28))(images)
    assert not np.array_equal(light.numpy(), full.numpy())


@pytest.mark.parametrize("bounds", [(1.0, -1.0), (1.0,), 5.0])
def test_policy_bad_range_raises(bounds):
    with pytest.raises(ValueError, match="Received: rotation="):
        augment.augment_digits(0, rotation=bounds)


def test_non_positive_scale_raises():
    with pytest.raises(ValueError, match=r"Received: scale=\(0.0, 1.0\)"):
        augment.perturb_digits(random_digits(1), 0, scale=(0.0, 1.0))
