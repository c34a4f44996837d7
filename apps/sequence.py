"""Sequential MNIST with a streaming TCN: a digit read one pixel at a time.

The seq-MNIST classifier is `rescale -> TCN -> predictions`. Streaming
applies the layers before the TCN to each new pixel, advances the TCN one
step with `TCN.step` (which keeps a buffer of the last
`(kernel_size - 1) * dilation` inputs of each dilated conv) and applies
the head to the step's output, which gives the class probabilities the
network would output if the image ended at that pixel.

Each step is compiled once per model (`jax.jit` on JAX, `tf.function` on
TensorFlow, eager otherwise): 784 eager steps of an 8-level TCN take
seconds on 2 CPU cores, compiled ones a fraction of a second.
"""

import io

import keras
import numpy as np
from keras import ops
from matplotlib.figure import Figure
from PIL import Image

from zoo.models.tcn import split_around_tcn


def _compile(fn):
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return jax.jit(fn)
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, reduce_retracing=True)
    return fn


class Streamer:
    """Runs a seq-MNIST TCN classifier one input step at a time.

    Args:
        model: functional `keras.Model`: per-step layers, a causal `TCN`
            with `return_sequences=False`, then the head.

    Raises:
        ValueError: for models that are not such a chain.
    """

    def __init__(self, model):
        self.model = model
        self.pre_layers, self.tcn, self.post_layers = split_around_tcn(model)
        self.channels = model.inputs[0].shape[-1]
        self._run = _compile(self._raw_run)

    def _raw_step(self, x_t, state):
        for layer in self.pre_layers:
            x_t = layer(x_t, training=False)
        y_t, state = self.tcn.step(x_t, state)
        for layer in self.post_layers:
            y_t = layer(y_t, training=False)
        return y_t, state

    def _raw_run(self, sequence):
        steps = sequence.shape[0]
        outputs = ops.zeros((steps, self.model.outputs[0].shape[-1]))
        state = self.tcn.get_initial_state(batch_size=1)

        def advance(t, carry):
            state, outputs = carry
            x_t = ops.expand_dims(sequence[t], 0)
            y_t, state = self._raw_step(x_t, state)
            outputs = ops.slice_update(outputs, (t, 0), y_t)
            return state, outputs

        _, outputs = ops.fori_loop(0, steps, advance, (state, outputs))
        return outputs

    def run(self, sequence):
        """Outputs after every step of one sequence.

        Args:
            sequence: array `(steps, channels)` of raw inputs (for
                seq-MNIST, the 784 pixel values 0-255 in reading order).

        Returns:
            float32 array `(steps, outputs)`.
        """
        sequence = np.asarray(sequence, dtype="float32")
        if sequence.ndim != 2 or sequence.shape[1] != self.channels:
            raise ValueError(
                f"Expected a sequence of shape (steps, {self.channels}). "
                f"Received: sequence.shape={sequence.shape}"
            )
        return np.asarray(self._run(sequence), dtype="float32")


def figure_to_array(figure):
    """Renders a matplotlib `Figure` (no pyplot) to an RGB uint8 array."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    buffer.seek(0)
    return np.asarray(Image.open(buffer).convert("RGB"))


def row_probabilities(probabilities, width=28):
    """The probabilities after each complete row of pixels was read."""
    probabilities = np.asarray(probabilities)
    return probabilities[width - 1 :: width]


def reading_plot(probabilities, image, class_names, target, width=28):
    """What a reader can follow: the digit revealed row by row above the
    top class and the probability of `target` after each row.

    Args:
        probabilities: array `(steps, classes)` from `Streamer.run`.
        image: array `(rows, width)`, the digit read.
        class_names: names of the classes, in output order.
        target: int. The class whose probability is drawn (the true or
            drawn digit).
        width: int. Pixels per row.
    """
    rows = row_probabilities(probabilities, width)
    count = len(rows)
    read = np.arange(1, count + 1)
    figure = Figure(figsize=(9, 4.6), dpi=90, layout="constrained")
    strips, axes = figure.subplots(
        2, 1, height_ratios=[1, 2.4], gridspec_kw={"hspace": 0.05}
    )
    # The digit as read so far at a few points, unread rows shaded.
    marks = list(range(count // 7, count + 1, max(1, count // 7)))
    shown = np.full((image.shape[0], len(marks) * (width + 2)), 40.0)
    for index, row in enumerate(marks):
        partial = np.where(
            np.arange(image.shape[0])[:, None] < row, image, 40.0
        )
        left = index * (width + 2)
        shown[:, left : left + width] = partial
    strips.imshow(shown, cmap="gray", vmin=0, vmax=255, aspect="equal")
    strips.set_xticks(
        [i * (width + 2) + width / 2 for i in range(len(marks))],
        [f"{row} rows" for row in marks],
        fontsize=8,
    )
    strips.set_yticks([])
    strips.set_title("The digit as read so far", fontsize=10)
    top = rows.argmax(axis=1)
    axes.plot(
        read,
        rows[:, target],
        color="C3",
        linewidth=2,
        label=f"P({class_names[target]})",
    )
    axes.plot(
        read,
        rows.max(axis=1),
        color="C0",
        linewidth=1,
        marker="o",
        markersize=3,
        label="top class (its name above)",
    )
    for step, (name, p) in enumerate(zip(top, rows.max(axis=1))):
        if step == 0 or top[step - 1] != name:
            axes.annotate(
                str(class_names[name]),
                (step + 1, p),
                textcoords="offset points",
                xytext=(0, 6),
                ha="center",
                fontsize=9,
                color="C0",
            )
    axes.set_xlim(0.5, count + 0.5)
    axes.set_ylim(-0.02, 1.12)
    axes.set_xlabel("rows of pixels read")
    axes.set_ylabel("probability")
    axes.grid(color="0.92")
    axes.legend(loc="lower right", fontsize=8)
    return figure_to_array(figure)


def dilation_tree(tcn, steps=784):
    """Which input steps the last output sees, level by level.

    One row per dilated conv (two per residual block). The shaded band is
    the part of the input that reaches the last output through the levels
    up to that row; the dots are the taps of that conv for the last
    output, `t, t - d, ..., t - (k - 1) d`.

    Args:
        tcn: a `zoo.layers.TCN`.
        steps: int. Length of the input sequence shown.
    """
    k = tcn.kernel_size
    convs = [
        (block_index, block.dilation_rate)
        for block_index, block in enumerate(tcn.blocks)
        for _ in range(2)
    ]
    figure = Figure(figsize=(9, 0.32 * len(convs) + 1.4), dpi=90)
    axes = figure.add_subplot()
    last = steps - 1
    reach = 0
    for row, (_, dilation) in enumerate(convs):
        reach += (k - 1) * dilation
        start = max(0, last - reach)
        axes.barh(
            row,
            last - start + 1,
            left=start,
            height=0.6,
            color="C0",
            alpha=0.25,
        )
        taps = [last - j * dilation for j in range(k)]
        taps = [t for t in taps if t >= 0]
        axes.plot(taps, [row] * len(taps), "o", color="C3", markersize=3)
    axes.set_yticks(
        range(len(convs)),
        [
            f"block {b + 1} conv {i % 2 + 1} (d={d})"
            for i, (b, d) in enumerate(convs)
        ],
        fontsize=7,
    )
    axes.set_xlim(-5, steps + 5)
    axes.set_xlabel(
        f"input step (receptive field {tcn.receptive_field} steps; the "
        f"sequence has {steps})"
    )
    axes.set_title("What the last output sees, level by level", fontsize=10)
    figure.set_layout_engine("constrained")
    return figure_to_array(figure)
