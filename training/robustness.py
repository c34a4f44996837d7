"""How a digit model holds up on drawings unlike the clean test set.

People draw with thick or thin strokes, off-centre, small or large and
tilted. This module perturbs the MNIST test digits in each of those ways
(`training.augment.DIGIT_PERTURBATIONS`) and measures accuracy twice: on the
perturbed digits as they are, and after the app's MNIST-style preprocessing
(crop, fit 20x20, centre of mass), which is what the app's model sees.
"""

import numpy as np

PROPERTIES = ("thickness", "shift", "scale", "rotation")


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
