"""Classification and regression metrics computed from predictions.

Plain numpy, so the numbers in model cards do not depend on a framework's
metric state (and can be checked by hand in the tests).
"""

import numpy as np


def confusion_matrix(y_true, y_pred, num_classes):
    """Counts with true classes as rows and predicted classes as columns."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return matrix


def per_class_scores(matrix, class_names):
    """Precision, recall and F1 per class from a confusion matrix.

    A class never predicted has precision 0 (not NaN), and one with no
    examples has recall 0, so averages stay defined.
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    true_positive = np.diag(matrix)
    predicted = matrix.sum(axis=0)
    actual = matrix.sum(axis=1)
    precision = np.divide(
        true_positive,
        predicted,
        out=np.zeros_like(true_positive),
        where=predicted > 0,
    )
    recall = np.divide(
        true_positive,
        actual,
        out=np.zeros_like(true_positive),
        where=actual > 0,
    )
    denominator = precision + recall
    f1 = np.divide(
        2 * precision * recall,
        denominator,
        out=np.zeros_like(true_positive),
        where=denominator > 0,
    )
    return [
        {
            "class": str(name),
            "precision": float(p),
            "recall": float(r),
            "f1": float(f),
            "support": int(s),
        }
        for name, p, r, f, s in zip(class_names, precision, recall, f1, actual)
    ]


def classification_report(y_true, probabilities, class_names, top_k=5):
    """Accuracy, top-k accuracy, macro P/R/F1, per-class scores, confusion.

    Args:
        y_true: int array `(n,)` of labels.
        probabilities: float array `(n, num_classes)`.
        class_names: list of names, in output order.
        top_k: int. The k of the top-k accuracy. Defaults to 5.
    """
    y_true = np.asarray(y_true).astype(np.int64).reshape(-1)
    probabilities = np.asarray(probabilities)
    if probabilities.ndim != 2 or len(probabilities) != len(y_true):
        raise ValueError(
            f"Expected probabilities of shape ({len(y_true)}, num_classes). "
            f"Received: shape {probabilities.shape}"
        )
    num_classes = probabilities.shape[1]
    y_pred = probabilities.argmax(axis=1)
    k = min(top_k, num_classes)
    top = np.argsort(-probabilities, axis=1)[:, :k]
    matrix = confusion_matrix(y_true, y_pred, num_classes)
    per_class = per_class_scores(matrix, class_names)
    return {
        "metrics": {
            "test_accuracy": float(np.mean(y_pred == y_true)),
            f"test_top{k}_accuracy": float(
                np.mean((top == y_true[:, None]).any(axis=1))
            ),
            "test_macro_precision": float(
                np.mean([row["precision"] for row in per_class])
            ),
            "test_macro_recall": float(
                np.mean([row["recall"] for row in per_class])
            ),
            "test_macro_f1": float(np.mean([row["f1"] for row in per_class])),
            "test_examples": int(len(y_true)),
        },
        "per_class": per_class,
        "confusion_matrix": matrix.tolist(),
    }


def per_step_classification_report(y_true, probabilities, class_names, top_k=5):
    """`classification_report` over every step of every sequence.

    For sequence-to-sequence tasks such as copy memory, which has one class
    per step. Adds `test_steps` (steps scored) and `test_sequence_accuracy`
    (the share of sequences with every step right); `test_examples` counts
    sequences.

    Args:
        y_true: int array `(n, steps)` of labels.
        probabilities: float array `(n, steps, num_classes)`.
        class_names: list of names, in output order.
        top_k: int. The k of the top-k accuracy. Defaults to 5.
    """
    y_true = np.asarray(y_true).astype(np.int64)
    probabilities = np.asarray(probabilities)
    if probabilities.ndim < 3 or probabilities.shape[:-1] != y_true.shape:
        raise ValueError(
            f"Expected probabilities of shape {y_true.shape + (-1,)} (one "
            f"row per step). Received: shape {probabilities.shape}"
        )
    report = classification_report(
        y_true.reshape(-1),
        probabilities.reshape(-1, probabilities.shape[-1]),
        class_names,
        top_k=top_k,
    )
    right = probabilities.argmax(axis=-1) == y_true
    report["metrics"].update(
        test_sequence_accuracy=float(
            np.mean(right.reshape(len(right), -1).all(axis=1))
        ),
        test_steps=int(y_true.size),
        test_examples=int(len(y_true)),
    )
    return report


def regression_report(y_true, y_pred):
    """Mean squared and mean absolute error."""
    y_true = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(len(y_pred), -1)
    error = y_pred - y_true
    return {
        "metrics": {
            "test_mse": float(np.mean(error**2)),
            "test_mae": float(np.mean(np.abs(error))),
            "test_examples": int(len(y_true)),
        }
    }
