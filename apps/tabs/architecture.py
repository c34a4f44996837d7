"""Tab 5: the per-layer table of a model and its model card."""

from apps import core
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


class ArchitectureTab:
    @guarded
    def architecture(self, model_name):
        """-> (per-layer table rows, summary and model card Markdown)."""
        if model_name not in self.store.names("all"):
            return [], "No model selected."
        entry = self.store.get(model_name)
        rows, flops = core.architecture_rows(entry.model)
        summary = (
            f"**{entry.name}**: {entry.model.count_params():,} parameters, "
            f"{flops:,} FLOPs per example (multiply-adds count 2). "
            f"{entry.description}"
        )
        card = (
            core.strip_images(entry.card_markdown) or "_No model card found._"
        )
        return rows, summary + "\n\n---\n\n" + card

    def layout_architecture(self, demo):
        all_models = self.store.names("all")
        with gr.Tab("Architecture", id="architecture"):
            arch_model = gr.Dropdown(
                all_models, value=core.choose(all_models), label="Model"
            )
            arch_table = gr.Dataframe(
                headers=HEADERS,
                datatype="str",
                type="array",
                interactive=False,
                max_height=420,
            )
            arch_card = gr.Markdown()

        gr.on(
            [demo.load, arch_model.change],
            self.architecture,
            inputs=[arch_model],
            outputs=[arch_table, arch_card],
            api_visibility="private",
        )
