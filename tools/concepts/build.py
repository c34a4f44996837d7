"""Assembles the concept guide: every section, then the table of checks."""

import pathlib
import time

import keras

from tools.concepts import convolution
from tools.concepts import dilation
from tools.concepts import evaluation
from tools.concepts import fields
from tools.concepts import guide as guide_lib
from tools.concepts import heads
from tools.concepts import learning
from tools.concepts import padding
from tools.concepts import separable
from tools.concepts import sequences
from tools.concepts import shapes
from tools.concepts import sharing
from training import machine

# Section name -> writer, in the guide's order.
SECTIONS = {
    "convolution": convolution.write,
    "output_size": shapes.write_sizes,
    "channels": shapes.write_channels,
    "sharing": sharing.write,
    "receptive_fields": fields.write,
    "padding": padding.write,
    "dilation": dilation.write,
    "tcn": sequences.write,
    "separable": separable.write,
    "heads": heads.write,
    "learning": learning.write,
    "evaluation": evaluation.write,
}

INTRO = """
# Convolutional networks, concept by concept

Every number, table and figure in this guide is computed by
`python -m tools.concepts` with the project's own code (`zoo.layers`,
`zoo.arithmetic`, `zoo.models`, `training.data`, `training.metrics`,
`training.plots`, the benchmark results), so it cannot drift from the
code: regenerate it after a change instead of editing it. Each code block
is exactly the code the generator ran, followed by what it printed. Where
a formula and Keras (or a measurement) give the same quantity, both are
shown, and the table at the end lists every such pair: if one of them
disagrees, the generator exits with an error and the test suite
(`tests/test_concepts.py`, which runs it in quick mode) fails.
"""


def build_guide(out_dir="docs", quick=False, sections=None):
    """Writes `concepts.md` and its figures (`img/*.png`) into `out_dir`.

    Args:
        out_dir: str or path-like. Folder of the guide. Defaults to
            `"docs"`.
        quick: bool. Tiny sizes and short training runs, for tests.
            Defaults to `False`.
        sections: list of names from `SECTIONS` to write (they keep their
            numbers). Defaults to all of them.

    Returns:
        A dict with `markdown` (path of the guide), `images` (paths
        relative to `out_dir`), `checks` (one dict per printed pair:
        `section`, `quantity`, `formula`, `measured`, `tolerance`,
        `agree`), `failed` (the checks that disagree), `seconds` (per
        section) and `quick`.
    """
    unknown = sorted(set(sections or ()) - set(SECTIONS))
    if unknown:
        raise ValueError(
            f"Unknown guide sections {unknown}. Expected names from "
            f"{list(SECTIONS)}. Received: sections={sections!r}"
        )
    out_dir = pathlib.Path(out_dir)
    keras.utils.set_random_seed(0)
    guide = guide_lib.Guide(out_dir, quick=quick)
    guide.text(INTRO)
    guide.text(_setup_line(quick))
    started = time.perf_counter()
    for number, (name, write_section) in enumerate(SECTIONS.items()):
        if sections is None or name in sections:
            guide.section_number = number  # keeps the full guide's numbers
            guide.timed(write_section)
    _checks_appendix(guide)
    guide.text(
        f"*Generated in {time.perf_counter() - started:.0f} s.*"
        if not quick
        else "*Generated in quick mode (tiny sizes).*"
    )
    path = guide.write()
    failed = [c for c in guide.checks if not c["agree"]]
    return {
        "markdown": str(path),
        "images": list(guide.images),
        "checks": list(guide.checks),
        "failed": failed,
        "seconds": dict(guide.section_seconds),
        "quick": quick,
    }


def _setup_line(quick):
    found = machine.versions()
    return (
        f"Generated with keras {found['keras']} on the "
        f"`{found['backend']}` backend, Python {found['python']}, "
        f"{machine.hardware()}"
        + (", **quick mode** (tiny sizes)." if quick else ".")
    )


def _checks_appendix(guide):
    guide.parts.append("## Checks: formula vs Keras")
    failed = sum(not c["agree"] for c in guide.checks)
    guide.text(
        f"{len(guide.checks)} values were computed twice, by a formula "
        "(`zoo.arithmetic`, a numpy reference or the closed form) and by "
        "Keras or a measurement; "
        + (
            "all of them agree."
            if not failed
            else f"**{failed} disagree** (marked NO)."
        )
        + " Floats are compared within the tolerance shown."
    )
    guide.table(
        (
            "section",
            "quantity",
            "formula",
            "Keras / measured",
            "tolerance",
            "equal",
        ),
        [
            (
                c["section"].split(".")[0],
                c["quantity"],
                guide_lib.format_value(c["formula"]),
                guide_lib.format_value(c["measured"]),
                "exact" if c["tolerance"] is None else f"{c['tolerance']:g}",
                guide.check_mark(c["agree"]),
            )
            for c in guide.checks
        ],
    )
