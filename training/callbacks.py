"""Callbacks the training tool adds to `model.fit`."""

import math
import time

import keras

from training import io_utils


class EpochTimer(keras.callbacks.Callback):
    """Adds `epoch_time_s` to the epoch logs, so the history CSV records the
    training time of every completed epoch, across resumed runs too.

    Must come before `CSVLogger` in the callback list: callbacks share the
    logs dict and run in order.
    """

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["epoch_time_s"] = time.perf_counter() - self._start


class AtomicBestCheckpoint(keras.callbacks.Callback):
    """Saves the whole model as `.keras` whenever `monitor` improves.

    Unlike `ModelCheckpoint`, the file is written to a temporary name and
    moved into place, so a crash mid-save never leaves a broken model under
    the final name. `best` seeds the comparison when a run resumes.
    `saved` is the model written, when it is not the one being fit (such
    as the classifier inside a `training.anytime.AnytimeTrainer`).
    """

    def __init__(
        self,
        path,
        monitor="val_loss",
        mode="min",
        best=None,
        verbose=1,
        saved=None,
    ):
        super().__init__()
        self.saved = saved
        if mode not in ("min", "max"):
            raise ValueError(
                f"Expected mode 'min' or 'max'. Received: mode={mode!r}"
            )
        self.path = path
        self.monitor = monitor
        self.mode = mode
        self.verbose = verbose
        if best is None:
            best = -math.inf if mode == "max" else math.inf
        self.best = best

    def _improved(self, value):
        return value > self.best if self.mode == "max" else value < self.best

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None or math.isnan(value):
            return
        if self._improved(value) or not self.path.exists():
            if self.verbose:
                print(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved to "
                    f"{value:.5f}; saving {self.path}"
                )
            self.best = value
            saved = self.model if self.saved is None else self.saved
            io_utils.save_model(saved, self.path)
