"""The guide under construction: Markdown parts, executed snippets, figures
and the record of every (formula, Keras) pair the guide prints.

A snippet is a `string.Template` of Python code: its `$name` fields are
filled in (quick mode uses smaller sizes), the filled-in code is executed,
and exactly that code is written into the guide with what it printed. So
the code a reader sees is the code that produced the numbers next to it.
"""

import contextlib
import io
import math
import os
import pathlib
import string
import textwrap
import time

import numpy as np

from training.markdown import markdown_table

IMAGE_DIR = "img"
FIGURE_DPI = 90


def format_value(value):
    """How a checked value is printed: floats with 6 significant digits,
    everything else (ints, shape tuples, strings) with `str`."""
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


def values_agree(formula, measured, tolerance=None):
    """Exact equality, or `|a - b| <= tolerance` for floats."""
    if tolerance is None:
        return formula == measured
    return math.isclose(formula, measured, rel_tol=0.0, abs_tol=tolerance)


class Guide:
    """Collects the Markdown of the guide section by section.

    Args:
        out_dir: folder of the guide; figures go to `out_dir/img/`.
        quick: bool. Tiny sizes, for tests.
    """

    def __init__(self, out_dir, quick=False):
        self.out_dir = pathlib.Path(out_dir)
        self.image_dir = self.out_dir / IMAGE_DIR
        self.image_dir.mkdir(parents=True, exist_ok=True)
        self.quick = quick
        self.parts = []
        self.checks = []
        self.images = []
        self.section_number = 0
        self.section_title = ""
        self.section_seconds = {}

    # --- structure -------------------------------------------------------

    def section(self, title):
        self.section_number += 1
        self.section_title = f"{self.section_number}. {title}"
        self.parts.append(f"## {self.section_title}")

    def subsection(self, title):
        self.parts.append(f"### {title}")

    def text(self, markdown):
        self.parts.append(textwrap.dedent(markdown).strip())

    def formula(self, text):
        self.parts.append("```text\n" + textwrap.dedent(text).strip() + "\n```")

    def table(self, header, rows):
        self.parts.append(markdown_table(header, rows, fmt=_cell))

    # --- executed code ---------------------------------------------------

    def run(self, template, namespace=None, show_output=True, **fields):
        """Fills in, executes and shows one snippet; returns its namespace.

        The snippet runs with the guide folder as working directory, so a
        figure it saves as `img/name.png` is where the Markdown links it.
        What it prints is shown under the code unless `show_output` is
        False (when the caller renders the same values as a table).
        """
        code = string.Template(textwrap.dedent(template).strip())
        code = code.substitute(fields)
        namespace = {} if namespace is None else namespace
        namespace.setdefault("__name__", "concepts_snippet")
        printed = io.StringIO()
        label = f"<concepts: {self.section_title}>"
        with _working_dir(self.out_dir), contextlib.redirect_stdout(printed):
            exec(compile(code, label, "exec"), namespace)  # noqa: S102
        self.parts.append(f"```python\n{code}\n```")
        output = printed.getvalue().rstrip()
        if output and show_output:
            self.parts.append(f"Output:\n\n```text\n{output}\n```")
        return namespace

    # --- figures ---------------------------------------------------------

    def image_path(self, name):
        return self.image_dir / f"{name}.png"

    def figure(self, figure, name, caption):
        """Saves a figure from `subplots` under `img/` and links it."""
        path = self.image_path(name)
        figure.savefig(path, dpi=FIGURE_DPI, bbox_inches="tight")
        self.link_image(name, caption)

    def link_image(self, name, caption):
        """Links an image already written to `img/<name>.png`."""
        path = self.image_path(name)
        if not path.is_file():
            raise FileNotFoundError(f"figure {path} was not written")
        relative = f"{IMAGE_DIR}/{name}.png"
        self.images.append(relative)
        self.parts.append(f"![{caption}]({relative})\n\n*{caption}*")

    # --- checks ----------------------------------------------------------

    def check(self, quantity, formula, measured, tolerance=None):
        """Records a value computed by a formula next to the value Keras
        (or a measurement) gives; returns whether they agree."""
        agree = values_agree(formula, measured, tolerance)
        self.checks.append(
            {
                "section": self.section_title,
                "quantity": quantity,
                "formula": formula,
                "measured": measured,
                "tolerance": tolerance,
                "agree": bool(agree),
            }
        )
        return agree

    def check_mark(self, agree):
        return "yes" if agree else "**NO**"

    # --- output ----------------------------------------------------------

    def timed(self, write_section):
        """Runs one section writer and remembers how long it took."""
        start = time.perf_counter()
        write_section(self)
        seconds = time.perf_counter() - start
        self.section_seconds[self.section_title] = round(seconds, 2)

    def markdown(self):
        return "\n\n".join(self.parts) + "\n"

    def write(self, filename="concepts.md"):
        path = self.out_dir / filename
        tmp = path.with_suffix(".md.tmp")
        tmp.write_text(self.markdown(), encoding="utf-8")
        os.replace(tmp, path)
        return path


def subplots(nrows=1, ncols=1, figsize=None, **kwargs):
    """`plt.subplots` without pyplot: returns `(figure, axes)`.

    A bare `matplotlib.figure.Figure` renders PNG files through Agg by
    itself, so the guide never selects (or changes) matplotlib's global
    backend, and importing the tool does not import matplotlib at all.
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize)
    return figure, figure.subplots(nrows, ncols, **kwargs)


def colormap(name):
    """A registered matplotlib colormap (`plt.get_cmap` without pyplot)."""
    import matplotlib

    return matplotlib.colormaps[name]


@contextlib.contextmanager
def _working_dir(path):
    # contextlib.chdir exists only from Python 3.11 on.
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def _cell(value):
    # markdown_table escapes "|"; a newline would end the table row.
    if isinstance(value, (float, np.floating)):
        return format_value(value)
    return str(value).replace("\n", " ")
