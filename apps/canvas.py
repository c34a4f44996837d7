"""A plain <canvas> to draw digits on, as a `gr.HTML` component.

Gradio's Sketchpad renders its layers with WebGL, composites them, and
uploads background, layer and composite PNGs before every event: about
1.2 s per stroke in headless Chromium on a loaded 2-core machine
(bench/results/browser_latency.md). This canvas draws with the 2-D API and
sends its 280x280 ink as one PNG data URL of a few KB in the event itself:
no upload, no WebGL. Pointer events cover the mouse, pens and touch; the
brush is on from the first stroke and stays on after clearing, because
there is no tool to select.

The value is `""` for an empty canvas, else a `data:image/png;base64,...`
URL whose alpha channel holds the ink (`apps.preprocess.sketch_to_ink`
reads it as a Sketchpad layer). Setting it from JS fires `change`.
"""

from apps.ui import gr

# Pixels of the 280x280 canvas; the Sketchpad's brush size 12 drew strokes
# about this wide, which the stroke-width normalisation then evens out.
BRUSH_WIDTH = 20
TRASH_ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" '
    'viewBox="0 0 24 24" fill="none" stroke="currentColor" '
    'stroke-width="2" stroke-linecap="round" stroke-linejoin="round" '
    'aria-hidden="true"><path d="M3 6h18M8 6V4h8v2M19 6l-1 14H6L5 6"/>'
    '<path d="M10 11v6M14 11v6"/></svg>'
)
TEMPLATE = """
<div class="drawing">
  <div class="bar">
    <span class="title">{label}</span>
    <button type="button" class="clear" aria-label="Clear canvas"
            title="Clear canvas">{icon}</button>
  </div>
  <canvas width="{size}" height="{size}" role="img"
          aria-label="Drawing area: draw with the mouse, a pen or a finger">
  </canvas>
</div>
"""
# Scoped to the component by Gradio (nested under its root element).
CSS = """
.drawing {
    border: 1px solid var(--border-color-primary);
    border-radius: var(--block-radius);
    background: var(--block-background-fill);
    padding: 8px;
}
.bar {
    display: flex;
    justify-content: space-between;
    align-items: center;
    margin-bottom: 6px;
    color: var(--block-label-text-color);
    font-size: var(--block-label-text-size);
}
.clear {
    display: flex;
    padding: 4px;
    border: 1px solid var(--border-color-primary);
    border-radius: 4px;
    background: transparent;
    color: inherit;
    cursor: pointer;
}
.clear:hover { color: var(--body-text-color); }
canvas {
    display: block;
    margin: 0 auto;
    width: SIZEpx;
    max-width: 100%;
    aspect-ratio: 1;
    background: white;
    border: 1px solid var(--border-color-primary);
    box-shadow: var(--shadow-drop);
    cursor: crosshair;
    touch-action: none;  /* a finger draws instead of scrolling the page */
}
"""
# `element`, `props` come from gr.HTML. Each finished stroke sends the
# whole canvas (a digit is often two strokes); the clear control empties
# it and sends "".
JS = """
const canvas = element.querySelector("canvas");
const ctx = canvas.getContext("2d");
ctx.lineWidth = BRUSH;
ctx.lineCap = "round";
ctx.lineJoin = "round";
ctx.strokeStyle = ctx.fillStyle = "#000";
let last = null;
const at = (event) => {
    const box = canvas.getBoundingClientRect();
    return [
        (event.clientX - box.left) * canvas.width / box.width,
        (event.clientY - box.top) * canvas.height / box.height,
    ];
};
canvas.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    last = at(event);
    ctx.beginPath();
    ctx.arc(last[0], last[1], BRUSH / 2, 0, 2 * Math.PI);
    ctx.fill();
});
canvas.addEventListener("pointermove", (event) => {
    if (!last) return;
    // Fast strokes deliver several points per frame; draw them all.
    const points = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    ctx.beginPath();
    ctx.moveTo(last[0], last[1]);
    for (const point of points.length ? points : [event]) {
        last = at(point);
        ctx.lineTo(last[0], last[1]);
    }
    ctx.stroke();
});
const finish = () => {
    if (!last) return;
    last = null;
    props.value = canvas.toDataURL("image/png");
};
canvas.addEventListener("pointerup", finish);
canvas.addEventListener("pointercancel", finish);
element.querySelector("button.clear").addEventListener("click", () => {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    last = null;
    props.value = "";
});
"""


def drawing_canvas(label, elem_id, size=280, brush=BRUSH_WIDTH):
    """A square drawing canvas whose value is a PNG data URL.

    Args:
        label: str, the title shown above the canvas.
        elem_id: str, the component's DOM id.
        size: int, the canvas' side in pixels (drawn and shown).
        brush: int, the stroke width in canvas pixels.

    Returns:
        A `gr.HTML` whose `change` fires after each stroke and on clear.
    """
    return gr.HTML(
        "",
        html_template=TEMPLATE.format(label=label, icon=TRASH_ICON, size=size),
        css_template=CSS.replace("SIZE", str(size)),
        js_on_load=JS.replace("BRUSH", str(brush)),
        apply_default_css=False,
        elem_id=elem_id,
    )
