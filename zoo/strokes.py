"""Stroke width: measure it, and bring a drawing's strokes to MNIST's.

A person draws with one brush whatever the size of the digit, so after
MNIST's 20x20 fit a small digit has fat strokes and a large one thin
strokes; MNIST's own digits have strokes about 2.5 pixels wide in that
frame. Everything here works on numpy arrays with ink high (0 background,
up to 255), in pixels of the image given.

- `stroke_width`: mean stroke width, `2 * area / perimeter`.
- `dilate`, `erode`: grey morphology with a disc-like (octagonal) brush.
- `thin`: one-pixel skeleton of a binary image (Zhang and Suen, 1984).
- `normalize_stroke`: a digit redrawn at a target stroke width, by
  `"morphology"` (dilate or erode by the difference) or `"skeleton"`
  (thin to a skeleton, redraw with a round brush).

Example:

>>> bar = np.zeros((40, 40), "float32")
>>> bar[5:35, 18:22] = 255.0  # 4 pixels wide; level edges read ~10 % wide
>>> round(float(stroke_width(bar)), 1)
4.5
>>> round(float(stroke_width(dilate(bar, 2))), 1)
8.1
"""

import numpy as np

# MNIST training digits (the first 5,000): `stroke_width` in the 28x28
# frame (the 20x20 fit) has median 2.48 pixels, 5th and 95th percentiles
# 1.73 and 3.77.
MNIST_STROKE_WIDTH = 2.5
MNIST_STROKE_RANGE = (1.73, 3.77)
METHODS = ("morphology", "skeleton")


def stroke_width(image):
    """Mean stroke width in pixels: `2 * area / perimeter`.

    A stroke of width `w` and length `L` has area `w * L` and a perimeter
    of about `2 * L`. The area is the ink's sum over 255; the perimeter is
    the total variation, which counts grey (anti-aliased) edges too,
    divided by 4 / pi, its mean excess over the true length for edges of
    every direction.

    Returns:
        float, 0.0 for an empty image.
    """
    ink = np.asarray(image, dtype="float64") / 255.0
    padded = np.pad(ink, 1)
    variation = np.abs(np.diff(padded, axis=0)).sum()
    variation += np.abs(np.diff(padded, axis=1)).sum()
    if variation == 0:
        return 0.0
    return 2.0 * ink.sum() / (variation * np.pi / 4.0)


def _shifted_max(image, offsets):
    padded = np.pad(image, 1, constant_values=-np.inf)
    rows, cols = image.shape
    out = image.copy()
    for dy, dx in offsets:
        window = padded[1 + dy : 1 + dy + rows, 1 + dx : 1 + dx + cols]
        np.maximum(out, window, out=out)
    return out


_SQUARE = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
_CROSS = [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)]


def dilate(image, radius):
    """Grey dilation by an octagon of `radius` pixels (a disc's nearest
    shape from 3x3 steps: alternate squares and crosses); the image grows
    by `radius` on each side so no stroke is cut."""
    image = np.pad(np.asarray(image, dtype="float32"), radius)
    for step in range(radius):
        image = _shifted_max(image, _CROSS if step % 2 else _SQUARE)
    return image


def erode(image, radius):
    """Grey erosion by the same octagon as `dilate`; outside the image is
    background, and the shape is kept."""
    image = np.asarray(image, dtype="float32")
    padded = np.pad(-image, radius)  # -0: background stays background
    for step in range(radius):
        padded = _shifted_max(padded, _CROSS if step % 2 else _SQUARE)
    rows, cols = image.shape
    return -padded[radius : radius + rows, radius : radius + cols]


def _neighbours(mask):
    # p2..p9 clockwise from north, as Zhang and Suen number them.
    m = np.pad(mask, 1)
    return [
        m[:-2, 1:-1],
        m[:-2, 2:],
        m[1:-1, 2:],
        m[2:, 2:],
        m[2:, 1:-1],
        m[2:, :-2],
        m[1:-1, :-2],
        m[:-2, :-2],
    ]


def thin(mask):
    """One-pixel-wide skeleton of a boolean image (Zhang-Suen thinning)."""
    mask = np.asarray(mask, dtype=bool).copy()
    changed = True
    while changed:
        changed = False
        for first in (True, False):
            p = _neighbours(mask)
            count = np.sum(p, axis=0)
            transitions = np.sum(
                [~p[i] & p[(i + 1) % 8] for i in range(8)], axis=0
            )
            # p2 p4 p6 / p4 p6 p8 in the first pass, p2 p4 p8 / p2 p6 p8
            # in the second: peel south-east, then north-west.
            a, b = (p[2], p[4]) if first else (p[0], p[6])
            remove = (
                mask
                & (count >= 2)
                & (count <= 6)
                & (transitions == 1)
                & ~(p[0 if first else 2] & a & b)
                & ~(p[6 if first else 4] & a & b)
            )
            if remove.any():
                mask &= ~remove
                changed = True
    return mask


def normalize_stroke(image, width, method="morphology", keep=None):
    """Redraws a digit with strokes `width` pixels wide.

    Args:
        image: 2-D array, ink high, already at the working scale (the
            caller fits the digit to a known size first).
        width: float. Target stroke width in pixels of `image`.
        method: `"morphology"` dilates or erodes by half the difference
            between the measured and the target width; `"skeleton"` thins
            the strokes (pixels above half the peak) to a skeleton and
            redraws it with a round brush of that width. Defaults to
            `"morphology"`.
        keep: `(low, high)` widths in pixels, or `None`. A digit whose
            measured width lies in this range is returned as it is (the
            same array), so digits already drawn like MNIST's are not
            touched. Defaults
            to `None` (every digit is redrawn).

    Returns:
        float32 array; `dilate` grows it by the radius on each side.

    Raises:
        ValueError: for an unknown method or a width that is not positive.
    """
    if method not in METHODS:
        raise ValueError(
            f"`method` must be one of {METHODS}. Received: method={method!r}"
        )
    if not width > 0:
        raise ValueError(f"`width` must be positive. Received: width={width!r}")
    image = np.asarray(image, dtype="float32")
    measured = stroke_width(image)
    if measured == 0 or (keep is not None and keep[0] <= measured <= keep[1]):
        return image
    if method == "skeleton":
        skeleton = thin(image > 0.5 * float(image.max()))
        radius = max(1, int(round(width / 2.0)))
        return dilate(np.where(skeleton, 255.0, 0.0), radius)
    radius = int(round(abs(measured - width) / 2.0))
    if radius == 0:
        return image
    if measured < width:
        return dilate(image, radius)
    return erode(image, radius)
