"""MNIST-style preprocessing of drawings and uploads, on real digits."""

import gzip
import io

import numpy as np
import pytest
from PIL import Image

from apps import preprocess


def _read_idx_images(path, count):
    # An independent 10-line IDX reader, so these tests do not depend on the
    # training package's parser.
    with gzip.open(path, "rb") as f:
        data = f.read(16 + count * 28 * 28)
    return np.frombuffer(data, np.uint8, offset=16).reshape(count, 28, 28)


@pytest.fixture
def digits(datasets_dir):
    path = datasets_dir / "mnist" / "t10k-images-idx3-ubyte.gz"
    return _read_idx_images(path, 100).astype("float32")


def _png_bytes(array, mode=None):
    buffer = io.BytesIO()
    Image.fromarray(array, mode=mode).save(buffer, format="PNG")
    return buffer.getvalue()


def test_mnist_digits_survive_their_own_recipe(digits):
    # A digit MNIST already centred must come back nearly unchanged.
    diffs = [np.abs(preprocess.mnist_style(d) - d).mean() for d in digits]
    assert np.median(diffs) < 1.0


def test_large_dark_on_light_drawing_is_read_like_mnist(digits):
    # A 280x280 black-on-white rendering, shifted to a corner, as a person
    # might draw it.
    digit = digits[0]
    canvas = np.full((280, 280), 255, np.uint8)
    big = np.kron(digit, np.ones((6, 6)))
    canvas[10 : 10 + 168, 100 : 100 + 168] = 255 - big.astype(np.uint8)
    image = preprocess.load_image(_png_bytes(canvas))
    out = preprocess.mnist_style(preprocess.ink_from_gray(image))
    assert out.shape == (28, 28)
    assert np.corrcoef(out.ravel(), digit.ravel())[0, 1] > 0.9


def test_center_of_mass_is_centred(digits):
    from scipy import ndimage

    off_centre = np.zeros((100, 100), np.float32)
    off_centre[5:33, 60:88] = digits[3]
    out = preprocess.mnist_style(off_centre)
    cy, cx = ndimage.center_of_mass(out)
    assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1
    rows = np.flatnonzero(out.max(axis=1) > 0)
    cols = np.flatnonzero(out.max(axis=0) > 0)
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= 21


def test_sketchpad_layers_alpha_is_the_ink():
    layer = np.zeros((200, 200, 4), np.uint8)
    layer[50:150, 95:105] = (0, 0, 0, 255)  # black brush: RGB says nothing
    value = {"background": None, "layers": [layer], "composite": None}
    ink = preprocess.sketch_to_ink(value)
    assert ink.shape == (200, 200) and ink[100, 100] == 255
    assert ink[10, 10] == 0


def test_sketchpad_composite_white_on_black_and_black_on_white():
    stroke = np.zeros((100, 100), np.uint8)
    stroke[20:80, 45:55] = 255
    for rgb in (stroke, 255 - stroke):
        composite = np.dstack([rgb, rgb, rgb, np.full_like(rgb, 255)])
        value = {"background": None, "layers": [], "composite": composite}
        ink = preprocess.sketch_to_ink(value)
        assert ink[50, 50] == 255 and ink[5, 5] == 0


@pytest.mark.parametrize(
    "value",
    [
        None,
        {"background": None, "layers": [], "composite": None},
        {"layers": [np.zeros((50, 50, 4), np.uint8)], "composite": None},
        np.full((50, 50, 3), 255, np.uint8),
    ],
)
def test_empty_canvas_reads_as_none(value):
    assert preprocess.sketch_to_ink(value) is None


def test_empty_ink_raises_a_friendly_error():
    with pytest.raises(preprocess.InputError, match="draw a digit"):
        preprocess.mnist_style(np.zeros((28, 28)))
    with pytest.raises(preprocess.InputError, match="blank"):
        preprocess.fashion_style(np.zeros((28, 28)))


@pytest.mark.parametrize("mode", ["RGBA", "P", "CMYK", "I;16", "LA", "1"])
def test_every_image_mode_decodes_to_gray(mode):
    base = Image.new("L", (40, 30), 0)
    base.paste(255, (10, 5, 30, 25))
    image = base.convert(mode) if mode != "I;16" else base.convert("I")
    buffer = io.BytesIO()
    fmt = "TIFF" if mode in ("CMYK", "I;16") else "PNG"
    image.save(buffer, format=fmt)
    gray = preprocess.load_image(buffer.getvalue())
    assert gray.shape == (30, 40) and gray.dtype == np.float32
    assert gray.max() > gray.min()


def test_corrupt_and_fake_images_give_clear_errors(tmp_path):
    png = _png_bytes(np.zeros((20, 20), np.uint8))
    with pytest.raises(preprocess.InputError, match="not a readable image"):
        preprocess.load_image(png[: len(png) // 2])
    fake = tmp_path / "notes.png"
    fake.write_text("this is text, not a picture")
    with pytest.raises(preprocess.InputError, match="not a readable image"):
        preprocess.load_image(str(fake))
    with pytest.raises(preprocess.InputError, match="not a readable image"):
        preprocess.load_image(b"")


def test_nan_and_bad_shapes_are_rejected():
    with pytest.raises(preprocess.InputError, match="NaN"):
        preprocess.sketch_to_ink(np.full((10, 10), np.nan))
    with pytest.raises(preprocess.InputError, match="shape"):
        preprocess.sketch_to_ink(np.zeros((2, 2, 2, 2)))


def test_fashion_style_fits_longest_side():
    item = np.zeros((200, 100), np.float32)
    item[20:180, 30:70] = 200
    out = preprocess.fashion_style(item)
    rows = np.flatnonzero(out.max(axis=1) > 10)
    assert out.shape == (28, 28) and rows[-1] - rows[0] >= 26


def test_recipe_errors_reach_the_app_as_input_errors():
    # The recipes live in zoo.preprocessing and raise ValueError; the app
    # catches InputError, which must stay a ValueError for other callers.
    assert issubclass(preprocess.InputError, ValueError)
    with pytest.raises(preprocess.InputError, match="too faint|draw a digit"):
        preprocess.mnist_style(np.full((28, 28), -1.0))


def test_app_normalises_stroke_width_of_a_thin_drawing(digits):
    # A large digit drawn with a thin pen: eroded on a 280x280 canvas.
    from zoo import preprocessing
    from zoo import strokes

    canvas = strokes.erode(preprocessing.resize(digits[0], 224, 224), 6)
    plain = preprocessing.mnist_style(canvas)
    normalised = preprocess.mnist_style(canvas)
    low, high = strokes.MNIST_STROKE_RANGE
    assert strokes.stroke_width(plain) < low
    assert low <= strokes.stroke_width(normalised) <= high
