"""Anytime training of a TCN classifier: a good answer before the end.

A causal TCN classifier reads its `TCN` at the last step. Its output at an
earlier step `t` is what it would answer if the sequence ended at `t`,
which is what the app's Sequence tab plots while a digit is read pixel by
pixel. Trained only on the last step, those early answers are noise (ten
lines flipping between 0 and 1). `zoo-train --anytime EVERY` trains the
same classifier on its answers after every `EVERY` steps (`28` for
sequential MNIST: the end of each image row), with a loss weighted toward
the end, so that the prediction sharpens as rows arrive while the final
answer stays the main goal.

Nothing about the saved model changes: `AnytimeTrainer` wraps the
classifier's own layers (`pre-layers -> TCN -> head`, see
`split_around_tcn`) for `fit` only, and the checkpoint holds the plain
classifier, which loads, evaluates, streams and exports as any other.
"""

import keras
import numpy as np
from keras import ops

from training.distill import distillation_term
from zoo.models.tcn import split_around_tcn

# Share of the loss carried by the final answer; the earlier readings
# share the rest in proportion to how many steps they have read.
FINAL_WEIGHT = 0.5


def reading_weights(readings, final_weight=FINAL_WEIGHT):
    """Loss weight of each reading, summing to 1, growing toward the end.

    Reading `r` (1-based) of `R` gets `(1 - final_weight) * r / sum(1..R-1)`
    for `r < R`, and the last one `final_weight`; with one reading it
    carries everything.

    >>> [round(w, 3) for w in reading_weights(4)]
    [0.083, 0.167, 0.25, 0.5]
    """
    if readings < 1:
        raise ValueError(f"Expected at least one reading, got {readings}.")
    if readings == 1:
        return [1.0]
    ramp = np.arange(1, readings, dtype="float64")
    early = (1.0 - final_weight) * ramp / ramp.sum()
    return [*early.tolist(), float(final_weight)]


class AnytimeTrainer(keras.Model):
    """A TCN classifier's answers after every `every` steps, for training.

    Shares every layer (and so every weight) with `classifier`; its output
    is `(batch, steps // every, classes)`: the answer after `every`,
    `2 * every`, ..., `steps` steps. The last reading is the classifier's
    own output.

    Args:
        classifier: functional model `pre-layers -> causal TCN -> head`
            with a fixed number of steps divisible by `every`.
        every: int. Steps between readings (28: one MNIST image row).
        final_weight: float in (0, 1]. The final answer's share of the
            loss (`reading_weights`), kept here for `compile`.
        teacher: optional frozen model with the classifier's inputs and
            outputs, usually the model it was initialised from. Its
            answers are distilled into the final answer (the KL
            divergence, times `teacher_weight`, joins the loss), so that
            learning early answers does not cost the final one.
        teacher_weight: float >= 0. Weight of that KL term.
    """

    def __init__(
        self,
        classifier,
        every,
        final_weight=FINAL_WEIGHT,
        teacher=None,
        teacher_weight=1.0,
        **kwargs,
    ):
        super().__init__(name=f"{classifier.name}_anytime", **kwargs)
        if teacher_weight < 0:
            raise ValueError(
                f"Expected a teacher weight >= 0, got {teacher_weight}."
            )
        if teacher is not None:
            teacher.trainable = False
        self.teacher = teacher
        self.teacher_weight = float(teacher_weight)
        if not 0.0 < final_weight <= 1.0:
            raise ValueError(
                "The final answer's share of the loss must be in (0, 1]; "
                f"got {final_weight}."
            )
        self.final_weight = float(final_weight)
        steps = classifier.input_shape[1]
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"Expected a positive int every, got {every!r}.")
        if steps is None or steps % every:
            raise ValueError(
                f"--anytime {every} needs a sequence length divisible by "
                f"{every}; model {classifier.name!r} reads {steps} steps."
            )
        self.classifier = classifier
        self.every = every
        self.readings = steps // every
        self.pre, self.tcn, self.post = split_around_tcn(classifier)
        # Every weight is the classifier's, already built (fit's
        # BackupAndRestore insists on a built model).
        self.built = True

    def call(self, inputs, training=None):
        x = inputs
        for layer in self.pre:
            x = layer(x, training=training)
        x = self.tcn.sequence_outputs(x, training=training)
        x = x[:, self.every - 1 :: self.every, :]
        for layer in self.post:
            x = layer(x, training=training)
        return x

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        loss = super().compute_loss(x, y, y_pred, sample_weight, training)
        if self.teacher is None or not self.teacher_weight:
            return loss
        # The teacher sees the same (augmented) batch the student does.
        return loss + distillation_term(
            self.teacher, x, y_pred[:, -1, :], self.teacher_weight
        )


class AnytimeCrossentropy(keras.losses.Loss):
    """Cross-entropy of every reading against the one label, weighted.

    `y_true`: `(batch,)` class ids; `y_pred`: `(batch, readings, classes)`
    probabilities. The weights come from `reading_weights`.
    """

    def __init__(self, readings, final_weight=FINAL_WEIGHT, **kwargs):
        super().__init__(name="anytime_crossentropy", **kwargs)
        self.readings = readings
        self.final_weight = final_weight
        self.weights = reading_weights(readings, final_weight)

    def call(self, y_true, y_pred):
        labels = ops.reshape(ops.cast(y_true, "int32"), (-1, 1))
        labels = ops.repeat(labels, self.readings, axis=1)
        per_reading = keras.losses.sparse_categorical_crossentropy(
            labels, y_pred
        )
        weights = ops.convert_to_tensor(self.weights, dtype=y_pred.dtype)
        return ops.sum(per_reading * weights, axis=-1)

    def get_config(self):
        return {
            **super().get_config(),
            "readings": self.readings,
            "final_weight": self.final_weight,
        }


class ReadingAccuracy(keras.metrics.SparseCategoricalAccuracy):
    """Accuracy of one reading (default: the last, the final answer)."""

    def __init__(self, reading=-1, name="accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.reading = reading

    def update_state(self, y_true, y_pred, sample_weight=None):
        return super().update_state(
            y_true, y_pred[:, self.reading, :], sample_weight
        )

    def get_config(self):
        return {**super().get_config(), "reading": self.reading}


def metrics(readings):
    """`accuracy` (the final answer, which picks the best epoch) and the
    accuracy after a quarter and half of the readings."""
    picked = sorted({max(1, readings // 4), max(1, readings // 2)})
    return [ReadingAccuracy(name="accuracy")] + [
        ReadingAccuracy(reading - 1, name=f"accuracy_at_{reading}")
        for reading in picked
        if reading < readings
    ]


def reading_accuracies(classifier, dataset, every):
    """`{reading: accuracy}` of the classifier after every `every` steps,
    for readings `1..steps // every`, on a `(x, y)` dataset."""
    trainer = AnytimeTrainer(classifier, every)
    correct = None
    total = 0
    for x, y in dataset:
        probabilities = keras.ops.convert_to_numpy(trainer(x, training=False))
        hits = np.argmax(probabilities, axis=-1) == np.asarray(y)[:, None]
        correct = hits.sum(axis=0) if correct is None else correct + hits.sum(0)
        total += len(hits)
    return {r + 1: float(correct[r] / total) for r in range(trainer.readings)}
