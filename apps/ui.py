"""Gradio adapters shared by the tabs: error handling and picture outputs.

Gradio is optional for the zoo: `gr` is `None` when it is not installed,
and `apps.classifier` says how to install it.
"""

import functools
import logging
import os
import re

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


# An absolute path inside a message, such as the server's temporary copy
# of an upload (`/tmp/gradio/<hash>/name.png`) quoted by Pillow.
ABSOLUTE_PATH = re.compile(r"(?<![\w.])/(?:[^\s'\"/]+/)+([^\s'\"/]+)")


def path_free(message):
    """`message` with every absolute path cut down to its file name."""
    return ABSOLUTE_PATH.sub(r"\1", str(message))


def refuse(message, title="Cannot use this input"):
    """A titled `gr.Error` for the page that prints no server traceback."""
    return gr.Error(path_free(message), title=title, print_exception=False)


def guarded(handler):
    """Turns failures into titled, path-free messages for the page.

    A refusal (bad input, unknown model or layer) becomes a `gr.Error`
    shown as a toast and returned to API clients, and one log line;
    anything unexpected is logged with its traceback and reported without
    details.
    """

    @functools.wraps(handler)
    def wrapper(*args, **kwargs):
        try:
            return handler(*args, **kwargs)
        except gr.Error as err:
            # The app's own refusals name what was asked for (which may
            # look like a path) and never a server path: kept as they are.
            LOG.info("Refused in %s: %s", handler.__name__, err.message)
            err.print_exception = False
            raise
        except preprocess.InputError as err:
            LOG.info("Refused input in %s: %s", handler.__name__, err)
            raise refuse(err) from None
        except Exception:
            LOG.exception("Handler %s failed", handler.__name__)
            raise gr.Error(
                "Something went wrong on the server; the details are in "
                "its log.",
                title="Internal error",
                print_exception=False,
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


def top5(elem_id):
    """The top-5 label a classifying tab shows its answer in."""
    return gr.Label(num_top_classes=5, label="Top 5", elem_id=elem_id)


def model_view():
    """The 28x28 picture the model really sees, enlarged crisply."""
    return pixel_image("What the model sees (28×28)", 224)
