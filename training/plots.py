"""Figures the training tools write: curves, confusion matrix, optimizers.

Drawn on `matplotlib.figure.Figure` objects, not pyplot: files only, so
nothing needs a display (servers, CI), and importing this module never
switches the matplotlib backend of a notebook that imports it.
"""

import numpy as np
from matplotlib.figure import Figure

from training import io_utils


def _subplots(nrows, ncols, figsize, **kwargs):
    figure = Figure(figsize=figsize)
    return figure, figure.subplots(nrows, ncols, **kwargs)


def training_curves(history, path, title=""):
    """Loss and (when present) accuracy per epoch, train vs validation.

    Args:
        history: dict of metric name -> list of per-epoch values, as in
            `keras.callbacks.History.history` or the history CSV.
        path: where to write the PNG.
    """
    metrics = [m for m in ("loss", "accuracy", "mae") if m in history]
    figure, axes = _subplots(
        1, len(metrics), figsize=(5 * len(metrics), 3.6), squeeze=False
    )
    for ax, metric in zip(axes[0], metrics):
        epochs = np.arange(1, len(history[metric]) + 1)
        ax.plot(epochs, history[metric], "o-", label="train")
        if f"val_{metric}" in history:
            ax.plot(epochs, history[f"val_{metric}"], "s-", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    io_utils.save_figure(figure, path, dpi=110)


def confusion_matrix(matrix, class_names, path, title="Confusion matrix"):
    """Counts with true classes as rows and predictions as columns."""
    matrix = np.asarray(matrix)
    n = len(class_names)
    size = max(4.5, 0.55 * n + 2)
    figure, ax = _subplots(1, 1, figsize=(size, size * 0.9))
    image = ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(n), class_names, rotation=45, ha="right")
    ax.set_yticks(range(n), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    threshold = matrix.max() / 2 if matrix.size else 0
    for i in range(n):
        for j in range(n):
            ax.text(
                j,
                i,
                str(matrix[i, j]),
                ha="center",
                va="center",
                fontsize=7,
                color="white" if matrix[i, j] > threshold else "black",
            )
    figure.colorbar(image, ax=ax, fraction=0.046)
    figure.tight_layout()
    io_utils.save_figure(figure, path, dpi=110)


def optimizer_comparison(histories, path, title="Optimizer comparison"):
    """One panel per metric, one line per optimizer (validation curves)."""
    metrics = [
        m
        for m in ("loss", "accuracy")
        if all(f"val_{m}" in h for h in histories.values())
    ]
    figure, axes = _subplots(
        1, len(metrics), figsize=(5.5 * len(metrics), 3.8), squeeze=False
    )
    for ax, metric in zip(axes[0], metrics):
        for name, history in histories.items():
            values = history[f"val_{metric}"]
            ax.plot(np.arange(1, len(values) + 1), values, "o-", label=name)
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"validation {metric}")
        ax.grid(alpha=0.3)
        ax.legend()
    figure.suptitle(title)
    figure.tight_layout()
    io_utils.save_figure(figure, path, dpi=110)
