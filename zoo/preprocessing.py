"""Model input preparation: pictures of digits and clothing as 28x28 inputs.

MNIST digits were made by fitting each digit's bounding box into 20x20
pixels (keeping the aspect ratio, anti-aliased) and centring the result by
its centre of mass in a 28x28 frame; Fashion-MNIST items were trimmed and
resized so the longest side spans the frame. Doing the same to a person's
drawing is what makes a model trained on those sets work on it.

Every function takes and returns numpy arrays with *ink high*: background
0, strokes up to 255, as in the data sets. Only numpy is used, so the
result is the same on every Keras backend.

Example:

>>> ink = np.zeros((200, 120), "float32")
>>> ink[20:180, 50:70] = 255.0  # a tall bar: a "1"
>>> image = mnist_style(ink)
>>> image.shape, int((image.max(axis=1) > 0).sum())
((28, 28), 20)
"""

import functools

import numpy as np

from zoo import strokes

INK_THRESHOLD = 0.1  # fraction of the strongest stroke that counts as ink
# Stroke normalisation works on the digit fitted at this many times the
# box, where a 2.5-pixel MNIST stroke is 10 pixels and a one-pixel change
# is small.
STROKE_SCALE = 4
# Width (20x20-box pixels) that out-of-range strokes are brought to: a
# little above MNIST's median 2.5, because the shipped digit models were
# trained with thickening augmentation. Chosen among 2.5 / 3.0 / 3.5 on
# training digits (the last 1,000), never on the test set.
STROKE_TARGET = 3.5
LANCZOS_SUPPORT = 3.0  # Lanczos-3, the filter PIL's LANCZOS uses


def _lanczos(x):
    return np.where(
        np.abs(x) < LANCZOS_SUPPORT, np.sinc(x) * np.sinc(x / 3.0), 0.0
    )


@functools.lru_cache(maxsize=512)
def _resize_weights(in_size, out_size):
    # PIL's separable resampling: when shrinking, the filter is stretched
    # by the scale factor, which is what anti-aliases; each row of weights
    # is normalised to sum to 1.
    scale = in_size / out_size
    stretch = max(scale, 1.0)
    support = LANCZOS_SUPPORT * stretch
    weights = np.zeros((out_size, in_size))
    for i in range(out_size):
        center = (i + 0.5) * scale
        low = max(int(center - support + 0.5), 0)
        high = min(int(center + support + 0.5), in_size)
        taps = _lanczos((np.arange(low, high) - center + 0.5) / stretch)
        total = taps.sum()
        weights[i, low:high] = taps / total if total else taps
    weights.setflags(write=False)
    return weights


def resize(image, height, width):
    """Resizes a 2-D image with an anti-aliased Lanczos-3 filter.

    The same filter, support and rounding as Pillow's
    `Image.resize(..., Image.Resampling.LANCZOS)` on a float image (they
    agree to ~1e-5), done as two matrix products.

    Args:
        image: array `(..., rows, columns)`: one image or a batch.
        height: int. Output rows.
        width: int. Output columns.

    Returns:
        float32 array `(..., height, width)`, clipped to [0, 255].
    """
    image = np.asarray(image, dtype="float32")
    if image.shape[-1] != width:
        image = image @ _resize_weights(image.shape[-1], width).T
        image = image.astype("float32")  # Pillow keeps float32 in between
    if image.shape[-2] != height:
        image = _resize_weights(image.shape[-2], height) @ image
    return np.clip(image, 0, 255).astype("float32")


def bounding_box(ink, threshold):
    """`(top, bottom, left, right)` of the pixels above `threshold`, with
    `bottom`/`right` exclusive, or `None` when there are none."""
    mask = np.asarray(ink) > threshold
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return rows[0], rows[-1] + 1, cols[0], cols[-1] + 1


def center_of_mass(image):
    """`(row, column)` of the intensity-weighted centre of a 2-D image."""
    image = np.asarray(image, dtype="float64")
    total = image.sum()
    rows = np.arange(image.shape[0]) @ image.sum(axis=1) / total
    cols = np.arange(image.shape[1]) @ image.sum(axis=0) / total
    return rows, cols


def crop_ink(ink, empty_message):
    """The ink's bounding box, scaled so its strongest stroke is 255.

    Raises:
        ValueError: with `empty_message` when there is no ink.
    """
    ink = np.asarray(ink, dtype="float32")
    peak = float(ink.max()) if ink.size else 0.0
    box = bounding_box(ink, INK_THRESHOLD * peak) if peak > 0 else None
    if box is None:
        raise ValueError(empty_message)
    top, bottom, left, right = box
    return ink[top:bottom, left:right] * (255.0 / peak)


def fit(crop, box):
    """Resizes `crop` so its longer side is `box` pixels, keeping the
    aspect ratio."""
    h, w = crop.shape
    scale = box / max(h, w)
    return resize(crop, max(1, round(h * scale)), max(1, round(w * scale)))


def _paste(image, top, left, size):
    frame = np.zeros((size, size), dtype="float32")
    frame[top : top + image.shape[0], left : left + image.shape[1]] = image
    return frame


def mnist_style(ink, box=20, size=28, stroke=None):
    """MNIST's recipe: crop the ink, fit it into `box`x`box` keeping the
    aspect ratio, centre it by its centre of mass in `size`x`size`.

    Args:
        ink: 2-D array, background 0 and strokes high (any scale).
        box: int. Side of the square the digit is fitted into.
            Defaults to 20.
        size: int. Side of the output frame. Defaults to 28.
        stroke: `None`, `"morphology"` or `"skeleton"`. When set, a digit
            whose strokes are thinner or thicker than MNIST's usual range
            (`zoo.strokes.MNIST_STROKE_RANGE`, in pixels of the `box`
            fit) is first redrawn at `STROKE_TARGET` with
            `zoo.strokes.normalize_stroke` and that method. Defaults to
            `None` (MNIST's recipe alone).

    Returns:
        float32 array `(size, size)` in [0, 255].

    Raises:
        ValueError: when there is no ink, or it is too faint to centre.
    """
    empty = "The canvas is empty: draw a digit first."
    crop = crop_ink(ink, empty)
    if stroke is not None:
        # Widths are in pixels of the 28x28 frame's 20x20 box: scale them.
        scale = STROKE_SCALE * box / 20.0
        low, high = strokes.MNIST_STROKE_RANGE
        work = fit(crop, STROKE_SCALE * box)
        redrawn = strokes.normalize_stroke(
            work,
            STROKE_TARGET * scale,
            method=stroke,
            keep=(low * scale, high * scale),
        )
        if redrawn is not work:  # kept digits skip a second resampling
            crop = crop_ink(redrawn, empty)
    fitted = fit(crop, box)
    if fitted.sum() <= 0:
        raise ValueError("The drawing is too faint to read: draw bolder.")
    new_h, new_w = fitted.shape
    cy, cx = center_of_mass(fitted)
    # Centring may not push the digit out of the frame.
    top = min(max(int(round(size / 2 - cy)), 0), size - new_h)
    left = min(max(int(round(size / 2 - cx)), 0), size - new_w)
    return _paste(fitted, top, left, size)


def fashion_style(ink, size=28):
    """Fashion-MNIST's recipe: trim the background and resize so the
    longest side spans the `size`x`size` frame, centred.

    Raises:
        ValueError: when the image is blank.
    """
    crop = crop_ink(
        ink, "The image is blank (a single flat colour): nothing to classify."
    )
    fitted = fit(crop, size)
    new_h, new_w = fitted.shape
    return _paste(fitted, (size - new_h) // 2, (size - new_w) // 2, size)
