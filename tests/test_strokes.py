"""`zoo.strokes`: width measurement, morphology, thinning, normalisation."""

import numpy as np
import pytest

from zoo import strokes


def bar(width, length=40, size=60):
    image = np.zeros((size, size), np.float32)
    start = (size - width) // 2
    image[10 : 10 + length, start : start + width] = 255.0
    return image


@pytest.mark.parametrize("width", [2, 4, 8])
def test_stroke_width_grows_with_the_stroke(width):
    # Level edges read ~10 % wide (the 4/pi factor is for all directions).
    measured = strokes.stroke_width(bar(width))
    assert width * 0.9 <= measured <= width * 1.3


def test_dilate_and_erode_against_a_numpy_reference():
    image = np.random.default_rng(0).uniform(0, 255, (15, 17))
    padded = np.pad(image, 1, constant_values=-np.inf)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3))
    square = windows.max(axis=(-2, -1))
    np.testing.assert_allclose(strokes.dilate(image, 1)[1:-1, 1:-1], square)
    padded = np.pad(image, 1)  # outside the image is background (0)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3))
    np.testing.assert_allclose(
        strokes.erode(image, 1), windows.min(axis=(-2, -1))
    )


def test_dilation_of_a_point_is_an_octagon():
    point = np.zeros((1, 1), np.float32) + 255.0
    disc = strokes.dilate(point, 4) > 0
    assert disc.shape == (9, 9)
    assert disc[4].all() and disc[:, 4].all()
    assert not disc[0, 0] and disc[1, 1]  # corners cut, like a disc


def test_thin_leaves_a_one_pixel_line():
    skeleton = strokes.thin(bar(7) > 0)
    rows = skeleton[16:44]  # the ends shorten by about half the width
    assert (rows.sum(axis=1) == 1).all()


@pytest.mark.parametrize("method", strokes.METHODS)
@pytest.mark.parametrize("width", [3, 14])
def test_normalize_brings_width_towards_the_target(method, width):
    target = 8.0
    out = strokes.normalize_stroke(bar(width), target, method=method)
    before = abs(strokes.stroke_width(bar(width)) - target)
    assert abs(strokes.stroke_width(out) - target) < before / 2


def test_keep_range_leaves_the_image_alone():
    image = bar(6)
    out = strokes.normalize_stroke(image, 10.0, keep=(5.0, 8.0))
    np.testing.assert_array_equal(out, image)


@pytest.mark.parametrize(
    "kwargs, message",
    [({"method": "blur"}, "method"), ({"width": 0}, "width")],
)
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=f"Received: {message}="):
        strokes.normalize_stroke(bar(4), **{"width": 8.0, **kwargs})
