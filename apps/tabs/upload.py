"""Tab 2: upload a picture of a digit or a piece of clothing.

A picture alone does not say whether it is a digit or clothing (an ink
coverage or solidity test sorts only ~80 % of the test images, and each
family's model is confidently wrong on the other family), so the app never
guesses silently: the person picks the family ("Read as"; an example
picks it for them), the chosen family's best model answers, and the status
line always gives the other family's top answer too, one click away.
"""

import numpy as np

from apps import core
from apps import preprocess
from apps.ui import LOG
from apps.ui import gr
from apps.ui import guarded
from apps.ui import model_view
from apps.ui import path_free
from apps.ui import picture
from apps.ui import pixel_image
from apps.ui import top5

UPLOAD_PROMPT = "📷 **Upload a picture** of a digit or a piece of clothing."
PREVIEW_SIDE = 512  # largest preview sent to the page, in pixels
PREVIEW_MIN = 224  # tiny uploads are enlarged to at least this


def preview_image(gray, side=PREVIEW_SIDE, least=PREVIEW_MIN):
    """A grayscale picture brought to a viewable size by whole steps.

    Large pictures keep every `step`-th pixel (a preview needs no
    anti-aliasing); tiny ones such as 28x28 digits are enlarged with
    nearest neighbours so their pixels stay crisp.
    """
    gray = np.asarray(gray)
    step = -(-max(gray.shape) // side)
    if step > 1:
        return gray[::step, ::step]
    factor = -(-least // max(gray.shape))
    return gray.repeat(factor, axis=0).repeat(factor, axis=1)


def example_family(path):
    """The family an example's file name announces (`fashion_*`)."""
    name = str(path).rsplit("/", 1)[-1]
    return "clothing" if name.startswith("fashion") else "digits"


class UploadTab:
    @guarded
    def predict(self, file, model_name):
        """Image file + model name -> top-5 `{class: probability}`."""
        if file is None:
            return None
        return core.predict_file(self.entry(model_name, "image"), file)

    def other_family_text(self, images, style):
        """What the best model of the other family reads, as a sentence."""
        other = "clothing" if style == "mnist" else "digits"
        name = self.store.best("digit" if other == "digits" else "clothing")
        if name is None:
            return ""
        entry = self.store.get(name)
        best, probability = next(
            iter(core.predict_image(entry, images[entry.style]).items())
        )
        thing = "digit" if style == "mnist" else "piece of clothing"
        return (
            f" Read as {other}, `{name}` says **{best}** "
            f"({probability:.0%}). Not a {thing}? Switch *Read as* above."
        )

    def show_upload(self, file, model_name):
        """Image file -> (upload preview, model view, status, current)."""
        if file is None:
            return None, None, UPLOAD_PROMPT, gr.skip()
        try:
            gray = preprocess.load_image(file)
            images = core.prepare_upload(preprocess.ink_from_gray(gray))
        except preprocess.InputError as err:
            return None, None, f"⚠️ {path_free(err)}", gr.skip()
        except Exception:
            LOG.exception("Could not show the upload")
            return None, None, "⚠️ This file could not be read.", gr.skip()
        names = self.store.names("image")
        style = (
            self.store.get(model_name).style if model_name in names else "mnist"
        )
        current = {"images": images, "style": style, "source": "upload"}
        height, width = gray.shape
        kind = "clothing" if style == "fashion" else "digit"
        status = (
            f"Read a {width}×{height} image as a **{kind}**; the model sees "
            f"the {kind}-style 28×28 version on the right."
        )
        if not names:
            status = "No trained image model is loaded. " + status
        else:
            status += self.other_family_text(images, style)
        preview = picture(preview_image(gray))
        return preview, picture(images[style]), status, current

    def family_models(self, family):
        """Dropdown update: the family's best model selected.

        The choices stay every image model, so that `/predict` accepts any
        of them; the family only picks which one is selected.
        """
        kind = "digit" if family == "digits" else "clothing"
        return gr.update(value=self.store.best(kind))

    def pick_example(self, examples, event: gr.SelectData):
        """A clicked example thumbnail -> (upload value, its family)."""
        path = examples[event.index]
        return path, example_family(path)

    def layout_upload(self, current):
        default = self.store.best("digit") or self.store.best("image")
        examples = sorted(str(p) for p in core.EXAMPLES_DIR.glob("*.png"))
        with gr.Tab("Upload an image", id="upload"):
            with gr.Row():
                with gr.Column():
                    upload = gr.File(
                        label="Image file (PNG, JPEG, GIF, TIFF, ...)",
                        file_count="single",
                        type="filepath",
                        elem_id="upload",
                    )
                    with gr.Row():
                        family = gr.Radio(
                            list(core.FAMILIES),
                            value="digits",
                            label="Read as",
                            elem_id="upload_family",
                        )
                        upload_model = gr.Dropdown(
                            self.store.names("image"),
                            value=default,
                            label="Model",
                        )
                    gallery = gr.Gallery(
                        examples,
                        label="Examples (click one)",
                        columns=8,
                        height=110,
                        allow_preview=False,
                        visible=bool(examples),
                    )
                    upload_preview = pixel_image("Your image (grayscale)", 240)
                with gr.Column():
                    upload_label = top5("upload_label")
                    upload_status = gr.Markdown(
                        UPLOAD_PROMPT, elem_id="upload_status"
                    )
                    upload_view = model_view()

        example_paths = gr.State(examples)
        gallery.select(
            self.pick_example,
            inputs=[example_paths],
            outputs=[upload, family],
            api_visibility="private",
        )
        # A new family selects its best model, whose `change` re-reads.
        family.change(
            self.family_models,
            inputs=[family],
            outputs=[upload_model],
            api_visibility="private",
        )
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
