"""The zoo's Gradio app: the server and its command line.

    zoo-app [--host 127.0.0.1] [--port 7860] [--models DIR]
    python -m apps.classifier ...

Tabs: draw a digit, upload an image, what the network sees (feature maps,
first-layer kernels, Grad-CAM, saliency), a kernel playground, the
architecture table with the model card, and sequential MNIST read pixel by
pixel by a streaming TCN. Every `.keras` file of `--models` (default: the
repository's `saved_models/`) is loaded once at start; with none the app
still starts and says so.

Two endpoints are meant for `gradio_client`:

    from gradio_client import Client, handle_file
    client = Client("http://127.0.0.1:7860/")
    client.predict(handle_file("digit.png"), "mnist_seed_cnn",
                   api_name="/predict")          # {label, confidences}
    client.predict(handle_file("digit.png"), "mnist_seed_cnn", "block1_conv",
                   api_name="/feature_maps")     # path of a PNG grid

Where things live: `apps.core` is the numpy core shared by the UI and the
API, `apps.tabs.*` hold one tab each (layout and handlers), `apps.shell`
the `App` that combines them; this module serves it. The names below are
re-exported so that `apps.classifier` stays the app's one entry point.
"""

import argparse
import logging
import threading

from apps.core import EXAMPLES_DIR
from apps.core import predict_file  # noqa: F401
from apps.core import prepare  # noqa: F401
from apps.core import settle_step  # noqa: F401
from apps.models import ModelStore
from apps.shell import CONCURRENCY_LIMIT  # noqa: F401
from apps.shell import QUEUE_SIZE  # noqa: F401
from apps.shell import App
from apps.tabs.draw import DRAW_PROMPT  # noqa: F401
from apps.ui import INSTALL_HINT
from apps.ui import LOG
from apps.ui import gr

MAX_FILE_SIZE = "10mb"
# Gradio keeps a ~250 KB copy of the page's state per session (each API
# call without a session is a new one) and by default 10,000 sessions:
# 2.4 GB. 100 bounds that to ~25 MB; the oldest sessions are dropped.
SESSION_CAPACITY = 100
# Pictures are sent at one pixel per value (small, fast to encode) and
# enlarged by the browser without smoothing.
APP_CSS = """
/* Gradio lays a panel's label over the top-left corner of its picture;
   pictures start below it instead, so no label hides a map or its number. */
.pixels .image-container,
.labelled .image-container {
    padding-top: 2.25rem;
    box-sizing: border-box;
}
.pixels img {
    image-rendering: pixelated;
    object-fit: contain !important;
    width: 100%;
    height: 100%;
}
"""


def build_app(models_dir=None, store=None):
    """The app's `gr.Blocks`, its queue configured.

    Args:
        models_dir: str or path-like. Folder of `.keras` files. Defaults to
            the repository's `saved_models/` (or `$ZOO_MODELS_DIR`).
        store: `ModelStore`. Already loaded models; overrides `models_dir`.

    Raises:
        ImportError: when Gradio is not installed.
    """
    if gr is None:
        raise ImportError(INSTALL_HINT)
    return App(store or ModelStore(models_dir)).build_queued()


def launch(demo, host="127.0.0.1", port=7860, **kwargs):
    """Starts the server with the app's safety settings."""
    return demo.launch(
        server_name=host,
        server_port=port,
        max_file_size=MAX_FILE_SIZE,
        state_session_capacity=SESSION_CAPACITY,
        share=False,
        # The example thumbnails hand their own files to the upload box.
        allowed_paths=[str(EXAMPLES_DIR)],
        show_error=False,  # messages come from gr.Error, not tracebacks
        css=APP_CSS,
        **kwargs,
    )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="zoo-app",
        description="Gradio app: draw or upload, classify, look inside.",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="Interface to listen on; 0.0.0.0 exposes the app to the "
        "network. Default: %(default)s.",
    )
    parser.add_argument(
        "--port", type=int, default=7860, help="Default: %(default)s."
    )
    parser.add_argument(
        "--models",
        default=None,
        help="Folder of .keras files (and their model cards). Default: "
        "$ZOO_MODELS_DIR, else the repository's saved_models/.",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    if gr is None:
        raise SystemExit(INSTALL_HINT)
    # Compiling every model's predict function took most of the start-up;
    # the warm-up thread does it while the page is already served.
    store = ModelStore(args.models, warm_up=False)
    LOG.info(
        "Serving %d model(s) from %s: %s",
        len(store.entries),
        store.models_dir,
        ", ".join(store.entries) or "none",
    )
    app = App(store)
    # Compiling the TCN stream and the gradient functions takes seconds;
    # do it while the page loads rather than on the first click.
    threading.Thread(target=app.warm_up, daemon=True).start()
    launch(app.build_queued(), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
