"""Knowledge distillation: a classifier also learns a teacher's answers.

`zoo-train --distill-from TEACHER.keras [MORE.keras ...]` trains the model
on its labels as usual, plus `--distill-weight` times the KL divergence
from the teacher's class probabilities to the model's (Hinton, Vinyals &
Dean, "Distilling the Knowledge in a Neural Network", 2015). The teacher
sees the same augmented batch and stays frozen. Several teachers are one
ensemble (`zoo.models.average_ensemble`), and `--distill-flip` averages
their answers on the mirrored batch as well, so that a small model can
learn from a larger, more accurate set of models than it could match on
its own: the MobileNet from the Fashion-MNIST CNNs, for example.

The teacher's outputs are probabilities (softmax heads), so the
divergence is taken at temperature 1.
"""

import pathlib

import keras
from keras import ops

from training.io_utils import UsageError

DEFAULT_WEIGHT = 1.0


def distillation_term(teacher, inputs, answer, weight):
    """`weight` times the batch mean of KL(teacher(inputs) || answer)."""
    target = ops.stop_gradient(teacher(inputs, training=False))
    drift = keras.losses.kl_divergence(target, answer)
    return weight * ops.mean(drift)


def load_teacher(paths, flip, student):
    """The frozen teacher of `--distill-from`: one model, or the average
    of several (and of their mirrored views with `flip`).

    Raises:
        UsageError: for files that do not load, teachers whose inputs or
            classes differ from the student's, or `flip` on non-images.
    """
    from training.ensemble import load_members
    from zoo.models import average_ensemble

    members = load_members(paths)
    for path, member in zip(paths, members):
        _check_fits(pathlib.Path(path).name, member, student)
    if len(members) == 1 and not flip:
        teacher = members[0]
    else:
        try:
            teacher = average_ensemble(members, flip, name="teacher")
        except ValueError as err:
            raise UsageError(f"--distill-from: {err}") from None
    teacher.trainable = False
    return teacher


def _check_fits(name, teacher, student):
    for what, theirs, mine in (
        ("inputs", teacher.input_shape, student.input_shape),
        ("outputs", teacher.output_shape, student.output_shape),
    ):
        if tuple(theirs[1:]) != tuple(mine[1:]):
            raise UsageError(
                f"--distill-from {name}: its {what} are {tuple(theirs[1:])} "
                f"but model {student.name}'s are {tuple(mine[1:])}; a "
                "teacher must read the same inputs and answer the same "
                "classes."
            )


class DistilledClassifier(keras.Model):
    """A classifier trained on its labels and on a teacher's answers.

    Shares every weight with `classifier` and returns its output; `fit`'s
    loss gains `weight * KL(teacher || classifier)` (`distillation_term`).
    Checkpoints save the classifier alone (see `zoo-train`).

    Args:
        classifier: the `keras.Model` being trained (softmax output).
        teacher: a model with the same inputs and outputs; frozen here.
        weight: float >= 0. Weight of the KL term. Defaults to 1.
    """

    def __init__(self, classifier, teacher, weight=None, **kwargs):
        super().__init__(name=f"{classifier.name}_distilled", **kwargs)
        weight = DEFAULT_WEIGHT if weight is None else float(weight)
        if weight < 0:
            raise ValueError(
                f"Expected a distillation weight >= 0, got {weight}."
            )
        teacher.trainable = False
        self.classifier = classifier
        self.teacher = teacher
        self.weight = weight
        # Every weight is already built (fit's BackupAndRestore insists).
        self.built = True

    def call(self, inputs, training=None):
        return self.classifier(inputs, training=training)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        loss = super().compute_loss(x, y, y_pred, sample_weight, training)
        if not self.weight:
            return loss
        return loss + distillation_term(self.teacher, x, y_pred, self.weight)


def report_teacher(teacher, bundle, paths, flip):
    """Prints the teacher's validation accuracy: what the student can
    hope to learn from it."""
    from training import evaluate

    if bundle.val is None:
        return
    report = evaluate.evaluate_split(teacher, bundle.val, bundle.info)
    accuracy = report["metrics"]["test_accuracy"]
    names = " + ".join(pathlib.Path(path).name for path in paths)
    views = ", mirrored views averaged" if flip else ""
    print(f"zoo-train: teacher ({names}{views}): val_accuracy={accuracy:.4g}")
