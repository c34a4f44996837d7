"""Section 12: accuracy, precision, recall, F1 and the confusion matrix."""

import json

import zoo
from tools.concepts import samples
from zoo import registry

# Shipped models to evaluate, best first.
PREFERRED = ("mnist_cnn", "mnist_seed_cnn", "fashion_cnn")
# Quick mode evaluates the smallest one.
PREFERRED_QUICK = ("mnist_seed_cnn", "mnist_cnn", "fashion_cnn")

SHIPPED_SNIPPET = """
import numpy as np
import keras
import zoo
from training import plots
from training.data import load_arrays
from training.metrics import classification_report

model = zoo.load_pretrained("$name")
info = zoo.model_info("$name")
x, y = load_arrays(info["dataset"], "test", limit=$limit)
"""

TRAINED_SNIPPET = """
import numpy as np
import keras
import zoo
from training import plots
from training.data import load_arrays
from training.metrics import classification_report

# No trained model is shipped: train a seed_cnn for 1 epoch right here.
info = zoo.model_info("mnist_seed_cnn")
x_train, y_train = load_arrays("mnist", "train", limit=$train_limit)
model = zoo.create_model("mnist_seed_cnn")
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(x_train, y_train, batch_size=128, epochs=1, verbose=0)
x, y = load_arrays("mnist", "test", limit=$limit)
"""

REPORT_SNIPPET = """
probabilities = model.predict(x, batch_size=256, verbose=0)
report = classification_report(y, probabilities, info["class_names"])
plots.confusion_matrix(report["confusion_matrix"], info["class_names"],
                       "img/12_confusion.png", title=f"{model.name}: test set")
keras_accuracy = keras.metrics.SparseCategoricalAccuracy()
keras_accuracy.update_state(y, probabilities)
for key, value in report["metrics"].items():
    print(f"{key:22s} {value:.4f}" if isinstance(value, float)
          else f"{key:22s} {value}")
"""


def write(guide):
    guide.section("Evaluation: accuracy, precision, recall, F1")
    guide.text(
        """
        Accuracy is the share of correct predictions; on its own it hides
        *which* classes are confused. Per class, **precision** is the
        share of the predictions of that class that are right (few false
        alarms), **recall** the share of the examples of that class that
        are found (few misses), and **F1** their harmonic mean, which is
        high only when both are. The **confusion matrix** counts every
        (true class, predicted class) pair: the diagonal holds the correct
        predictions, and each off-diagonal cell is a specific mistake.
        `training.metrics.classification_report` computes all of them in
        numpy from the predicted probabilities.
        """
    )
    guide.formula(
        """
        accuracy  = correct / N
        precision = TP / (TP + FP)     recall = TP / (TP + FN)
        F1 = 2 * precision * recall / (precision + recall)
        """
    )
    name = _shipped_model(guide.quick)
    limit = 500 if guide.quick else None
    if name is not None and samples.has_data(_dataset(name)):
        guide.text(
            f"Evaluated: the shipped model `{name}` "
            f"(`saved_models/{name}.keras`, loaded with "
            "`zoo.load_pretrained`), on "
            + ("the first 500 test images." if limit else "the full test set.")
        )
        ns = guide.run(SHIPPED_SNIPPET, name=name, limit=limit)
    elif samples.has_data("mnist"):
        guide.text(
            "**No trained model is shipped in `saved_models/` yet, so the "
            "model evaluated here is a seed_cnn trained for 1 epoch by this "
            "generator** (far from what the architecture reaches)."
        )
        ns = guide.run(
            TRAINED_SNIPPET,
            train_limit=1024 if guide.quick else 20000,
            limit=limit,
        )
    else:
        guide.text(
            "*MNIST was not found on this machine, so no model could be "
            "evaluated here. Set `ZOO_DATA_DIR` and generate the guide "
            "again.*"
        )
        return
    ns = guide.run(REPORT_SNIPPET, ns)
    report = ns["report"]
    metrics = report["metrics"]
    guide.check(
        "accuracy: classification_report vs keras.metrics",
        metrics["test_accuracy"],
        float(ns["keras_accuracy"].result()),
        tolerance=1e-6,
    )
    matrix = report["confusion_matrix"]
    guide.check(
        "confusion matrix: sum of counts vs test images",
        sum(map(sum, matrix)),
        len(ns["y"]),
    )
    guide.check(
        "accuracy vs trace of the confusion matrix / N",
        metrics["test_accuracy"],
        sum(matrix[i][i] for i in range(len(matrix))) / len(ns["y"]),
        tolerance=1e-12,
    )
    card = _card(name) if name is not None and limit is None else None
    if card is not None and "test_accuracy" in card.get("metrics", {}):
        guide.check(
            f"{name}: test accuracy in the model card vs recomputed "
            "(<= 5e-4, backend round-off)",
            card["metrics"]["test_accuracy"],
            metrics["test_accuracy"],
            tolerance=5e-4,
        )
    guide.table(
        ("class", "precision", "recall", "F1", "support"),
        [
            (
                row["class"],
                f"{row['precision']:.4f}",
                f"{row['recall']:.4f}",
                f"{row['f1']:.4f}",
                row["support"],
            )
            for row in report["per_class"]
        ],
    )
    worst = _worst_confusion(matrix, report["per_class"])
    if worst:
        guide.text(
            f"The most frequent mistake: true `{worst[0]}` predicted as "
            f"`{worst[1]}` ({worst[2]} times)."
        )
    guide.link_image(
        "12_confusion",
        f"Confusion matrix of {ns['model'].name} "
        "(training.plots.confusion_matrix); rows are true classes.",
    )


def _shipped_model(quick):
    shipped = zoo.list_pretrained()
    for name in PREFERRED_QUICK if quick else PREFERRED:
        if name in shipped and registry.is_model(name):
            return name
    return None


def _dataset(name):
    return zoo.model_info(name).get("dataset", "mnist")


def _card(name):
    path = registry.default_models_dir() / f"{name}.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def _worst_confusion(matrix, per_class):
    best = None
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            if i != j and count and (best is None or count > best[2]):
                best = (per_class[i]["class"], per_class[j]["class"], count)
    return best
