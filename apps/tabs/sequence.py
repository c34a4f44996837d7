"""Tab 6: sequential MNIST, the digit read pixel by pixel by a TCN."""

import numpy as np

from apps import core
from apps import sequence
from apps.ui import gr
from apps.ui import guarded
from apps.ui import picture
from apps.ui import pixel_image

FINAL = "the final answer"


def early_answers_text(entry):
    """What the model's answers before the end are worth, from its card."""
    anytime = entry.card.get("anytime")
    if not anytime:
        return (
            f"`{entry.name}` was trained on its final answer only, so its "
            "answers before the last rows are not meant to be right (a "
            "model trained with `zoo-train --anytime 28` answers as rows "
            "arrive)."
        )
    readings = anytime["accuracy_by_reading"]
    half = len(readings) // 2
    return (
        f"`{entry.name}` was trained to answer after every row: on the "
        f"test digits it was right {readings[half - 1]:.0%} of the time "
        f"after {half * anytime['every']} of "
        f"{len(readings) * anytime['every']} pixels and "
        f"{readings[-1]:.1%} at the end."
    )


class SequenceTab:
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
    def stream(self, current, model_name, target=None):
        """-> (reading plot, digit read, status).

        Args:
            target: the class whose probability the plot follows, such as
                the digit that was drawn; `None` or `FINAL` for the class
                read at the end.
        """
        entry = self.entry(model_name, "sequence")
        image = current["images"]["mnist"] if current else core.sample_image()
        pixels = np.round(image).reshape(-1, 1)
        probabilities = self.streamer(entry).run(pixels)
        final = probabilities[-1]
        best = int(np.argmax(final))
        names = [str(name) for name in entry.class_names]
        index = names.index(target) if target in names else best
        width = image.shape[1]
        plot = sequence.reading_plot(
            probabilities, image, entry.class_names, index, width
        )
        settled = core.settle_step(probabilities)
        status = (
            f"After all {len(pixels)} pixels: **{entry.class_names[best]}** "
            f"({final[best]:.0%}). The top class stopped changing after pixel "
            f"{settled} (row {settled // width}); the plot follows "
            f"**{entry.class_names[index]}** row by row."
        )
        status += " " + early_answers_text(entry)
        if not current:
            status = "Using a sample digit (nothing drawn yet). " + status
        return plot, picture(image), status

    def layout_sequence(self, current):
        sequence_models = self.store.names("sequence")
        shown = bool(sequence_models)
        with gr.Tab("Sequence (TCN)", id="sequence") as seq_tab:
            if shown:
                gr.Markdown(
                    "The current digit read **one pixel at a time**, row by "
                    "row (784 steps), by a temporal convolutional network "
                    "running in streaming mode (`TCN.step`): after each "
                    "pixel it outputs what it would answer if the image "
                    "ended there."
                )
            else:
                gr.Markdown(
                    "No sequential-MNIST TCN (`seqmnist_tcn`) was found in "
                    f"`{self.store.models_dir}`, so this tab is not "
                    "available. Train one with `zoo-train --model "
                    "seqmnist_tcn --data seqmnist` and restart the app."
                )
            with gr.Row(visible=shown):
                seq_model = gr.Dropdown(
                    sequence_models,
                    value=self.store.best("sequence"),
                    label="Model",
                )
                seq_target = gr.Dropdown(
                    [FINAL, *[str(d) for d in range(10)]],
                    value=FINAL,
                    label="Follow the probability of",
                )
                seq_run = gr.Button("Stream the current digit")
            with gr.Row(visible=shown):
                seq_digit = pixel_image("Digit read", 340, scale=1)
                seq_plot = gr.Image(
                    label="What the TCN reads, row by row",
                    elem_classes=["labelled"],
                    format="png",
                    interactive=False,
                    height=340,
                    scale=3,
                    elem_id="seq_plot",
                )
            seq_status = gr.Markdown()
            seq_tree = gr.Image(
                label="Dilation tree / receptive field",
                elem_classes=["labelled"],
                format="png",
                interactive=False,
                visible=shown,
            )

        gr.on(
            [seq_tab.select, seq_model.change],
            self.receptive_field,
            inputs=[seq_model],
            outputs=[seq_tree],
            api_visibility="private",
        )
        gr.on(
            [seq_run.click, seq_target.input],
            self.stream,
            inputs=[current, seq_model, seq_target],
            outputs=[seq_plot, seq_digit, seq_status],
            api_visibility="private",
        )
