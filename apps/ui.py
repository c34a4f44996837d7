"""Gradio adapters shared by the tabs: error handling and picture outputs.

Gradio is optional for the zoo: `gr` is `None` when it is not installed,
and `apps.classifier` says how to install it.
"""

import functools
import logging
import os

# Gradio reads this when it is imported: the app needs no network.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from apps import preprocess  # noqa: E402
from apps import visualize  # noqa: E402

try:
    import gradio as gr
except ImportError:  # the zoo itself does not need Gradio
    gr = None

LOG = logging.getLogger("apps.classifier")

INSTALL_HINT = (
    "The app needs Gradio: pip install 'keras-conv-zoo[app]' "
    "(or pip install gradio)."
)


def guarded(handler):
    """Turns failures into messages for the page and logs the traceback.

    Bad input becomes a `gr.Error` with the reason (shown as a toast and
    returned to API clients); anything unexpected is logged with its
    traceback and reported without details.
    """

    @functools.wraps(handler)
    def wrapper(*args, **kwargs):
        try:
            return handler(*args, **kwargs)
        except gr.Error:
            raise
        except preprocess.InputError as err:
            LOG.info("Refused input in %s: %s", handler.__name__, err)
            raise gr.Error(str(err), title="Cannot use this input") from None
        except Exception:
            LOG.exception("Handler %s failed", handler.__name__)
            raise gr.Error(
                "Something went wrong on the server; the details are in "
                "its log.",
                title="Internal error",
            ) from None

    return wrapper


def picture(image):
    """A 0-255 grayscale image as RGB uint8."""
    return visualize.gray_image(image)


def pixel_image(label, height, **kwargs):
    """An output image the browser enlarges to fill it, crisp pixels."""
    return gr.Image(
        label=label,
        format="png",
        interactive=False,
        height=height,
        elem_classes=["pixels"],
        **kwargs,
    )
