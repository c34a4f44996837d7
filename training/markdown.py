"""Markdown the tools write: tables, and generated sections of a page.

One table writer and one section rewriter, so that every report, model
card and README section the project generates has the same shape.

Example:

>>> print(markdown_table(["model", "accuracy"], [["cnn", "99.1 %"]]))
| model | accuracy |
|---|---|
| cnn | 99.1 % |
>>> page = "a\\n<!-- x:start -->\\nold\\n<!-- x:end -->\\nb"
>>> replace_section(page, "x", "new")
'a\\n<!-- x:start -->\\nnew\\n<!-- x:end -->\\nb'
"""


def markdown_table(header, rows, fmt=str):
    """A Markdown table, without a trailing newline.

    Args:
        header: list of str, the column titles. `None` takes the keys of
            dict rows, in first-seen order.
        rows: iterable of rows, each a sequence of cells in `header` order
            or a dict keyed by the titles (a missing key gives `fmt(None)`).
        fmt: callable turning one cell into its text. Defaults to `str`.

    Returns:
        str. A `|` inside a cell is escaped so it cannot split the cell.

    Raises:
        ValueError: when a row has more or fewer cells than `header`, or
            when `header` is `None` and a row is not a dict.
    """
    rows = list(rows)
    if header is None:
        if not all(isinstance(row, dict) for row in rows):
            raise ValueError(
                "`header=None` needs dict rows, to take the column titles "
                f"from their keys. Received: rows={rows!r}"
            )
        header = list(dict.fromkeys(key for row in rows for key in row))
    header = [str(title) for title in header]
    lines = [_line(header), "|" + "---|" * len(header)]
    for row in rows:
        if isinstance(row, dict):
            cells = [row.get(title) for title in header]
        else:
            cells = list(row)
            if len(cells) != len(header):
                raise ValueError(
                    f"Each row must have {len(header)} cells, one per title "
                    f"of {header}. Received: row={row!r}"
                )
        lines.append(_line(fmt(cell) for cell in cells))
    return "\n".join(lines)


def _line(cells):
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


def section_markers(name):
    """The `(start, end)` comments that delimit the generated section
    `name`: `<!-- name:start -->` and `<!-- name:end -->`."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def replace_section(text, name, body, heading=None):
    """`text` with the generated section `name` replaced by `body`.

    Everything outside the markers is kept as it is.

    Args:
        text: str, the whole page.
        name: str, the section name used in the markers (see
            `section_markers`).
        body: str, the new content between the markers.
        heading: str or None. When given and `text` has neither marker,
            the section is appended at the end under this heading instead
            of raising.

    Returns:
        str.

    Raises:
        ValueError: when a marker is missing (and `heading` is None),
            appears more than once, or the end marker comes first.
    """
    start, end = section_markers(name)
    starts, ends = text.count(start), text.count(end)
    if starts == ends == 0 and heading is not None:
        return text.rstrip("\n") + f"\n\n{heading}\n\n{start}\n{body}\n{end}\n"
    if starts != 1 or ends != 1 or text.index(start) > text.index(end):
        raise ValueError(
            f"The text must contain {start} once, followed by {end} once. "
            f"Received: {starts} start and {ends} end marker(s)."
        )
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}\n{end}{tail}"
