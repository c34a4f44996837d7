"""The zoo's Gradio app: draw or upload, classify, and look inside.

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

The `predict_*` functions at the top are the numpy core shared by the UI
and the API; the `App` methods adapt them to Gradio and turn every failure
into a message (the traceback goes to the server log, never the page).
"""

import argparse
import functools
import logging
import os
import pathlib
import re
import threading

# Gradio reads this when it is imported: the app needs no network.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from apps import playground  # noqa: E402
from apps import preprocess  # noqa: E402
from apps import sequence  # noqa: E402
from apps import visualize  # noqa: E402
from apps.models import ModelStore  # noqa: E402
from apps.models import top_k  # noqa: E402
from zoo import arithmetic  # noqa: E402

try:
    import gradio as gr
except ImportError:  # the zoo itself does not need Gradio
    gr = None

LOG = logging.getLogger(__name__)

EXAMPLES_DIR = pathlib.Path(__file__).resolve().parent / "examples"
MAX_FILE_SIZE = "10mb"
CONCURRENCY_LIMIT = 2  # one request per CPU core of the target machine
QUEUE_SIZE = 32
# Gradio keeps a ~250 KB copy of the page's state per session (each API
# call without a session is a new one) and by default 10,000 sessions:
# 2.4 GB. 100 bounds that to ~25 MB; the oldest sessions are dropped.
SESSION_CAPACITY = 100
PLAYGROUND_ZOOM = 8
# Pictures are sent at one pixel per value (small, fast to encode) and
# enlarged by the browser without smoothing.
APP_CSS = """
.pixels img {
    image-rendering: pixelated;
    object-fit: contain !important;
    width: 100%;
    height: 100%;
}
"""
DRAW_PROMPT = "✏️ **Draw a digit** in the box: the prediction updates as you go."
UPLOAD_PROMPT = "📷 **Upload a picture** of a digit or a piece of clothing."
CLEAR_CANVAS_JS = """() => {
    const editor = document.querySelector("#sketch");
    editor.querySelector("button[aria-label='Clear canvas']")?.click();
    setTimeout(
        () => editor.querySelector("button[aria-label='Brush']")?.click(),
        200,
    );
}"""
NO_INPUT = "Draw a digit or upload an image first (tabs 1 and 2)."
INSTALL_HINT = (
    "The app needs Gradio: pip install 'keras-conv-zoo[app]' "
    "(or pip install gradio)."
)


# ---------------------------------------------------------------------------
# Numpy core: shared by the UI handlers and the API endpoints.


def prepare(ink, style):
    """Ink-high picture -> the 28x28 image a model of `style` expects.

    Raises:
        preprocess.InputError: for a blank picture, or one with NaN or
            infinite values.
    """
    ink = np.asarray(ink, dtype="float32")
    if not np.all(np.isfinite(ink)):
        # NaN fails every comparison, so it would pass for a blank canvas.
        raise preprocess.InputError(
            "The image contains NaN or infinite values."
        )
    if ink.size == 0 or float(ink.max()) <= 0.0:
        raise preprocess.InputError(
            "The image is blank (one flat colour): there is nothing to "
            "classify."
        )
    if style == "fashion":
        return preprocess.fashion_style(ink)
    return preprocess.mnist_style(ink)


def prepare_both(ink):
    """The picture prepared for digit and for clothing models."""
    return {style: prepare(ink, style) for style in ("mnist", "fashion")}


def model_batch(entry, image):
    """A 2-D 0-255 image as a batch of one shaped like the model input."""
    height, width, channels = entry.input_shape
    image = np.asarray(image, dtype="float32")
    size = (height or image.shape[0], width or image.shape[1])
    if image.shape != size:
        resized = Image.fromarray(image, mode="F").resize(
            (size[1], size[0]), Image.Resampling.BILINEAR
        )
        image = np.asarray(resized)
    batch = np.repeat(image[None, :, :, None], channels or 1, axis=-1)
    return batch.astype("float32")


def predict_image(entry, image):
    """Top-5 `{class name: probability}` of a prepared 2-D image."""
    probabilities = entry.probabilities(model_batch(entry, image))[0]
    return top_k(probabilities, entry.class_names)


def predict_file(entry, file):
    """Top-5 of an image file (path, bytes or PIL image)."""
    ink = preprocess.ink_from_gray(preprocess.load_image(file))
    return predict_image(entry, prepare(ink, entry.style))


def settle_step(probabilities):
    """First step from which the most likely class never changes."""
    winners = np.argmax(probabilities, axis=-1)
    changes = np.flatnonzero(winners != winners[-1])
    return int(changes[-1]) + 1 if changes.size else 0


def architecture_rows(model):
    """`zoo.arithmetic.layer_table` as rows of strings and numbers."""
    rows = []
    for row in arithmetic.layer_table(model):
        rows.append(
            [
                row["name"],
                row["type"],
                str(row["output_shape"]),
                f"{row['params']:,}",
                "—" if row["flops"] is None else f"{row['flops']:,}",
                "—"
                if row["receptive_field"] is None
                else str(row["receptive_field"]),
            ]
        )
    return rows


def strip_images(markdown):
    """Drops Markdown images: their relative paths do not resolve here."""
    return re.sub(r"!\[[^\]]*\]\([^)]*\)", "", markdown)


def sample_image():
    """An example digit for the playground before anything is drawn."""
    for path in sorted(EXAMPLES_DIR.glob("mnist_*.png")):
        try:
            return prepare(
                preprocess.ink_from_gray(preprocess.load_image(path)), "mnist"
            )
        except preprocess.InputError:
            continue
    image = np.zeros((28, 28), "float32")
    image[4:24, 13:16] = 255.0  # a "1"
    return image


# ---------------------------------------------------------------------------
# Gradio adapters.


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


def playground_picture(image):
    """Enlarged 8x on the server: the playground shows true sizes."""
    return visualize.upscale(image, PLAYGROUND_ZOOM)


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


def choose(choices, preferred=()):
    """The first preferred name among `choices`, else the first choice."""
    for name in preferred:
        if name in choices:
            return name
    return choices[0] if choices else None


class App:
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

    # -- helpers ------------------------------------------------------------

    def entry(self, name, kind):
        names = self.store.names(kind)
        if not names:
            raise gr.Error(
                f"No {kind} model is loaded from {self.store.models_dir}.",
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

    def input_image(self, file, entry, current):
        """The prepared image of `file`, else of the last drawing/upload."""
        if file is not None:
            ink = preprocess.ink_from_gray(preprocess.load_image(file))
            return prepare(ink, entry.style)
        if current:
            return current["images"][entry.style]
        return None

    # -- tab 1: draw ----------------------------------------------------------

    @guarded
    def draw(self, sketch, model_name):
        """Sketchpad -> (top-5, what the model sees, status, current)."""
        ink = preprocess.sketch_to_ink(sketch)
        if ink is None:
            return None, None, DRAW_PROMPT, gr.skip()
        try:
            images = prepare_both(ink)
        except preprocess.InputError as err:
            return None, None, f"⚠️ {err}", gr.skip()
        current = {"images": images, "style": "mnist", "source": "drawing"}
        names = self.store.names("digit")
        if not names:
            return None, picture(images["mnist"]), self.no_model_text(), current
        entry = self.entry(model_name, "digit")
        label = predict_image(entry, images["mnist"])
        best, probability = next(iter(label.items()))
        status = f"**{best}** ({probability:.0%}) with `{entry.name}`."
        return label, picture(images["mnist"]), status, current

    @staticmethod
    def reset_drawing():
        return None, None, DRAW_PROMPT

    def no_model_text(self):
        return (
            f"No trained digit model in `{self.store.models_dir}`: train one "
            "with `zoo-train --model mnist_seed_cnn --data mnist`."
        )

    # -- tab 2: upload --------------------------------------------------------

    @guarded
    def predict(self, file, model_name):
        """Image file + model name -> top-5 `{class: probability}`."""
        if file is None:
            return None
        return predict_file(self.entry(model_name, "image"), file)

    def show_upload(self, file, model_name):
        """Image file -> (upload preview, model view, status, current)."""
        if file is None:
            return None, None, UPLOAD_PROMPT, gr.skip()
        try:
            gray = preprocess.load_image(file)
            images = prepare_both(preprocess.ink_from_gray(gray))
        except preprocess.InputError as err:
            return None, None, f"⚠️ {err}", gr.skip()
        except Exception:
            LOG.exception("Could not show the upload")
            return None, None, "⚠️ This file could not be read.", gr.skip()
        names = self.store.names("image")
        style = (
            self.store.get(model_name).style if model_name in names else "mnist"
        )
        current = {"images": images, "style": style, "source": "upload"}
        height, width = gray.shape
        preview = gray
        if max(height, width) > 512:  # keep the page light
            scale = 512 / max(height, width)
            preview = np.asarray(
                Image.fromarray(gray, mode="F").resize(
                    (
                        max(1, round(width * scale)),
                        max(1, round(height * scale)),
                    )
                )
            )
        status = (
            f"Read a {width}×{height} image; the model sees the "
            f"{'clothing' if style == 'fashion' else 'digit'}-style 28×28 "
            "version on the right."
        )
        if not names:
            status = "No trained image model is loaded. " + status
        return picture(preview), picture(images[style]), status, current

    # -- tab 3: what the network sees ----------------------------------------

    def layer_choices(self, model_name):
        """Dropdown update with the image-shaped layers of a model."""
        if model_name not in self.store.names("image"):
            return gr.update(choices=[], value=None)
        entry = self.store.get(model_name)
        layers = entry.spatial_layers()
        first_conv = visualize.first_conv_layer(entry.model)
        value = choose(layers, [first_conv.name] if first_conv else [])
        return gr.update(choices=layers, value=value)

    @guarded
    def feature_maps(self, file, model_name, layer_name, current=None):
        """Image file (or the current input) + model + layer -> grid."""
        entry = self.entry(model_name, "image")
        if layer_name not in entry.spatial_layers():
            raise gr.Error(
                f"Model {model_name!r} has no image-shaped layer "
                f"{layer_name!r}; choose one of {entry.spatial_layers()}.",
                title="No such layer",
            )
        image = self.input_image(file, entry, current)
        if image is None:
            return None
        maps = entry.feature_maps(model_batch(entry, image), layer_name)
        return visualize.feature_map_grid(maps[0])

    @guarded
    def explain(self, file, model_name, layer_name, current=None):
        """-> (kernels, Grad-CAM overlay, saliency overlay, notes)."""
        entry = self.entry(model_name, "image")
        image = self.input_image(file, entry, current)
        notes = []
        if layer_name in entry.spatial_layers():
            shape = entry.model.get_layer(layer_name).output.shape
            shown = min(shape[-1], visualize.MAX_MAPS)
            notes.append(
                f"Layer `{layer_name}`: output {shape[1]}×{shape[2]}×"
                f"{shape[-1]} ({shown} maps shown, each on its own scale)."
            )
        first_conv = visualize.first_conv_layer(entry.model)
        kernels = None
        if first_conv is not None:
            kernels = visualize.kernel_grid(visualize.conv_kernel(first_conv))
            notes.append(
                f"Kernels of `{first_conv.name}` (blue < 0 < red, one "
                "colour scale)."
            )
        if image is None:
            return kernels, None, None, " ".join([NO_INPUT, *notes])
        batch = model_batch(entry, image)
        probabilities = entry.probabilities(batch)[0]
        target = int(np.argmax(probabilities))
        try:
            explainer = self.cached(
                self._explainers,
                entry.name,
                lambda: visualize.Explainer(entry.model),
            )
            cam = visualize.overlay(image, explainer.grad_cam(batch, target))
            saliency = visualize.overlay(
                image, explainer.saliency(batch, target), cmap="hot"
            )
            notes.append(
                f"Grad-CAM (layer `{explainer.layer.name}`) and saliency "
                f"explain the top class **{entry.class_names[target]}** "
                f"({probabilities[target]:.0%})."
            )
        except visualize.GradientsUnavailable as err:
            cam = saliency = None
            notes.append(str(err))
        return kernels, cam, saliency, " ".join(notes)

    # -- tab 4: kernel playground --------------------------------------------

    @staticmethod
    def kernel_preset(name):
        return playground.KERNELS.get(name, playground.KERNELS["identity"])

    @guarded
    def convolve(self, current, kernel, padding, stride, dilation):
        """-> (input picture, output picture, explanation)."""
        stride, dilation = int(stride), int(dilation)
        image = (
            current["images"][current["style"]] if current else sample_image()
        )
        source = f"your {current['source']}" if current else "a sample digit"
        try:
            kernel = playground.parse_kernel(kernel)
            output = playground.apply_kernel(
                image, kernel, padding, stride, dilation
            )
            size, formula = playground.output_size_formula(
                image.shape[0], kernel.shape[0], padding, stride, dilation
            )
        except ValueError as err:
            return playground_picture(picture(image)), None, f"⚠️ {err}"
        if output.min() < 0:
            limit = float(np.abs(output).max()) or 1.0
            shown = visualize.colorize(output, "RdBu_r", -limit, limit)
            scale = "blue < 0 < red"
        else:
            shown = visualize.colorize(output, "gray", 0.0, None)
            scale = "black = 0"
        k_eff = arithmetic.effective_kernel_size(kernel.shape[0], dilation)
        before, after = playground.padding_amounts(
            image.shape[0], kernel.shape[0], padding, stride, dilation
        )
        text = (
            f"Input ({source}): **{image.shape[0]}×{image.shape[1]}** → "
            f"output **{output.shape[0]}×{output.shape[1]}** "
            f"(values {output.min():.0f} … {output.max():.0f}, {scale}).\n\n"
            f"Per axis, ⌊(W − K + 2P) / S⌋ + 1 with the dilated kernel "
            f"K = k + (k − 1)(d − 1) = {k_eff} and {padding} padding "
            f"2P = {before} + {after}: **{formula}**."
        )
        if size != output.shape[0]:  # would mean the formula is wrong
            LOG.error("Formula gives %s, layer gave %s", size, output.shape)
        return (
            playground_picture(picture(image)),
            playground_picture(shown),
            text,
        )

    # -- tab 5: architecture --------------------------------------------------

    @guarded
    def architecture(self, model_name):
        """-> (per-layer table rows, summary and model card Markdown)."""
        if model_name not in self.store.names("all"):
            return [], "No model selected."
        entry = self.store.get(model_name)
        rows = architecture_rows(entry.model)
        flops = sum(int(r[4].replace(",", "")) for r in rows if r[4] != "—")
        summary = (
            f"**{entry.name}**: {entry.model.count_params():,} parameters, "
            f"{flops:,} FLOPs per example (multiply-adds count 2). "
            f"{entry.description}"
        )
        card = strip_images(entry.card_markdown) or "_No model card found._"
        return rows, summary + "\n\n---\n\n" + card

    # -- tab 6: sequence ------------------------------------------------------

    def streamer(self, entry):
        return self.cached(
            self._streamers, entry.name, lambda: sequence.Streamer(entry.model)
        )

    @guarded
    def receptive_field(self, model_name):
        """-> picture of the TCN's dilation tree."""
        if model_name not in self.store.names("sequence"):
            return None
        entry = self.store.get(model_name)
        tcn = self.streamer(entry).tcn
        return self.cached(
            self._trees,
            entry.name,
            lambda: sequence.dilation_tree(tcn, entry.input_shape[0]),
        )

    @guarded
    def stream(self, current, model_name):
        """-> (probability plot, digit read, status)."""
        entry = self.entry(model_name, "sequence")
        image = current["images"]["mnist"] if current else sample_image()
        pixels = np.round(image).reshape(-1, 1)
        probabilities = self.streamer(entry).run(pixels)
        plot = sequence.probability_plot(probabilities, entry.class_names)
        final = probabilities[-1]
        best = int(np.argmax(final))
        settled = settle_step(probabilities)
        status = (
            f"After all {len(pixels)} pixels: **{entry.class_names[best]}** "
            f"({final[best]:.0%}). The top class stopped changing after pixel "
            f"{settled} (row {settled // image.shape[1]})."
        )
        if not current:
            status = "Using a sample digit (nothing drawn yet). " + status
        return plot, picture(image), status

    # -- layout ---------------------------------------------------------------

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
        """Compiles the slow paths (TCN streaming, gradients) once."""
        try:
            for name in self.store.names("sequence"):
                entry = self.store.get(name)
                self.streamer(entry).run(np.zeros(entry.input_shape))
            for name in self.store.names("image"):
                entry = self.store.get(name)
                image = np.zeros(entry.input_shape[:2], "float32")
                image[8:20, 12:16] = 255.0
                self.explain(None, name, None, {"images": {entry.style: image}})
        except Exception:  # only a missed optimisation: log and go on
            LOG.exception("Warm-up failed")
        LOG.info("Warm-up done")

    def build_queued(self):
        """`build()` with the queue limits set."""
        demo = self.build()
        demo.queue(
            default_concurrency_limit=CONCURRENCY_LIMIT, max_size=QUEUE_SIZE
        )
        return demo

    def build(self):
        """The `gr.Blocks` app."""
        digit_models = self.store.names("digit")
        image_models = self.store.names("image")
        all_models = self.store.names("all")
        sequence_models = self.store.names("sequence")
        default_image = choose(image_models, digit_models)

        with gr.Blocks(title="Keras conv zoo") as demo:
            current = gr.State(None)
            gr.Markdown(self.header())
            with gr.Tab("Draw a digit", id="draw"):
                with gr.Row():
                    with gr.Column(scale=2):
                        sketch = gr.Sketchpad(
                            label="Draw a digit",
                            type="numpy",
                            image_mode="RGBA",
                            canvas_size=(280, 280),
                            fixed_canvas=True,
                            brush=gr.Brush(
                                default_size=12,
                                colors=["#000000"],
                                color_mode="fixed",
                            ),
                            layers=False,
                            transforms=(),
                            elem_id="sketch",
                        )
                    with gr.Column(scale=1):
                        draw_model = gr.Dropdown(
                            digit_models,
                            value=choose(digit_models, ["mnist_seed_cnn"]),
                            label="Model",
                            elem_id="draw_model",
                        )
                        draw_label = gr.Label(
                            num_top_classes=5,
                            label="Top 5",
                            elem_id="draw_label",
                        )
                        draw_status = gr.Markdown(
                            DRAW_PROMPT, elem_id="draw_status"
                        )
                        draw_view = pixel_image(
                            "What the model sees (28×28)", 224
                        )
                        clear = gr.Button("Clear")
            with gr.Tab("Upload an image", id="upload"):
                with gr.Row():
                    with gr.Column():
                        upload = gr.File(
                            label="Image file (PNG, JPEG, GIF, TIFF, ...)",
                            file_count="single",
                            type="filepath",
                            elem_id="upload",
                        )
                        upload_model = gr.Dropdown(
                            image_models,
                            value=default_image,
                            label="Model",
                        )
                        upload_preview = gr.Image(
                            label="Your image (grayscale)",
                            format="png",
                            interactive=False,
                            height=240,
                        )
                    with gr.Column():
                        upload_label = gr.Label(
                            num_top_classes=5,
                            label="Top 5",
                            elem_id="upload_label",
                        )
                        upload_status = gr.Markdown(UPLOAD_PROMPT)
                        upload_view = pixel_image(
                            "What the model sees (28×28)", 224
                        )
                examples = sorted(str(p) for p in EXAMPLES_DIR.glob("*.png"))
                if examples:
                    gr.Examples(examples, inputs=[upload], label="Examples")
            with gr.Tab("What the network sees", id="inside") as inside_tab:
                gr.Markdown(
                    "The current drawing or upload (or the optional file "
                    "below) through the chosen model: the activations of "
                    "one layer, the first layer's kernels, and where the "
                    "evidence for the top class lies (Grad-CAM, saliency)."
                )
                with gr.Row():
                    inside_model = gr.Dropdown(
                        image_models, value=default_image, label="Model"
                    )
                    first_layers = self.layer_choices(default_image)
                    inside_layer = gr.Dropdown(
                        first_layers["choices"],
                        value=first_layers["value"],
                        label="Layer",
                        allow_custom_value=True,
                    )
                    inside_file = gr.File(
                        label="Image (optional)",
                        file_count="single",
                        type="filepath",
                    )
                inside_notes = gr.Markdown()
                with gr.Row():
                    maps = pixel_image("Feature maps", 480)
                    kernels = pixel_image("First-layer kernels", 240)
                with gr.Row():
                    cam = pixel_image("Grad-CAM", 280)
                    saliency = pixel_image("Saliency |∂ logit / ∂ pixel|", 280)
            with gr.Tab("Kernel playground", id="playground") as play_tab:
                gr.Markdown(
                    "A 3×3 kernel slid over the current image by a "
                    "`zoo.layers.DilatedConv2D`. Pick a classic kernel or "
                    "edit the numbers."
                )
                with gr.Row():
                    with gr.Column():
                        preset = gr.Dropdown(
                            list(playground.KERNELS),
                            value="Sobel x",
                            label="Kernel",
                        )
                        kernel = gr.Dataframe(
                            value=playground.KERNELS["Sobel x"],
                            headers=["1", "2", "3"],
                            datatype="number",
                            row_count=3,
                            column_count=3,
                            type="array",
                            interactive=True,
                            label="Weights (editable)",
                        )
                        padding = gr.Radio(
                            list(playground.PADDINGS),
                            value="valid",
                            label="Padding",
                        )
                        stride = gr.Slider(
                            1, 3, value=1, step=1, label="Stride"
                        )
                        dilation = gr.Slider(
                            1, 4, value=1, step=1, label="Dilation"
                        )
                    with gr.Column():
                        play_text = gr.Markdown()
                        with gr.Row():
                            # Shown at true scale (not filled) so that
                            # their sizes can be compared.
                            play_in = gr.Image(
                                label="Input",
                                format="png",
                                interactive=False,
                            )
                            play_out = gr.Image(
                                label="Output",
                                format="png",
                                interactive=False,
                            )
            with gr.Tab("Architecture", id="architecture"):
                arch_model = gr.Dropdown(
                    all_models, value=choose(all_models), label="Model"
                )
                arch_table = gr.Dataframe(
                    headers=[
                        "Layer",
                        "Type",
                        "Output shape",
                        "Params",
                        "FLOPs",
                        "Receptive field",
                    ],
                    datatype="str",
                    type="array",
                    interactive=False,
                    max_height=420,
                )
                arch_card = gr.Markdown()
            with gr.Tab("Sequence (TCN)", id="sequence") as seq_tab:
                if sequence_models:
                    gr.Markdown(
                        "The current digit read **one pixel at a time**, row "
                        "by row (784 steps), by a temporal convolutional "
                        "network running in streaming mode (`TCN.step`): "
                        "after each pixel it outputs what it would answer if "
                        "the image ended there."
                    )
                else:
                    gr.Markdown(
                        "No sequential-MNIST TCN (`seqmnist_tcn`) was found "
                        f"in `{self.store.models_dir}`, so this tab is not "
                        "available. Train one with `zoo-train --model "
                        "seqmnist_tcn --data seqmnist` and restart the app."
                    )
                with gr.Row(visible=bool(sequence_models)):
                    seq_model = gr.Dropdown(
                        sequence_models,
                        value=choose(sequence_models, ["seqmnist_tcn"]),
                        label="Model",
                    )
                    seq_run = gr.Button("Stream the current digit")
                with gr.Row(visible=bool(sequence_models)):
                    seq_digit = pixel_image("Digit read", 340, scale=1)
                    seq_plot = gr.Image(
                        label="Class probabilities while reading",
                        format="png",
                        interactive=False,
                        height=340,
                        scale=3,
                    )
                seq_status = gr.Markdown()
                seq_tree = gr.Image(
                    label="Dilation tree / receptive field",
                    format="png",
                    interactive=False,
                    visible=bool(sequence_models),
                )

            # Events. Drawing: `.change` fires once per finished stroke and
            # on clear; always_last drops stale strokes under load.
            gr.on(
                [sketch.change, draw_model.change],
                self.draw,
                inputs=[sketch, draw_model],
                outputs=[draw_label, draw_view, draw_status, current],
                api_name="predict_sketch",
                trigger_mode="always_last",
                show_progress="hidden",
            )
            # Setting the editor's value from Python leaves its canvas
            # stale (None) or stuck (an empty dict), so the button presses
            # the canvas' own trash button, then re-selects the brush.
            clear.click(None, js=CLEAR_CANVAS_JS)
            # The trash button fires `clear`, not `change`.
            sketch.clear(
                self.reset_drawing,
                outputs=[draw_label, draw_view, draw_status],
                api_visibility="private",
            )
            upload_triggers = [upload.change, upload_model.change]
            gr.on(
                upload_triggers,
                self.show_upload,
                inputs=[upload, upload_model],
                outputs=[upload_preview, upload_view, upload_status, current],
                api_visibility="private",
                show_progress="hidden",
            )
            gr.on(
                upload_triggers,
                self.predict,
                inputs=[upload, upload_model],
                outputs=[upload_label],
                api_name="predict",
                show_progress="hidden",
            )

            inside_inputs = [inside_file, inside_model, inside_layer, current]
            explain_outputs = [kernels, cam, saliency, inside_notes]
            # `input`, not `change`, for the layer: a new model's layer list
            # changes it too, and that path refreshes the pictures itself.
            gr.on(
                [inside_tab.select, inside_file.change, inside_layer.input],
                self.feature_maps,
                inputs=inside_inputs,
                outputs=[maps],
                api_name="feature_maps",
                show_progress="minimal",
            ).then(
                self.explain,
                inputs=inside_inputs,
                outputs=explain_outputs,
                api_name="explain",
                show_progress="minimal",
            )
            inside_model.change(
                self.layer_choices,
                inputs=[inside_model],
                outputs=[inside_layer],
                api_visibility="private",
            ).then(
                self.feature_maps,
                inputs=inside_inputs,
                outputs=[maps],
                api_visibility="private",
            ).then(
                self.explain,
                inputs=inside_inputs,
                outputs=explain_outputs,
                api_visibility="private",
            )

            preset.change(
                self.kernel_preset,
                inputs=[preset],
                outputs=[kernel],
                api_visibility="private",
            )
            gr.on(
                [
                    play_tab.select,
                    kernel.change,
                    padding.change,
                    stride.release,
                    dilation.release,
                ],
                self.convolve,
                inputs=[current, kernel, padding, stride, dilation],
                outputs=[play_in, play_out, play_text],
                api_visibility="private",
                show_progress="hidden",
            )

            gr.on(
                [demo.load, arch_model.change],
                self.architecture,
                inputs=[arch_model],
                outputs=[arch_table, arch_card],
                api_visibility="private",
            )

            gr.on(
                [seq_tab.select, seq_model.change],
                self.receptive_field,
                inputs=[seq_model],
                outputs=[seq_tree],
                api_visibility="private",
            )
            seq_run.click(
                self.stream,
                inputs=[current, seq_model],
                outputs=[seq_plot, seq_digit, seq_status],
                api_visibility="private",
            )
        return demo


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
    store = ModelStore(args.models)
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
