"""Tab 4: the kernel playground, a 3x3 kernel slid over the current image."""

import numpy as np

from apps import core
from apps import playground
from apps import visualize
from apps.ui import LOG
from apps.ui import gr
from apps.ui import guarded
from apps.ui import picture
from zoo import arithmetic

ZOOM = 8  # enlarged on the server: the playground shows true sizes


def playground_picture(image):
    return visualize.upscale(image, ZOOM)


class PlaygroundTab:
    @staticmethod
    def kernel_preset(name):
        return playground.KERNELS.get(name, playground.KERNELS["identity"])

    @guarded
    def convolve(self, current, kernel, padding, stride, dilation):
        """-> (input picture, output picture, explanation)."""
        stride, dilation = int(stride), int(dilation)
        image = (
            current["images"][current["style"]]
            if current
            else core.sample_image()
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

    def layout_playground(self, current):
        with gr.Tab("Kernel playground", id="playground") as play_tab:
            gr.Markdown(
                "A 3×3 kernel slid over the current image by a "
                "`zoo.layers.DilatedConv2D`. Pick a classic kernel or edit "
                "the numbers."
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
                    stride = gr.Slider(1, 3, value=1, step=1, label="Stride")
                    dilation = gr.Slider(
                        1, 4, value=1, step=1, label="Dilation"
                    )
                with gr.Column():
                    play_text = gr.Markdown()
                    with gr.Row():
                        # Shown at true scale (not filled) so that their
                        # sizes can be compared.
                        play_in = gr.Image(
                            label="Input",
                            format="png",
                            interactive=False,
                            elem_classes=["labelled"],
                        )
                        play_out = gr.Image(
                            label="Output",
                            format="png",
                            interactive=False,
                            elem_classes=["labelled"],
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
                # `change`, not `release`: a number typed into the box
                # and confirmed with Enter applies too.
                stride.change,
                dilation.change,
            ],
            self.convolve,
            inputs=[current, kernel, padding, stride, dilation],
            outputs=[play_in, play_out, play_text],
            api_visibility="private",
            show_progress="hidden",
            trigger_mode="always_last",
        )
