"""Tab 2: upload a picture of a digit or a piece of clothing."""

import numpy as np

from apps import core
from apps import preprocess
from apps.ui import LOG
from apps.ui import gr
from apps.ui import guarded
from apps.ui import picture
from apps.ui import pixel_image

UPLOAD_PROMPT = "📷 **Upload a picture** of a digit or a piece of clothing."
PREVIEW_SIDE = 512  # largest preview sent to the page, in pixels


def preview_image(gray, side=PREVIEW_SIDE):
    """A grayscale picture shrunk by whole steps to at most `side` pixels.

    A preview needs no anti-aliasing: every `step`-th pixel is enough and
    costs nothing.
    """
    step = -(-max(gray.shape) // side)
    return gray[::step, ::step] if step > 1 else gray


class UploadTab:
    @guarded
    def predict(self, file, model_name):
        """Image file + model name -> top-5 `{class: probability}`."""
        if file is None:
            return None
        return core.predict_file(self.entry(model_name, "image"), file)

    def show_upload(self, file, model_name):
        """Image file -> (upload preview, model view, status, current)."""
        if file is None:
            return None, None, UPLOAD_PROMPT, gr.skip()
        try:
            gray = preprocess.load_image(file)
            images = core.prepare_both(preprocess.ink_from_gray(gray))
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
        status = (
            f"Read a {width}×{height} image; the model sees the "
            f"{'clothing' if style == 'fashion' else 'digit'}-style 28×28 "
            "version on the right."
        )
        if not names:
            status = "No trained image model is loaded. " + status
        preview = picture(preview_image(np.asarray(gray)))
        return preview, picture(images[style]), status, current

    def layout_upload(self, current):
        image_models = self.store.names("image")
        default = core.choose(image_models, self.store.names("digit"))
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
                        image_models, value=default, label="Model"
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
            examples = sorted(str(p) for p in core.EXAMPLES_DIR.glob("*.png"))
            if examples:
                gr.Examples(examples, inputs=[upload], label="Examples")

        triggers = [upload.change, upload_model.change]
        gr.on(
            triggers,
            self.show_upload,
            inputs=[upload, upload_model],
            outputs=[upload_preview, upload_view, upload_status, current],
            api_visibility="private",
            show_progress="hidden",
        )
        gr.on(
            triggers,
            self.predict,
            inputs=[upload, upload_model],
            outputs=[upload_label],
            api_name="predict",
            show_progress="hidden",
        )
