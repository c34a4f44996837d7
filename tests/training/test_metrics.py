"""Metrics against hand-computed values."""

import numpy as np
import pytest

from training import metrics


def test_confusion_and_per_class_scores_by_hand():
    y_true = np.array([0, 0, 0, 1, 1, 2])
    y_pred = np.array([0, 0, 1, 1, 2, 2])
    matrix = metrics.confusion_matrix(y_true, y_pred, 3)
    np.testing.assert_array_equal(matrix, [[2, 1, 0], [0, 1, 1], [0, 0, 1]])
    rows = metrics.per_class_scores(matrix, ["a", "b", "c"])
    # class b: predicted twice, right once; present twice, found once.
    assert rows[1]["precision"] == pytest.approx(0.5)
    assert rows[1]["recall"] == pytest.approx(0.5)
    assert rows[0]["f1"] == pytest.approx(2 * 1.0 * (2 / 3) / (1 + 2 / 3))
    assert [r["support"] for r in rows] == [3, 2, 1]


def test_never_predicted_class_has_zero_precision_not_nan():
    matrix = metrics.confusion_matrix([0, 1], [0, 0], 2)
    rows = metrics.per_class_scores(matrix, ["x", "y"])
    assert rows[1]["precision"] == 0.0 and rows[1]["f1"] == 0.0


def test_classification_report_accuracy_and_top_k():
    probabilities = np.array(
        [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.5, 0.4, 0.1]]
    )
    report = metrics.classification_report(
        [0, 1, 1], probabilities, ["a", "b", "c"], top_k=2
    )
    assert report["metrics"]["test_accuracy"] == pytest.approx(1 / 3)
    assert report["metrics"]["test_top2_accuracy"] == pytest.approx(1.0)
    assert np.sum(report["confusion_matrix"]) == 3


def test_regression_report():
    report = metrics.regression_report([1.0, 2.0], [1.5, 1.0])
    assert report["metrics"]["test_mse"] == pytest.approx((0.25 + 1) / 2)
    assert report["metrics"]["test_mae"] == pytest.approx(0.75)


def test_shape_mismatch_is_reported():
    with pytest.raises(ValueError, match="Expected probabilities of shape"):
        metrics.classification_report([0, 1], np.zeros((3, 2)), ["a", "b"])
