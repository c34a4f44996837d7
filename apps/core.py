"""The app's numpy core: pictures in, predictions and tables out.

Nothing here imports Gradio: the tabs' handlers and the `gradio_client`
endpoints call these functions and only adapt their results. Pictures are
*ink high* 2-D arrays (background 0, strokes up to 255), as in
`apps.preprocess`.
"""

import pathlib
import re

import numpy as np
from scipy import ndimage

from apps import preprocess
from apps.models import top_k
from zoo import arithmetic

EXAMPLES_DIR = pathlib.Path(__file__).resolve().parent / "examples"
MNIST_BOX = 20  # MNIST fits each digit into 20x20 of its 28x28 frame
MNIST_SIZE = 28
# Paper whose border still reads as this much ink after `ink_from_gray` is
# unevenly lit (a photo), not clean.
UNEVEN_BORDER = 0.1 * 255
FAMILIES = {"digits": "mnist", "clothing": "fashion"}  # name -> style


def prepare(ink, style, size=MNIST_SIZE):
    """Ink-high picture -> the `size`x`size` image a model of `style` expects.

    Raises:
        preprocess.InputError: for a blank picture, or one with NaN or
            infinite values.
    """
    ink = np.asarray(ink, dtype="float32")
    if not np.all(np.isfinite(ink)):
        # NaN fails every comparison, so it would pass for a blank canvas.
        raise preprocess.InputError(
            "The image contains NaN or infinite values."
        )
    if ink.size == 0 or float(ink.max()) <= 0.0:
        raise preprocess.InputError(
            "The image is blank (one flat colour): there is nothing to "
            "classify."
        )
    if style == "fashion":
        return preprocess.fashion_style(ink, size=size)
    box = max(1, round(MNIST_BOX * size / MNIST_SIZE))
    return preprocess.mnist_style(ink, box=box, size=size)


def prepare_both(ink):
    """The picture prepared for digit and for clothing models."""
    return {style: prepare(ink, style) for style in ("mnist", "fashion")}


def model_batch(entry, image):
    """A 2-D 0-255 image as a batch of one shaped like the model input.

    A model with another square input size gets the image refitted by its
    data set's recipe at that size, rather than a blurrier resize of the
    28x28 frame.
    """
    height, width, channels = entry.input_shape
    image = np.asarray(image, dtype="float32")
    size = (height or image.shape[0], width or image.shape[1])
    if image.shape != size:
        if size[0] != size[1]:
            raise preprocess.InputError(
                f"Model {entry.name!r} takes {size[0]}x{size[1]} inputs; "
                "the app prepares square pictures only."
            )
        image = prepare(image, entry.style, size=size[0])
    batch = np.repeat(image[None, :, :, None], channels or 1, axis=-1)
    return batch.astype("float32")


def predict_image(entry, image):
    """Top-5 `{class name: probability}` of a prepared 2-D image."""
    probabilities = entry.probabilities(model_batch(entry, image))[0]
    return top_k(probabilities, entry.class_names)


def flatten_background(ink):
    """Removes a slowly varying background, such as a photo's lighting.

    A clean picture is returned as it is. Otherwise the background is the
    picture's grey opening with a window wider than any pen stroke (a
    sixth of its longest side), which keeps the slow light gradient and
    drops the strokes; subtracting it leaves the strokes on black.
    """
    ink = np.asarray(ink, dtype="float32")
    border = np.concatenate([ink[0], ink[-1], ink[:, 0], ink[:, -1]])
    if np.percentile(border, 90) < UNEVEN_BORDER:
        return ink
    size = max(3, max(ink.shape) // 6)
    background = ndimage.grey_opening(ink, size=(size, size))
    return np.clip(ink - background, 0, 255)


def read_ink(file):
    """An uploaded file (path, bytes or PIL image) as an ink-high array."""
    return preprocess.ink_from_gray(preprocess.load_image(file))


def prepare_upload(ink):
    """An upload prepared for both families.

    Digits get their background flattened first (strokes are thin, so the
    opening cannot eat them); clothing fills its frame and keeps its
    shading, which an opening would erase.
    """
    return {
        "mnist": prepare(flatten_background(ink), "mnist"),
        "fashion": prepare(ink, "fashion"),
    }


def predict_file(entry, file):
    """Top-5 of an image file (path, bytes or PIL image)."""
    images = prepare_upload(read_ink(file))
    return predict_image(entry, images[entry.style])


def settle_step(probabilities):
    """First step from which the most likely class never changes."""
    winners = np.argmax(probabilities, axis=-1)
    changes = np.flatnonzero(winners != winners[-1])
    return int(changes[-1]) + 1 if changes.size else 0


def _receptive_field_text(row, input_size):
    field = row["receptive_field"]
    if field is None:
        return "—"
    if len(row["output_shape"]) < 4 and field >= input_size:
        # Global pooling and flattening mix every position: each output
        # then sees the whole input, not a window of it.
        return f"{field} (whole input)"
    if field > input_size:
        return f"{field} (> input: covers it all)"
    return str(field)


def architecture_rows(model):
    """`zoo.arithmetic.layer_table` as display rows, and the FLOPs total.

    Returns:
        `(rows, flops)`: rows of strings, one per layer, and the sum of
        the layers' FLOPs as an int.
    """
    input_size = model.inputs[0].shape[1] or 0
    rows, flops = [], 0
    for row in arithmetic.layer_table(model):
        flops += row["flops"] or 0
        rows.append(
            [
                row["name"],
                row["type"],
                str(row["output_shape"]),
                f"{row['params']:,}",
                "—" if row["flops"] is None else f"{row['flops']:,}",
                _receptive_field_text(row, input_size),
            ]
        )
    return rows, flops


IMAGE_LINK = re.compile(r"!\[([^\]]*)\]\(([^)]*)\)")


def strip_images(markdown):
    """Drops Markdown images: their relative paths do not resolve here."""
    return IMAGE_LINK.sub("", markdown)


def card_parts(markdown):
    """A model card's text without its images, and the images' references.

    Headings left with nothing under them once the images are gone are
    dropped too: the images are shown beside the text instead.

    Returns:
        `(text, images)`, `images` a list of `(caption, file name)`.
    """
    images = [
        (caption, target.rsplit("/", 1)[-1])
        for caption, target in IMAGE_LINK.findall(markdown)
    ]
    sections = re.split(r"(?m)^(?=#{1,6} )", strip_images(markdown))
    kept = [
        section
        for section in sections
        if not section.startswith("#") or section.partition("\n")[2].strip()
    ]
    return "".join(kept).strip(), images


def sample_image():
    """An example digit for the playground before anything is drawn."""
    for path in sorted(EXAMPLES_DIR.glob("mnist_*.png")):
        try:
            return prepare(read_ink(path), "mnist")
        except preprocess.InputError:
            continue
    image = np.zeros((MNIST_SIZE, MNIST_SIZE), "float32")
    image[4:24, 13:16] = 255.0  # a "1"
    return image


def choose(choices, preferred=()):
    """The first preferred name among `choices`, else the first choice."""
    for name in preferred:
        if name in choices:
            return name
    return choices[0] if choices else None
