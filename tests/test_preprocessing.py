"""`zoo.preprocessing` against the Pillow + SciPy recipe it replaces, on
real digits, and its own contract."""

import gzip
import pathlib

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from zoo import preprocessing

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "apps" / "examples"


def pil_resize(ink, height, width):
    image = Image.fromarray(np.clip(ink, 0, 255).astype("float32"), mode="F")
    image = image.resize((width, height), Image.Resampling.LANCZOS)
    return np.clip(np.asarray(image), 0, 255)


def reference_mnist_style(ink, box=20, size=28):
    # The app's recipe before it moved into zoo (Pillow's Lanczos resize,
    # SciPy's centre of mass), kept as the reference.
    peak = float(ink.max())
    mask = ink > preprocessing.INK_THRESHOLD * peak
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] * (255 / peak)
    h, w = crop.shape
    scale = box / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    fitted = pil_resize(crop, new_h, new_w)
    cy, cx = ndimage.center_of_mass(fitted)
    top = min(max(int(round(size / 2 - cy)), 0), size - new_h)
    left = min(max(int(round(size / 2 - cx)), 0), size - new_w)
    frame = np.zeros((size, size), dtype="float32")
    frame[top : top + new_h, left : left + new_w] = fitted
    return frame


def real_digits(datasets_dir, count=300):
    path = datasets_dir / "mnist" / "t10k-images-idx3-ubyte.gz"
    with gzip.open(path, "rb") as f:
        data = f.read(16 + count * 28 * 28)
    images = np.frombuffer(data, np.uint8, offset=16).reshape(-1, 28, 28)
    return images.astype("float32")


def example_inks():
    inks = []
    for path in sorted(EXAMPLES.glob("mnist_*.png")):
        gray = np.asarray(Image.open(path).convert("L"), "float32")
        inks.append(gray if np.median(gray[0]) < 128 else 255 - gray)
    assert inks, "apps/examples holds no digit examples"
    return inks


@pytest.mark.parametrize(
    "shape, size",
    [((280, 280), (20, 14)), ((37, 5), (20, 3)), ((9, 12), (40, 31))],
)
def test_resize_matches_pillow_lanczos(shape, size):
    image = np.random.default_rng(0).uniform(0, 255, shape).astype("float32")
    np.testing.assert_allclose(
        preprocessing.resize(image, *size), pil_resize(image, *size), atol=1e-3
    )


def test_center_of_mass_matches_scipy():
    image = np.random.default_rng(1).uniform(0, 1, (13, 21))
    np.testing.assert_allclose(
        preprocessing.center_of_mass(image), ndimage.center_of_mass(image)
    )


def test_mnist_style_matches_the_previous_recipe_on_real_digits(
    datasets_dir,
):
    inks = example_inks() + list(real_digits(datasets_dir))
    # Drawn at canvas scale too: each digit 10x larger, as on the sketchpad.
    inks += [np.kron(ink, np.ones((10, 10))) for ink in inks[:20]]
    for ink in inks:
        np.testing.assert_allclose(
            preprocessing.mnist_style(ink),
            reference_mnist_style(ink),
            atol=1e-3,
        )


def test_fashion_style_fits_and_centres():
    item = np.zeros((200, 100), np.float32)
    item[20:180, 30:70] = 200
    out = preprocessing.fashion_style(item)
    rows = np.flatnonzero(out.max(axis=1) > 10)
    cols = np.flatnonzero(out.max(axis=0) > 10)
    assert out.shape == (28, 28) and rows[0] <= 1 and rows[-1] >= 26
    assert abs((cols[0] + cols[-1]) / 2 - 13.5) <= 1


@pytest.mark.parametrize(
    "function, message",
    [
        (preprocessing.mnist_style, "draw a digit"),
        (preprocessing.fashion_style, "blank"),
    ],
)
def test_no_ink_raises_value_error(function, message):
    with pytest.raises(ValueError, match=message):
        function(np.zeros((28, 28)))


def test_import_needs_only_numpy():
    source = pathlib.Path(preprocessing.__file__).read_text()
    imports = {
        line.split()[1].split(".")[0]
        for line in source.splitlines()
        if line.startswith(("import ", "from "))
    }
    assert imports <= {"functools", "numpy", "zoo"}, imports
