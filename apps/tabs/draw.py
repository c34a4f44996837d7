"""Tab 1: draw a digit on a canvas and read it as it is drawn."""

from apps import core
from apps import preprocess
from apps.canvas import drawing_canvas
from apps.ui import gr
from apps.ui import guarded
from apps.ui import model_view
from apps.ui import picture
from apps.ui import top5

DRAW_PROMPT = "✏️ **Draw a digit** in the box: the prediction updates as you go."
# The canvas' own trash icon clears it and sends the empty value, so the
# Clear button presses it: one way of clearing, whichever is used.
CLEAR_CANVAS_JS = """() => {
    document.querySelector("#sketch button[aria-label='Clear canvas']")
        ?.click();
}"""


class DrawTab:
    @guarded
    def draw(self, sketch, model_name):
        """Drawing -> (top-5, what the model sees, status, current).

        `sketch` is the canvas' PNG data URL or, from `/predict_sketch`,
        a Sketchpad value (see `preprocess.sketch_to_ink`).
        """
        ink = preprocess.sketch_to_ink(sketch)
        if ink is None:
            return None, None, DRAW_PROMPT, gr.skip()
        try:
            images = core.prepare_both(ink)
        except preprocess.InputError as err:
            return None, None, f"⚠️ {err}", gr.skip()
        current = {"images": images, "style": "mnist", "source": "drawing"}
        names = self.store.names("digit")
        if not names:
            return None, picture(images["mnist"]), self.no_model_text(), current
        entry = self.entry(model_name, "digit")
        label = core.predict_image(entry, images["mnist"])
        best, probability = next(iter(label.items()))
        status = f"**{best}** ({probability:.0%}) with `{entry.name}`."
        return label, picture(images["mnist"]), status, current

    def no_model_text(self):
        return (
            f"No trained digit model in `{self.store.models_dir}`: train one "
            "with `zoo-train --model mnist_seed_cnn --data mnist`."
        )

    def layout_draw(self, demo, current):
        digit_models = self.store.names("digit")
        with gr.Tab("Draw a digit", id="draw"):
            with gr.Row():
                with gr.Column(scale=2):
                    sketch = drawing_canvas("Draw a digit", "sketch")
                with gr.Column(scale=1):
                    draw_model = gr.Dropdown(
                        digit_models,
                        value=self.store.best("digit"),
                        label="Model",
                        elem_id="draw_model",
                    )
                    draw_label = top5("draw_label")
                    draw_status = gr.Markdown(
                        DRAW_PROMPT, elem_id="draw_status"
                    )
                    draw_view = model_view()
                    clear = gr.Button("Clear")

            # `/predict_sketch` keeps the Sketchpad's value (a dict of
            # background, layers and composite images) for API callers; the
            # page never shows this editor.
            api_sketch = gr.Sketchpad(
                type="numpy", image_mode="RGBA", visible=False
            )

        outputs = [draw_label, draw_view, draw_status, current]
        # The canvas fires `change` once per finished stroke and on clear;
        # always_last drops stale strokes under load.
        gr.on(
            [sketch.change, draw_model.change],
            self.draw,
            inputs=[sketch, draw_model],
            outputs=outputs,
            api_visibility="private",
            trigger_mode="always_last",
            show_progress="hidden",
        )
        api_sketch.change(
            self.draw,
            inputs=[api_sketch, draw_model],
            outputs=outputs,
            api_name="predict_sketch",
            show_progress="hidden",
        )
        clear.click(None, js=CLEAR_CANVAS_JS)
