"""How a digit model holds up on drawings unlike the clean test set.

Two measurements:

- `digit_robustness` perturbs 28x28 test digits (thicker, thinner,
  shifted, scaled, rotated: `training.augment.DIGIT_PERTURBATIONS`) and
  measures accuracy on them as they are and after MNIST's recipe.
- `draw_like_people` makes 280x280 canvases like the app's sketchpad from
  MNIST digits (thick, thin, small in a corner, off-centre), and
  `drawn_robustness` measures accuracy on them through the app's own
  preprocessing (`zoo.preprocessing.mnist_style`), with and without
  stroke-width normalisation.

    python -m training.robustness --model mnist_cnn

prints the second as a Markdown table (`--limit N` for the first N test
digits).
"""

import argparse
import sys
import time

import numpy as np

PROPERTIES = ("thickness", "shift", "scale", "rotation")
CANVAS = 280  # the app's sketchpad is 280x280
# How people draw on that canvas, from an MNIST digit: `scale` enlarges the
# 28x28 digit (x8: a digit about 160 pixels tall), `radius` dilates (> 0)
# or erodes (< 0) it by an octagon of that many pixels, `corner` puts it in
# a random corner instead of near the centre. A brush of the app's size
# gives a large digit thin strokes and a small digit fat ones, which
# "thin" and "small" copy.
DRAWN_STYLES = {
    "thick": {"scale": 8.0, "radius": 16, "corner": False},
    "thin": {"scale": 8.0, "radius": -6, "corner": False},
    "small": {"scale": 2.0, "radius": 4, "corner": True},
    "off-centre": {"scale": 6.0, "radius": 0, "corner": True},
}
STROKE_METHODS = (None, "morphology", "skeleton")


def _accuracy(model, images, labels, batch_size=500):
    correct = 0
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size].astype("float32")
        probabilities = np.asarray(model.predict_on_batch(batch))
        correct += int(
            np.sum(
                probabilities.argmax(axis=1)
                == labels[start : start + batch_size]
            )
        )
    return correct / len(images)


def _app_preprocess(images):
    from zoo.preprocessing import mnist_style

    out = np.zeros(images.shape, np.float32)
    for i, image in enumerate(images[..., 0]):
        try:
            out[i, ..., 0] = mnist_style(image)
        except ValueError:  # the perturbation erased the digit
            out[i, ..., 0] = image
    return out


def digit_robustness(model, images, labels, seed=0):
    """Accuracy under each named perturbation, raw and as the app sees it.

    Args:
        model: a digit classifier taking `(n, 28, 28, 1)` raw 0-255 inputs.
        images: `(n, 28, 28, 1)` test digits, 0-255.
        labels: `(n,)` int labels.
        seed: int. Seeds the perturbations.

    Returns:
        Dict `{setting: accuracy}` with keys `"clean"`, each setting of
        `DIGIT_PERTURBATIONS`, and the same with `" + app preprocessing"`.
    """
    from training.augment import DIGIT_PERTURBATIONS
    from training.augment import perturb_digits

    images = np.asarray(images, np.float32)
    labels = np.asarray(labels).reshape(-1)
    results = {"clean": _accuracy(model, images, labels)}
    for index, (name, ranges) in enumerate(DIGIT_PERTURBATIONS.items()):
        kwargs = {key: None for key in PROPERTIES}
        kwargs.update(ranges)
        perturbed = perturb_digits(images, seed + index, **kwargs)
        results[name] = _accuracy(model, perturbed, labels)
        results[f"{name} + app preprocessing"] = _accuracy(
            model, _app_preprocess(perturbed), labels
        )
    return results


def draw_like_people(images, style, seed=0):
    """MNIST digits drawn on a 280x280 canvas the way `style` says.

    Args:
        images: `(n, 28, 28)` or `(n, 28, 28, 1)` digits, 0-255.
        style: str, a key of `DRAWN_STYLES`.
        seed: int. Chooses the corners and the jitter.

    Returns:
        float32 array `(n, 280, 280)`, ink high.

    Raises:
        ValueError: for an unknown style.
    """
    from zoo import preprocessing
    from zoo import strokes

    if style not in DRAWN_STYLES:
        raise ValueError(
            f"`style` must be one of {sorted(DRAWN_STYLES)}. "
            f"Received: style={style!r}"
        )
    spec = DRAWN_STYLES[style]
    rng = np.random.default_rng(seed)
    images = np.asarray(images, np.float32).reshape(-1, 28, 28)
    side = int(round(28 * spec["scale"]))
    radius = spec["radius"]
    canvases = np.zeros((len(images), CANVAS, CANVAS), np.float32)
    for canvas, digit in zip(canvases, images):
        digit = preprocessing.crop_ink(
            preprocessing.resize(digit, side, side), "empty digit"
        )
        if radius > 0:
            digit = strokes.dilate(digit, radius)
        elif radius < 0:
            digit = strokes.erode(digit, -radius)
        h, w = digit.shape
        if spec["corner"]:
            margin = rng.integers(5, 21, 2)
            top, left = margin
            if rng.random() < 0.5:
                top = CANVAS - h - top
            if rng.random() < 0.5:
                left = CANVAS - w - left
        else:
            top, left = (np.array([CANVAS - h, CANVAS - w]) // 2) + (
                rng.integers(-10, 11, 2)
            )
        top = min(max(top, 0), CANVAS - h)
        left = min(max(left, 0), CANVAS - w)
        canvas[top : top + h, left : left + w] = digit
    return canvases


def _prepare(canvases, stroke):
    from zoo.preprocessing import mnist_style

    out = np.zeros((len(canvases), 28, 28, 1), np.float32)
    for i, canvas in enumerate(canvases):
        try:
            out[i, ..., 0] = mnist_style(canvas, stroke=stroke)
        except ValueError:  # erased: the model sees an empty frame
            pass
    return out


def drawn_robustness(
    model, images, labels, strokes=STROKE_METHODS, seed=0, chunk=500
):
    """Accuracy on clean digits and on each of `DRAWN_STYLES`, through the
    app's preprocessing, for each stroke normalisation.

    Args:
        model: a digit classifier taking `(n, 28, 28, 1)` 0-255 inputs.
        images: `(n, 28, 28)` test digits, 0-255.
        labels: `(n,)` int labels.
        strokes: the `stroke` values of `zoo.preprocessing.mnist_style`
            to compare (`None`: no normalisation).
        seed: int. Seeds `draw_like_people`.
        chunk: int. Digits per canvas batch (a canvas is 310 kB).

    Returns:
        Dict `{stroke: {setting: accuracy}}`, settings `"clean"` and the
        keys of `DRAWN_STYLES`.
    """
    images = np.asarray(images, np.float32).reshape(-1, 28, 28)
    labels = np.asarray(labels).reshape(-1)
    results = {stroke: {} for stroke in strokes}
    for stroke in strokes:
        results[stroke]["clean"] = _accuracy(
            model, _prepare(images, stroke), labels
        )
    for style in DRAWN_STYLES:
        correct = {stroke: 0.0 for stroke in strokes}
        for start in range(0, len(images), chunk):
            part = slice(start, start + chunk)
            canvases = draw_like_people(images[part], style, seed + start)
            for stroke in strokes:
                correct[stroke] += _accuracy(
                    model, _prepare(canvases, stroke), labels[part]
                ) * len(canvases)
        for stroke in strokes:
            results[stroke][style] = correct[stroke] / len(images)
    return results


def markdown_table(results):
    """`drawn_robustness`'s results as a Markdown table, one row per
    normalisation."""
    settings = list(next(iter(results.values())))
    lines = [
        "| stroke normalisation | " + " | ".join(settings) + " |",
        "|---" * (len(settings) + 1) + "|",
    ]
    for stroke, row in results.items():
        cells = [f"{100 * row[name]:.2f} %" for name in settings]
        lines.append(f"| {stroke or 'none'} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m training.robustness",
        description="Accuracy of a digit model on MNIST test digits drawn "
        "thick, thin, small and off-centre on a 280x280 canvas, through "
        "the app's preprocessing, with each stroke normalisation.",
    )
    parser.add_argument("--model", default="mnist_cnn")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument(
        "--stroke",
        nargs="+",
        default=["none", "morphology", "skeleton"],
        choices=["none", "morphology", "skeleton"],
    )
    args = parser.parse_args(argv)
    import zoo
    from training import data as data_lib

    model = zoo.load_pretrained(args.model)
    x, y = data_lib.load_arrays("mnist", "test", limit=args.limit)
    strokes = [None if s == "none" else s for s in args.stroke]
    began = time.perf_counter()
    results = drawn_robustness(model, x, y, strokes=strokes)
    print(markdown_table(results))
    print(f"\n{len(y)} test digits, {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
