"""Section 11: losses, optimizers, batch size, epochs and steps."""

import json
import math

from tools.concepts import samples
from zoo import registry

LOSS_SNIPPET = """
import numpy as np
import keras

labels = np.array([0, 2])  # two examples, three classes
probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]], "float32")
one_hot = np.eye(3, dtype="float32")[labels]
is_cat = np.array([[1.0], [0.0], [1.0]], "float32")  # binary targets
p_cat = np.array([[0.9], [0.2], [0.4]], "float32")
targets = np.array([[1.5], [0.0], [-2.0]], "float32")  # regression
predictions = np.array([[1.0], [0.5], [-1.0]], "float32")

losses = {
    "sparse categorical cross-entropy": (
        keras.losses.SparseCategoricalCrossentropy()(labels, probabilities),
        -np.mean(np.log(probabilities[np.arange(2), labels])),
    ),
    "categorical cross-entropy": (
        keras.losses.CategoricalCrossentropy()(one_hot, probabilities),
        -np.mean(np.sum(one_hot * np.log(probabilities), axis=1)),
    ),
    "binary cross-entropy": (
        keras.losses.BinaryCrossentropy()(is_cat, p_cat),
        -np.mean(is_cat * np.log(p_cat) + (1 - is_cat) * np.log(1 - p_cat)),
    ),
    "mean squared error": (
        keras.losses.MeanSquaredError()(targets, predictions),
        np.mean((targets - predictions) ** 2),
    ),
    "mean absolute error": (
        keras.losses.MeanAbsoluteError()(targets, predictions),
        np.mean(np.abs(targets - predictions)),
    ),
}
for name, (keras_value, numpy_value) in losses.items():
    print(f"{name:33s} keras {float(keras_value):.6f}  numpy {numpy_value:.6f}")
"""

OPTIMIZER_SNIPPET = """
import json
import shutil
import tempfile
from training.train import main

out = tempfile.mkdtemp()
main(["--model", "mnist_seed_cnn", "--data", "mnist", "--compare-optimizers",
      "--epochs", "$epochs", "--limit", "$limit", "--batch-size", "128",
      "--verbose", "0", "--out", out$extra])
with open(f"{out}/optimizers.json") as f:
    optimizer_runs = json.load(f)["runs"]
shutil.copy(f"{out}/optimizers.png", "img/11_optimizers.png")
"""

BATCH_SNIPPET = """
import time
import keras
import zoo
from training.data import load_arrays

x, y = load_arrays("mnist", "train", limit=$limit)
x_test, y_test = load_arrays("mnist", "test", limit=$test_limit)


class StepClock(keras.callbacks.Callback):
    \"\"\"Counts the steps of an epoch and times it.\"\"\"

    def on_epoch_begin(self, epoch, logs=None):
        self.steps, self.start = 0, time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1

    def on_epoch_end(self, epoch, logs=None):
        self.seconds = time.perf_counter() - self.start


sweep = []
for batch_size in (16, 64, 256):
    keras.utils.set_random_seed(0)
    model = zoo.create_model("mnist_seed_cnn")
    model.compile(
        "adam", "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    clock = StepClock()
    model.fit(x, y, batch_size=batch_size, epochs=$epochs, callbacks=[clock],
              verbose=0)
    accuracy = model.evaluate(x_test, y_test, verbose=0)[1]
    sweep.append((batch_size, clock.steps, clock.seconds, accuracy))
    print(f"batch {batch_size:3d}: {clock.steps} steps/epoch, "
          f"last epoch {clock.seconds:.1f} s, test accuracy {accuracy:.3f}")
"""

STEPS_SNIPPET = """
import json
import math
from zoo import registry

with open(registry.default_models_dir() / "$card") as f:
    card = json.load(f)
images = card["num_train"]
batch = card["hyperparameters"]["batch_size"]
epochs = card["epochs_run"]
steps = math.ceil(images / batch)
print(f"{card['name']}: {images:,} training images / batch {batch} = "
      f"{steps} steps per epoch; x {epochs} epochs = {steps * epochs:,} "
      "weight updates")
$full_line"""

FULL_LINE = """
all_images = len(load_arrays("fashion_mnist", "train", validation_split=0.0)[0])
print(f"all of Fashion-MNIST: {all_images:,} images / batch 128 = "
      f"{math.ceil(all_images / 128)} steps per epoch")
"""


def write(guide):
    guide.section("Losses, optimizers, batch size and epochs")
    guide.text(
        """
        A **loss** measures how wrong the predictions are, and training
        minimises its average over the data. Classification uses the
        cross-entropy: minus the log of the probability given to the true
        class (categorical with one-hot targets, *sparse* with integer
        labels, *binary* for yes/no outputs). Regression uses the mean
        squared error, which punishes large errors hard, or the mean
        absolute error, which is robust to outliers. Each value below is
        computed by `keras.losses` and by the formula in numpy.
        """
    )
    guide.formula(
        """
        cross-entropy:  L = -mean_n sum_c y[n, c] log p[n, c]
        binary CE:      L = -mean_n (y log p + (1 - y) log(1 - p))
        MSE = mean (y - y_hat)^2            MAE = mean |y - y_hat|
        """
    )
    ns = guide.run(LOSS_SNIPPET)
    rows = []
    for name, (keras_value, numpy_value) in ns["losses"].items():
        ok = guide.check(
            f"{name}: numpy formula vs keras.losses",
            float(numpy_value),
            float(keras_value),
            tolerance=1e-5,
        )
        rows.append(
            (name, f"{float(numpy_value):.6f}", f"{float(keras_value):.6f}")
            + (guide.check_mark(ok),)
        )
    guide.table(("loss", "numpy formula", "keras.losses", "equal"), rows)

    guide.subsection("Optimizers")
    guide.text(
        """
        An optimizer turns the gradient `g` of the loss into a weight
        update. Plain **SGD** steps against the gradient. **Momentum**
        accumulates a velocity, so steps grow along directions that agree
        from batch to batch and oscillations cancel. **AdaGrad** divides
        each weight's step by the root of its summed squared gradients:
        rare features get large steps, but the step size only ever
        shrinks. **Adam** keeps running means of the gradient and of its
        square (with bias correction) and is the usual default.
        """
    )
    guide.formula(
        """
        SGD:      w -= lr * g
        Momentum: v = mu * v - lr * g;   w += v
        AdaGrad:  G += g^2;              w -= lr * g / (sqrt(G) + eps)
        Adam:     m = b1 m + (1 - b1) g;  s = b2 s + (1 - b2) g^2
                  w -= lr * m_hat / (sqrt(s_hat) + eps),
                  m_hat = m / (1 - b1^t),  s_hat = s / (1 - b2^t)
        """
    )
    if not samples.has_data("mnist"):
        guide.text(
            "*MNIST was not found on this machine, so the measured training "
            "runs of this section were skipped. Set `ZOO_DATA_DIR` to the "
            "folder holding `mnist/` and generate the guide again.*"
        )
        return
    guide.text(
        "Measured with `zoo-train --compare-optimizers` (each optimizer with "
        "its default learning rate and a cosine schedule, same seed and "
        "data); called here through `training.train.main`:"
    )
    quick = guide.quick
    ns = guide.run(
        OPTIMIZER_SNIPPET,
        show_output=False,  # main prints the table rendered below
        epochs=1 if quick else 4,
        limit=256 if quick else 5000,
        extra=', "--max-steps", "2"' if quick else "",
    )
    keys = [k for k in ns["optimizer_runs"][0] if k != "optimizer"]
    guide.table(
        ["optimizer"] + keys,
        [
            [run["optimizer"]] + [_number(run[k]) for k in keys]
            for run in ns["optimizer_runs"]
        ],
    )
    guide.link_image(
        "11_optimizers",
        "Validation loss and accuracy per epoch for SGD, Momentum, AdaGrad "
        "and Adam (training.plots.optimizer_comparison).",
    )

    guide.subsection("Batch size, steps and epochs")
    guide.text(
        """
        One **step** updates the weights from the gradient of one batch;
        one **epoch** is a pass over the training set, i.e.
        `ceil(N / batch)` steps. Small batches give many noisy updates per
        epoch, so after one epoch they are often ahead; large batches give
        few, accurate updates and need more epochs (or a larger learning
        rate) to catch up. Their advantage is throughput: each step has a
        fixed overhead and larger matrix products use the hardware
        better. That gain is large on GPUs and can be small on a CPU,
        where a batch of 16 images already keeps the cores busy. A small
        measured sweep
        (seed_cnn, Adam 1e-3; the time is that of the last epoch, since
        the first one also compiles the training step):
        """
    )
    ns = guide.run(
        BATCH_SNIPPET,
        limit=512 if quick else 6000,
        test_limit=256 if quick else 2000,
        epochs=1 if quick else 2,
    )
    images = len(ns["x"])
    rows = []
    for batch_size, steps, seconds, accuracy in ns["sweep"]:
        ok = guide.check(
            f"steps per epoch: ceil({images} / {batch_size}) vs counted",
            math.ceil(images / batch_size),
            steps,
        )
        rows.append(
            (
                batch_size,
                math.ceil(images / batch_size),
                steps,
                f"{seconds:.2f}",
                f"{images / seconds:,.0f}",
                f"{accuracy:.3f}",
                guide.check_mark(ok),
            )
        )
    speeds = {b: images / seconds for b, _, seconds, _ in ns["sweep"]}
    accuracies = {b: accuracy for b, _, _, accuracy in ns["sweep"]}
    fastest = max(speeds, key=speeds.get)
    best = max(accuracies, key=accuracies.get)
    guide.text(
        f"Measured here: batch {fastest} had the highest throughput "
        f"({speeds[fastest]:,.0f} images/s, "
        f"{speeds[fastest] / min(speeds.values()):.2f}x the slowest), and "
        f"batch {best} the best test accuracy after the same number of "
        f"epochs ({accuracies[best]:.3f}). These are single timings on a "
        "machine other jobs may share: regenerate the guide to see the "
        "spread."
    )
    guide.table(
        (
            "batch",
            f"ceil({images} / batch)",
            "steps counted",
            "seconds (last epoch)",
            "images / s",
            "test accuracy",
            "equal",
        ),
        rows,
    )
    card = _shipped_card()
    if card is not None:
        guide.text("The numbers of a real run, from a shipped model card:")
        ns = guide.run(
            STEPS_SNIPPET,
            ns,
            card=card.name,
            full_line=FULL_LINE.strip()
            if samples.has_data("fashion_mnist")
            else "",
        )


def _shipped_card():
    directory = registry.default_models_dir()
    for name in ("mnist_seed_cnn", "mnist_cnn"):
        path = directory / f"{name}.json"
        if path.is_file():
            card = json.loads(path.read_text())
            if {"num_train", "hyperparameters", "epochs_run"} <= set(card):
                return path
    return None


def _number(value):
    return f"{value:.4g}" if isinstance(value, float) else value
