"""Turn drawings and uploaded pictures into the 28x28 inputs the models see.

This module reads what the app receives (files, Sketchpad values) as ink
images; the MNIST and Fashion-MNIST recipes that turn ink into model inputs
live below the app, in `zoo.preprocessing`, and are re-exported here with
their errors as `InputError` (digits with stroke-width normalisation on).

All functions take and return numpy arrays with *ink high*: background 0,
strokes up to 255, as in the data sets.
"""

import base64
import binascii
import functools
import io
import os

import numpy as np
from PIL import Image
from PIL import ImageOps
from PIL import UnidentifiedImageError

from zoo import preprocessing

MAX_PIXELS = (
    40_000_000  # refuse decompression bombs long before memory runs out
)
# The Draw tab's canvas sends its 280x280 ink as a PNG data URL of a few
# KB; anything much larger is not a drawing.
MAX_DATA_URL_CHARS = 2_000_000
DATA_URL_PREFIX = "data:image/png;base64,"


class InputError(ValueError):
    """A picture the app cannot use; the message is meant for the user."""


def _to_uint8_gray(array):
    """Any numeric HxW / HxWxC array → float32 HxW grayscale in 0..255."""
    array = np.asarray(array)
    if array.size == 0 or array.ndim not in (2, 3):
        raise InputError(
            f"Expected a 2-D grayscale or 3-D colour image, got an array of "
            f"shape {array.shape}."
        )
    array = array.astype("float64")
    if not np.all(np.isfinite(array)):
        raise InputError("The image contains NaN or infinite values.")
    if array.ndim == 3:
        channels = array.shape[-1]
        if channels == 4:
            alpha = array[..., 3:4] / max(array[..., 3].max(), 1.0)
            # Composite on white: a transparent PNG's empty area is paper.
            array = array[..., :3] * alpha + 255.0 * (1.0 - alpha)
        elif channels not in (1, 3):
            raise InputError(
                f"Expected 1, 3 or 4 colour channels, got {channels}."
            )
        array = array.mean(axis=-1) if array.shape[-1] != 1 else array[..., 0]
    if array.max() > 255.0:  # 16-bit sources
        array = array * (255.0 / array.max())
    return np.clip(array, 0, 255).astype("float32")


def ink_from_gray(gray):
    """Makes strokes bright on a black background, whichever way they came.

    The background is the median colour of the image border: a light border
    means dark ink on paper, which is inverted. The background level is then
    subtracted so that paper reads as 0, as in MNIST.
    """
    gray = np.asarray(gray, dtype="float32")
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    background = float(np.median(border))
    if background > 127.5:
        gray = 255.0 - gray
        background = 255.0 - background
    return np.clip(gray - background, 0, 255).astype("float32")


def data_url_layer(url):
    """Decodes the Draw tab canvas' PNG data URL to an RGBA layer.

    Raises:
        InputError: when `url` is not a PNG data URL of a readable image.
    """
    if not url.startswith(DATA_URL_PREFIX) or len(url) > MAX_DATA_URL_CHARS:
        raise InputError(
            "Expected the drawing as a PNG data URL (data:image/png;base64,"
            f"...) of at most {MAX_DATA_URL_CHARS:,} characters."
        )
    try:
        data = base64.b64decode(url[len(DATA_URL_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise InputError(
            "The drawing's data URL is not valid base64."
        ) from None
    return np.asarray(_open_image(data).convert("RGBA"))


def sketch_to_ink(value):
    """Reads a drawing (Draw tab canvas, Sketchpad value) as an ink image.

    The Draw tab's canvas sends a PNG data URL (`""` when empty) with the
    strokes in its alpha channel, read as one layer. A Gradio 6 Sketchpad /
    ImageEditor value (what `/predict_sketch` callers send) is a dict with
    `background`, `layers` and `composite` RGBA arrays. Strokes live in the
    alpha channel of the layers whatever the brush colour, so the layers
    are read first; `composite` (which may be `None`) is the fallback, and
    a plain array is accepted too.

    Returns:
        float32 HxW array with ink high, or `None` for an empty canvas.
    """
    if value is None or (isinstance(value, str) and not value):
        return None
    if isinstance(value, str):
        value = {"layers": [data_url_layer(value)]}
    if isinstance(value, dict):
        layers = [
            np.asarray(layer)
            for layer in value.get("layers") or []
            if layer is not None
        ]
        layers = [
            layer
            for layer in layers
            if layer.ndim == 3 and layer.shape[-1] == 4 and layer.size
        ]
        if layers:
            alpha = np.max(
                np.stack([layer[..., 3] for layer in layers]), axis=0
            ).astype("float32")
            return None if alpha.max() <= 0 else alpha
        value = value.get("composite")
        if value is None:
            return None
    gray = _to_uint8_gray(value)
    if gray.max() - gray.min() < 1.0:
        return None  # uniform canvas: nothing drawn
    return ink_from_gray(gray)


def _open_image(data):
    """A decoded PIL image from a path, bytes or PIL image, or an
    `InputError` for corrupt, unreadable or oversized files."""
    try:
        if isinstance(data, Image.Image):
            image = data
        elif isinstance(data, (bytes, bytearray)):
            image = Image.open(io.BytesIO(data))
        else:
            image = Image.open(data)
        if image.width * image.height > MAX_PIXELS:
            raise InputError(
                f"The image is too large ({image.width}x{image.height} "
                f"pixels); the limit is {MAX_PIXELS:,} pixels."
            )
        image.load()
    except InputError:
        raise
    except Image.DecompressionBombError:
        # Pillow refuses images above ~179 M pixels before reading them.
        raise InputError(
            f"The image is too large; the limit is {MAX_PIXELS:,} pixels."
        ) from None
    except UnidentifiedImageError as err:
        # Pillow's message names the file: useful for an upload's path
        # (the page shows only its name), noise for the file object
        # ("<_io.BytesIO object at 0x...>") of bytes and the canvas.
        detail = f": {err}" if isinstance(data, (str, os.PathLike)) else "."
        raise InputError(
            "The file is not a readable image (corrupt, truncated or not an "
            f"image format){detail}"
        ) from None
    except (OSError, SyntaxError, ValueError) as err:
        raise InputError(
            "The file is not a readable image (corrupt, truncated or not an "
            f"image format): {err}"
        ) from None
    return image


def load_image(data):
    """Decodes an uploaded file (path, bytes or PIL image) to a grayscale
    float32 array, with clear errors for corrupt or unusable files."""
    image = _open_image(data)
    image = ImageOps.exif_transpose(image)
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        array = np.asarray(image, dtype="float64")
        span = array.max() - array.min()
        array = (array - array.min()) * (255.0 / span) if span else array * 0
        return array.astype("float32")
    if image.mode in ("RGBA", "LA") or (
        image.mode == "P" and "transparency" in image.info
    ):
        image = image.convert("RGBA")
    elif image.mode != "L":
        image = image.convert("RGB")  # CMYK, palette, YCbCr, 1-bit...
    return _to_uint8_gray(np.asarray(image))


def _as_input_error(function):
    """Wraps a `zoo.preprocessing` recipe so that its `ValueError` (no ink,
    too faint) reaches the user as an `InputError`."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except InputError:
            raise
        except ValueError as err:
            raise InputError(str(err)) from None

    return wrapper


fashion_style = _as_input_error(preprocessing.fashion_style)


@_as_input_error
def mnist_style(ink, box=20, size=28, stroke="morphology"):
    """`zoo.preprocessing.mnist_style`, normalising stroke width by
    default: people draw with one brush at any size, so their strokes are
    thinner or thicker than MNIST's (see docs/robustness.md for what that
    costs and what normalisation wins back).

    Raises:
        InputError: when there is no ink, or it is too faint to centre.
    """
    return preprocessing.mnist_style(ink, box=box, size=size, stroke=stroke)
