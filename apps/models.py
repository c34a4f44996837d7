"""The trained models the app serves, loaded once and kept warm.

`ModelStore` finds the `.keras` files of a folder (the repository's
`saved_models/` by default), loads each one safely at start-up and reads
what the app needs to know about it: task, data set and class names from
the model card (`<name>.json`), else from the registry's named
configuration, else from the model itself. A file that cannot be loaded is
reported in `store.problems`, never fatal: the app starts with whatever is
usable.

Predictions go through `predict_on_batch`, which reuses one compiled
predict function: on 2 CPU cores it is 5-10x faster per image than calling
the model eagerly and far faster than `model.predict`. Keras' predict
functions are not documented as thread-safe, so each model has a lock.
"""

import dataclasses
import json
import logging
import pathlib
import threading

import keras
import numpy as np

from apps import visualize
from zoo import registry
from zoo import saving

LOG = logging.getLogger(__name__)

TOP_K = 5
SEQUENCE_SHAPE = (784, 1)  # sequential MNIST: one pixel per step


@dataclasses.dataclass
class ModelEntry:
    """A loaded model and what the app knows about it."""

    name: str
    model: keras.Model
    task: str
    dataset: str
    class_names: tuple
    description: str = ""
    card: dict = dataclasses.field(default_factory=dict)
    card_markdown: str = ""
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    _activation_model: keras.Model = None

    @property
    def input_shape(self):
        return tuple(self.model.inputs[0].shape[1:])

    @property
    def is_image_classifier(self):
        return self.task == "classification" and len(self.input_shape) == 3

    @property
    def is_sequence_classifier(self):
        return self.task == "classification" and len(self.input_shape) == 2

    @property
    def style(self):
        """The preprocessing recipe of its data set: mnist or fashion."""
        return "fashion" if "fashion" in self.dataset.lower() else "mnist"

    @property
    def test_accuracy(self):
        """The card's measured test accuracy, `None` when it has none."""
        metrics = self.card.get("metrics")
        if not isinstance(metrics, dict):
            return None
        value = metrics.get("test_accuracy")
        return float(value) if isinstance(value, (int, float)) else None

    @property
    def answers_early(self):
        """Whether the model was trained to answer before its sequence
        ends (`zoo-train --anytime`: the card has an `anytime` table)."""
        return bool(self.card.get("anytime"))

    @property
    def family(self):
        """What the model reads, in a person's words: digits or clothing."""
        return "clothing" if self.style == "fashion" else "digits"

    @property
    def is_digit_model(self):
        return self.is_image_classifier and self.style == "mnist"

    def probabilities(self, batch):
        """Class probabilities for a batch shaped like the model input."""
        batch = np.asarray(batch, dtype="float32")
        with self.lock:
            return np.asarray(self.model.predict_on_batch(batch))

    @property
    def is_inspectable(self):
        """Whether the feature-map tab can look inside: an image classifier
        with a convolution among its own layers. An ensemble
        (`zoo.models.average_ensemble`) nests whole models instead."""
        return (
            self.is_image_classifier
            and visualize.first_conv_layer(self.model) is not None
        )

    def spatial_layers(self):
        """Names of the layers with an image-shaped (4-D) output."""
        return [
            layer.name
            for layer in self.model.layers
            if not isinstance(layer, keras.layers.InputLayer)
            and _output_rank(layer) == 4
        ]

    def activation_model(self):
        """One cached model from the input to every image-shaped layer.

        Compiled once, it serves every layer of the feature-map tab: a
        sub-model per layer would compile on the first look at each layer
        (tenths of a second each on 2 cores), while computing every layer
        costs a few milliseconds more per call than computing one.
        """
        with self.lock:
            if self._activation_model is None:
                outputs = {
                    name: self.model.get_layer(name).output
                    for name in self.spatial_layers()
                }
                self._activation_model = keras.Model(
                    self.model.inputs, outputs, name=f"{self.name}_activations"
                )
            return self._activation_model

    def feature_maps(self, batch, layer_name):
        """The output of `layer_name` (an image-shaped layer) for `batch`."""
        model = self.activation_model()
        with self.lock:
            outputs = model.predict_on_batch(batch)
        return np.asarray(outputs[layer_name])


def _output_rank(layer):
    try:
        return len(layer.output.shape)
    except (AttributeError, ValueError):
        return None


def top_k(probabilities, class_names, k=TOP_K):
    """`{class name: probability}` of the `k` most likely classes."""
    probabilities = np.asarray(probabilities, dtype="float64").ravel()
    order = np.argsort(-probabilities)[:k]
    return {str(class_names[i]): float(probabilities[i]) for i in order}


def _read_card(directory, name):
    card, markdown = {}, ""
    json_path = directory / f"{name}.json"
    md_path = directory / f"{name}.md"
    try:
        if json_path.is_file():
            card = json.loads(json_path.read_text(encoding="utf-8"))
        if md_path.is_file():
            markdown = md_path.read_text(encoding="utf-8")
    except (OSError, ValueError) as err:
        LOG.warning("Ignoring the unreadable model card of %s: %s", name, err)
    return (card if isinstance(card, dict) else {}), markdown


def _registry_info(name):
    try:
        return registry.model_info(name)
    except ValueError:
        return {}


def describe(name, model, card, info):
    """Task, data set and class names, the card first, then the registry.

    A model known to neither is taken for an image or sequence classifier
    with numbered classes when its output looks like probabilities.
    """
    outputs = model.outputs[0].shape[-1]
    task = card.get("task") or info.get("task") or "classification"
    dataset = card.get("dataset") or info.get("dataset") or "unknown"
    names = card.get("classes") or info.get("class_names")
    if not names or len(names) != outputs:
        names = [str(i) for i in range(outputs)]
    description = card.get("description") or ""
    if "dataset_description" not in card:
        # Cards written before the data set got its own field put the data
        # set's text under `description`: the registry's says more.
        description = info.get("description") or description
    return task, dataset, tuple(str(n) for n in names), description


class ModelStore:
    """Every usable model of a folder, by name.

    Args:
        models_dir: str or path-like. Folder of `<name>.keras` files (and
            optional `<name>.json` / `<name>.md` model cards). Defaults to
            the registry's `default_models_dir()`.
        warm_up: bool. Run one prediction per model at start-up so that
            the first request does not pay for compiling the predict
            function. Defaults to `True`.
    """

    def __init__(self, models_dir=None, warm_up=True):
        self.models_dir = pathlib.Path(
            models_dir or registry.default_models_dir()
        )
        self.entries = {}
        self.problems = []
        for name in registry.list_pretrained(self.models_dir):
            try:
                entry = self._load(name)
            except saving.ModelFileError as err:
                LOG.error("Skipping model %s: %s", name, err)
                self.problems.append(f"{name}: {err}")
                continue
            if warm_up and entry.task == "classification":
                entry.probabilities(np.zeros((1, *entry.input_shape)))
            self.entries[name] = entry

    def _load(self, name):
        model = registry.load_pretrained(name, self.models_dir)
        card, markdown = _read_card(self.models_dir, name)
        info = _registry_info(name)
        task, dataset, class_names, description = describe(
            name, model, card, info
        )
        return ModelEntry(
            name=name,
            model=model,
            task=task,
            dataset=dataset,
            class_names=class_names,
            description=description,
            card=card,
            card_markdown=markdown,
        )

    def get(self, name):
        """The entry called `name`; `KeyError` with the choices if none."""
        if name not in self.entries:
            raise KeyError(
                f"No model {name!r} is loaded. Available: "
                f"{sorted(self.entries)}"
            )
        return self.entries[name]

    def names(self, kind="all"):
        """Sorted names of one kind: all, image, digit, clothing, sequence,
        or inspectable (image classifiers the feature-map tab can look
        inside, see `ModelEntry.is_inspectable`)."""
        tests = {
            "all": lambda e: True,
            "image": lambda e: e.is_image_classifier,
            "inspectable": lambda e: e.is_inspectable,
            "digit": lambda e: e.is_digit_model,
            "sequence": lambda e: (
                e.is_sequence_classifier
                and e.input_shape == SEQUENCE_SHAPE
                # Permuted MNIST reads pixels in another order than a drawing.
                and not e.dataset.lower().startswith("pmnist")
            ),
        }
        tests["clothing"] = lambda e: (
            e.is_image_classifier and (e.style == "fashion")
        )
        return sorted(n for n, e in self.entries.items() if tests[kind](e))

    def best(self, kind):
        """The name of the most accurate model of one kind, or `None`.

        Every tab picks its default here, so they agree: the highest test
        accuracy on the model cards wins; models without a measured
        accuracy come after, by name. For `"sequence"`, which the app
        reads step by step, models trained to answer early
        (`ModelEntry.answers_early`) come first.

        Args:
            kind: str. As for `names`: `"digit"`, `"clothing"`,
                `"image"`, `"inspectable"`, `"sequence"` or `"all"`.
        """
        names = self.names(kind)
        if not names:
            return None

        def rank(name):
            entry = self.entries[name]
            accuracy = entry.test_accuracy
            late = kind == "sequence" and not entry.answers_early
            return (late, accuracy is None, -(accuracy or 0.0), name)

        return min(names, key=rank)
