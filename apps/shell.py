"""The app shell: one `App` holding the models, the caches and the tabs.

`App` combines the tab mixins of `apps.tabs` (each brings its handlers and
its layout) with what they share: the `ModelStore`, the lookup of a model
by name and kind, caches of per-model helpers, the page header and the
warm-up of the slow paths.
"""

import contextlib
import logging
import threading

import numpy as np

from apps import core
from apps.tabs.architecture import ArchitectureTab
from apps.tabs.draw import DrawTab
from apps.tabs.inside import InsideTab
from apps.tabs.playground import PlaygroundTab
from apps.tabs.sequence import SequenceTab
from apps.tabs.upload import UploadTab
from apps.ui import LOG
from apps.ui import gr

# TensorFlow's warning when 5 of the last 10 calls of functions made from
# one piece of code traced it. Every model has its own predict function
# (every image model its own activation and gradient functions), all made
# by the same Keras code, so the warm-up's first traces of more than five
# models set it off (twice per kind) although nothing is traced twice.
TRACING_WARNING = "triggered tf.function retracing"
CONCURRENCY_LIMIT = 2  # one request per CPU core of the target machine
QUEUE_SIZE = 32


class _DropTracingWarning(logging.Filter):
    def filter(self, record):
        return TRACING_WARNING not in record.getMessage()


@contextlib.contextmanager
def first_traces_expected():
    """Silences TensorFlow's retracing warning (see `TRACING_WARNING`)
    while every function is traced for the first time."""
    tf_logger = logging.getLogger("tensorflow")
    dropper = _DropTracingWarning()
    tf_logger.addFilter(dropper)
    try:
        yield
    finally:
        tf_logger.removeFilter(dropper)


class App(
    DrawTab,
    UploadTab,
    InsideTab,
    PlaygroundTab,
    ArchitectureTab,
    SequenceTab,
):
    """The Gradio handlers, bound to one `ModelStore`.

    Args:
        store: `apps.models.ModelStore` with the models to serve.
    """

    def __init__(self, store):
        self.store = store
        self._lock = threading.Lock()
        self._explainers = {}
        self._streamers = {}
        self._trees = {}

    def entry(self, name, kind):
        names = self.store.names(kind)
        if not names:
            raise gr.Error(
                f"No {kind} model is loaded from the app's models folder "
                f"({self.store.models_dir.name}/).",
                title="No model",
            )
        if name not in names:
            raise gr.Error(
                f"Unknown model {name!r}; choose one of {names}.",
                title="No such model",
            )
        return self.store.get(name)

    def cached(self, cache, name, factory):
        with self._lock:
            if name not in cache:
                cache[name] = factory()
            return cache[name]

    def header(self):
        lines = [
            "# Keras conv zoo",
            "Draw or upload, classify, and look inside the network.",
        ]
        if not self.store.entries:
            lines.append(
                f"\n> **No trained models found** in "
                f"`{self.store.models_dir}`. The drawing and playground tools "
                "work, but there is nothing to classify with: train models "
                "with `zoo-train` or start with `--models DIR`."
            )
        if self.store.problems:
            lines.append("\n> Some model files could not be loaded:")
            lines += [f"> - {problem}" for problem in self.store.problems]
        return "\n".join(lines)

    def warm_up(self):
        """Compiles the slow paths (predict functions, feature maps, TCN
        streaming, gradients) once, so that no person waits for them."""
        try:
            with first_traces_expected():
                self._compile_everything()
        except Exception:  # only a missed optimisation: log and go on
            LOG.exception("Warm-up failed")
        LOG.info("Warm-up done")

    def _compile_everything(self):
        for entry in self.store.entries.values():
            if entry.task == "classification":
                entry.probabilities(np.zeros((1, *entry.input_shape)))
        for name in self.store.names("sequence"):
            entry = self.store.get(name)
            self.streamer(entry).run(np.zeros(entry.input_shape))
        for name in self.store.names("inspectable"):
            entry = self.store.get(name)
            image = np.zeros(entry.input_shape[:2], "float32")
            image[8:20, 12:16] = 255.0
            entry.feature_maps(
                core.model_batch(entry, image), entry.spatial_layers()[0]
            )
            self.explain(None, name, None, {"images": {entry.style: image}})

    def build_queued(self):
        """`build()` with the queue limits set."""
        demo = self.build()
        demo.queue(
            default_concurrency_limit=CONCURRENCY_LIMIT, max_size=QUEUE_SIZE
        )
        return demo

    def build(self):
        """The `gr.Blocks` app."""
        with gr.Blocks(title="Keras conv zoo") as demo:
            # The last drawing or upload, prepared both ways; the other
            # tabs read it.
            current = gr.State(None)
            gr.Markdown(self.header())
            self.layout_draw(demo, current)
            self.layout_upload(current)
            self.layout_inside(current)
            self.layout_playground(current)
            self.layout_architecture(demo)
            self.layout_sequence(current)
        return demo
