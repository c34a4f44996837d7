"""Real images for the guide, with a synthetic stand-in when the data sets
are not on this machine.

The guide's snippets load MNIST and Fashion-MNIST with
`training.data.load_arrays`. Where those files are missing (a fresh clone
without `../shared/datasets`), the snippets load `synthetic_images`
instead and the guide says so next to each figure.
"""

import numpy as np

DATA_NAMES = {"mnist": "a handwritten digit", "fashion_mnist": "a garment"}


def has_data(name):
    """Whether the IDX files of `name` ("mnist", "fashion_mnist") exist."""
    try:
        from training.data import DataError
        from training.data import locate
    except ImportError:
        return False
    try:
        locate(name)
    except DataError:
        return False
    return True


def synthetic_images(name, limit=1):
    """Stand-ins for `load_arrays(name, "test", limit=limit)`.

    A digit-like ring (`"mnist"`) or a garment-like filled shape with
    texture (`"fashion_mnist"`), as uint8 arrays `(limit, 28, 28, 1)` with
    labels `(limit,)` of zeros.
    """
    rows, cols = np.mgrid[0:28, 0:28]
    images = []
    for i in range(limit):
        if name == "mnist":
            radius = np.hypot(rows - 14, (cols - 14) * 1.4)
            image = 255.0 * np.exp(-(((radius - 8 - i % 3) / 1.8) ** 2))
        else:
            body = (np.abs(cols - 14) < 9 + rows // 6) & (rows > 1)
            texture = 0.75 + 0.25 * np.sin(rows * (0.8 + 0.1 * i))
            image = 230.0 * body * texture
        images.append(image)
    x = np.clip(np.stack(images), 0, 255).astype("uint8")[..., None]
    return x, np.zeros(limit, dtype="int32")


def load_lines(name, variable, limit, split="test"):
    """The import and load lines a snippet uses for `name`.

    Returns `(import_line, load_line, note)`: real data through
    `training.data.load_arrays` when it is present, else
    `synthetic_images`, with a note for the guide's text ("" for real
    data).
    """
    if has_data(name):
        return (
            "from training.data import load_arrays",
            f'{variable}, _ = load_arrays("{name}", "{split}", limit={limit})',
            "",
        )
    return (
        "from tools.concepts.samples import synthetic_images",
        f'{variable}, _ = synthetic_images("{name}", limit={limit})',
        f"*{name} was not found on this machine, so the figures use a "
        f"synthetic stand-in for {DATA_NAMES.get(name, name)}.*",
    )
