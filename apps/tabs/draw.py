"""Tab 1: draw a digit on a sketchpad and read it as it is drawn."""

from apps import core
from apps import preprocess
from apps.ui import gr
from apps.ui import guarded
from apps.ui import model_view
from apps.ui import picture
from apps.ui import top5

DRAW_PROMPT = "✏️ **Draw a digit** in the box: the prediction updates as you go."
# The editor starts with no tool selected and its trash icon deselects the
# brush again, so strokes would leave no ink. Whenever neither Brush nor
# Erase is highlighted, this selects the Brush; it watches the editor, so
# it also covers the first load and any future way of clearing.
KEEP_BRUSH_JS = """() => {
    const tools = "button[aria-label='Brush'], button[aria-label='Erase']";
    const keepBrush = (editor) => {
        const buttons = [...editor.querySelectorAll(tools)];
        const brush = buttons.find((b) => b.title === "Brush");
        if (brush && !buttons.some((b) => b.classList.contains("highlight"))) {
            brush.click();
        }
    };
    const start = () => {
        const editor = document.querySelector("#sketch");
        if (!editor) {
            setTimeout(start, 100);
            return;
        }
        new MutationObserver(() => keepBrush(editor)).observe(editor, {
            subtree: true,
            childList: true,
            attributes: true,
            attributeFilter: ["class"],
        });
        keepBrush(editor);
    };
    start();
}"""
# Setting the editor's value from Python leaves its canvas stale (None) or
# stuck (an empty dict), so the Clear button presses the canvas' own trash
# icon; KEEP_BRUSH_JS then re-selects the brush.
CLEAR_CANVAS_JS = """() => {
    document.querySelector("#sketch button[aria-label='Clear canvas']")
        ?.click();
}"""


class DrawTab:
    @guarded
    def draw(self, sketch, model_name):
        """Sketchpad -> (top-5, what the model sees, status, current)."""
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

    @staticmethod
    def reset_drawing():
        return None, None, DRAW_PROMPT

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

        # Drawing: `.change` fires once per finished stroke and on clear;
        # always_last drops stale strokes under load.
        gr.on(
            [sketch.change, draw_model.change],
            self.draw,
            inputs=[sketch, draw_model],
            outputs=[draw_label, draw_view, draw_status, current],
            api_name="predict_sketch",
            trigger_mode="always_last",
            show_progress="hidden",
        )
        clear.click(None, js=CLEAR_CANVAS_JS)
        demo.load(None, js=KEEP_BRUSH_JS)
        # The trash button fires `clear`, not `change`.
        sketch.clear(
            self.reset_drawing,
            outputs=[draw_label, draw_view, draw_status],
            api_visibility="private",
        )
