"""Renders test-set images as the files and canvases people give the app."""

import io

import numpy as np
from PIL import Image


def png_bytes(image, mode=None):
    buffer = io.BytesIO()
    Image.fromarray(image, mode=mode).save(buffer, format="PNG")
    return buffer.getvalue()


def as_upload(image, index):
    """Alternates the raw 28x28 image with a 168x168 dark-on-light print
    of it placed off-centre, as a photo or scan would be."""
    if index % 2 == 0:
        return png_bytes(image)
    page = np.full((220, 220), 255, np.uint8)
    big = np.kron(image, np.ones((6, 6))).astype(np.uint8)
    page[10:178, 40:208] = 255 - big
    return png_bytes(page)


def write_uploads(images, directory, prefix):
    paths = []
    for index, image in enumerate(images):
        path = directory / f"{prefix}_{index}.png"
        path.write_bytes(as_upload(image, index))
        paths.append(path)
    return paths


def sketch_layer(image, size=280):
    """A digit as a Sketchpad layer: black brush, ink in the alpha channel."""
    big = np.asarray(
        Image.fromarray(image).resize((size - 60, size - 60), Image.BILINEAR)
    )
    layer = np.zeros((size, size, 4), np.uint8)
    layer[30 : size - 30, 30 : size - 30, 3] = big
    return layer
