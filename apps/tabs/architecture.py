"""Tab 5: the per-layer table of a model and its model card."""

import numpy as np
from PIL import Image

from apps import core
from apps.ui import LOG
from apps.ui import gr
from apps.ui import guarded

HEADERS = [
    "Layer",
    "Type",
    "Output shape",
    "Params",
    "FLOPs",
    "Receptive field",
]
FIELD_NOTE = (
    "*Receptive field*: how many input pixels (per side) one output value "
    "depends on. Global pooling and flattening mix every position, so from "
    "there on each output sees the whole input."
)
# A new table keeps the old one's scroll position: back to the top.
SCROLL_TOP_JS = """() => {
    document.querySelectorAll("#arch_table *").forEach((element) => {
        if (element.scrollTop) element.scrollTop = 0;
    });
}"""


class ArchitectureTab:
    def card_images(self, names):
        """The card's pictures that exist beside the model, with captions."""
        pictures = []
        for caption, name in names:
            path = self.store.models_dir / name
            try:
                with Image.open(path) as image:
                    pictures.append((np.asarray(image.convert("RGB")), caption))
            except OSError as err:  # a missing plot is not worth a refusal
                LOG.info("Model card picture %s not shown: %s", name, err)
        return pictures

    @guarded
    def architecture(self, model_name):
        """-> (per-layer table rows, summary and model card Markdown)."""
        rows, markdown, _ = self.architecture_view(model_name)
        return rows, markdown

    def architecture_view(self, model_name):
        """-> (table rows, summary + card Markdown, card pictures)."""
        if model_name not in self.store.names("all"):
            return [], "No model selected.", []
        entry = self.store.get(model_name)
        rows, flops = core.architecture_rows(entry.model)
        summary = (
            f"**{entry.name}**: {entry.model.count_params():,} parameters, "
            f"{flops:,} FLOPs per example (multiply-adds count 2). "
            f"{entry.description}\n\n{FIELD_NOTE}"
        )
        card, pictures = core.card_parts(entry.card_markdown)
        text = summary + "\n\n---\n\n" + (card or "_No model card found._")
        return rows, text, self.card_images(pictures)

    def layout_architecture(self, demo):
        all_models = self.store.names("all")
        default = self.store.best("digit") or core.choose(all_models)
        with gr.Tab("Architecture", id="architecture"):
            arch_model = gr.Dropdown(all_models, value=default, label="Model")
            arch_table = gr.Dataframe(
                headers=HEADERS,
                datatype="str",
                type="array",
                interactive=False,
                max_height=420,
                elem_id="arch_table",
            )
            arch_card = gr.Markdown()
            arch_pictures = gr.Gallery(
                label="From the model card",
                columns=2,
                height=420,
                object_fit="contain",
            )

        arch_model.change(None, js=SCROLL_TOP_JS)
        gr.on(
            [demo.load, arch_model.change],
            guarded(self.architecture_view),
            inputs=[arch_model],
            outputs=[arch_table, arch_card, arch_pictures],
            api_visibility="private",
        )
