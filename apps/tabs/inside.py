"""Tab 3: what the network sees (feature maps, kernels, Grad-CAM, saliency)."""

import functools

import numpy as np

from apps import core
from apps import visualize
from apps.ui import gr
from apps.ui import guarded
from apps.ui import pixel_image

NO_INPUT = "Draw a digit or upload an image first (tabs 1 and 2)."


class InsideTab:
    def input_image(self, file, entry, current):
        """The prepared image of `file`, else of the last drawing/upload."""
        if file is not None:
            return core.prepare(core.read_ink(file), entry.style)
        if current:
            return current["images"][entry.style]
        return None

    def layer_choices(self, model_name):
        """Dropdown update with the image-shaped layers of a model."""
        if model_name not in self.store.names("inspectable"):
            return gr.update(choices=[], value=None)
        entry = self.store.get(model_name)
        layers = visualize.layers_worth_seeing(entry.model)
        first_conv = visualize.first_conv_layer(entry.model)
        value = core.choose(layers, [first_conv.name] if first_conv else [])
        return gr.update(choices=layers, value=value)

    @guarded
    def feature_maps(
        self, file, model_name, layer_name, current=None, shared_scale=False
    ):
        """Image file (or the current input) + model + layer -> picture.

        The picture numbers the maps and has a colour bar: each map on its
        own scale, or one scale for all with `shared_scale`.
        """
        entry = self.entry(model_name, "inspectable")
        if layer_name not in entry.spatial_layers():
            raise gr.Error(
                f"Model {model_name!r} has no image-shaped layer "
                f"{layer_name!r}; choose one of {entry.spatial_layers()}.",
                title="No such layer",
            )
        image = self.input_image(file, entry, current)
        if image is None:
            return None
        maps = entry.feature_maps(core.model_batch(entry, image), layer_name)
        return visualize.feature_map_figure(maps[0], bool(shared_scale))

    @guarded
    def explain(
        self, file, model_name, layer_name, current=None, shared_scale=False
    ):
        """-> (kernels, Grad-CAM overlay, saliency overlay, notes)."""
        entry = self.entry(model_name, "inspectable")
        image = self.input_image(file, entry, current)
        notes = []
        if layer_name in entry.spatial_layers():
            shape = entry.model.get_layer(layer_name).output.shape
            shown = min(shape[-1], visualize.MAX_MAPS)
            scale = "one shared scale" if shared_scale else "each own scale"
            notes.append(
                f"Layer `{layer_name}`: output {shape[1]}×{shape[2]}×"
                f"{shape[-1]} ({shown} maps shown, numbered, {scale})."
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
        batch = core.model_batch(entry, image)
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

    def layout_inside(self, current):
        # Ensembles nest whole models: this tab lists the models whose own
        # layers it can show.
        image_models = self.store.names("inspectable")
        default = self.store.best("digit") or self.store.best("inspectable")
        with gr.Tab("What the network sees", id="inside") as inside_tab:
            gr.Markdown(
                "The current drawing or upload (or the optional file below) "
                "through the chosen model: the activations of one layer, "
                "the first layer's kernels, and where the evidence for the "
                "top class lies (Grad-CAM, saliency)."
            )
            with gr.Row():
                inside_model = gr.Dropdown(
                    image_models, value=default, label="Model"
                )
                first_layers = self.layer_choices(default)
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
                shared_scale = gr.Checkbox(
                    False, label="One colour scale for all maps"
                )
            inside_notes = gr.Markdown()
            with gr.Row():
                maps = pixel_image("Feature maps", 480, elem_id="inside_maps")
                kernels = pixel_image("First-layer kernels", 240)
            with gr.Row():
                cam = pixel_image("Grad-CAM", 280)
                saliency = pixel_image("Saliency |∂ logit / ∂ pixel|", 280)

        inputs = [
            inside_file,
            inside_model,
            inside_layer,
            current,
            shared_scale,
        ]
        # The pictures, maps first (quick), then the explanations, each
        # with its API name.
        steps = [
            (self.feature_maps, [maps], "feature_maps"),
            (self.explain, [kernels, cam, saliency, inside_notes], "explain"),
        ]

        def refresh(listen, public):
            """Chains the steps on `listen` (an event or a `.then`): named
            API endpoints for the public triggers, private ones after a
            model change."""
            for handler, outputs, api_name in steps:
                if public:
                    api = {"api_name": api_name, "show_progress": "minimal"}
                else:
                    api = {"api_visibility": "private"}
                listen = listen(
                    handler, inputs=inputs, outputs=outputs, **api
                ).then

        # `input`, not `change`, for the layer: a new model's layer list
        # changes it too, and that path refreshes the pictures itself.
        triggers = [
            inside_tab.select,
            inside_file.change,
            inside_layer.input,
            shared_scale.input,
        ]
        refresh(functools.partial(gr.on, triggers), public=True)
        new_layers = inside_model.change(
            self.layer_choices,
            inputs=[inside_model],
            outputs=[inside_layer],
            api_visibility="private",
        )
        refresh(new_layers.then, public=False)
