"""One table of output shapes, parameters, FLOPs and receptive fields."""

from zoo.arithmetic import costs
from zoo.arithmetic import fields as rf_lib
from zoo.arithmetic import graph

COLUMNS = (
    ("name", "Layer"),
    ("type", "Type"),
    ("output_shape", "Output shape"),
    ("params", "Params"),
    ("flops", "FLOPs"),
    ("receptive_field", "RF"),
)


def _output_shape(layer):
    shapes = [tuple(t.shape) for t in graph.tensors_out(layer)]
    return shapes[0] if len(shapes) == 1 else shapes


def layer_table(model):
    """Per-layer arithmetic of a model, one dict per layer.

    Args:
        model: a functional `keras.Model`, or a `keras.Sequential` started
            with `keras.Input`.

    Returns:
        A list of dicts in `model.layers` order with keys `name`, `type`
        (class name), `output_shape` (tuple with the batch axis, or a list
        of tuples for several outputs), `params` (`layer_params`), `flops`
        (`layer_flops`, `None` when not modelled) and `receptive_field`
        (the `rf` of `receptive_field`: an int for a square field, a
        per-axis tuple otherwise, `None` when not modelled).

    Raises:
        ValueError: when `model` is not a keras model with a layer graph.

    Example:

    >>> inputs = keras.Input((28, 28, 1))
    >>> x = keras.layers.Conv2D(8, 3, name="conv")(inputs)
    >>> row = layer_table(keras.Model(inputs, x))[1]
    >>> row["params"], row["flops"], row["receptive_field"]
    (80, 97344, 3)
    """
    fields = rf_lib.fields_by_layer(model)
    rows = []
    for layer in model.layers:
        field = fields[layer.name]
        rows.append(
            {
                "name": layer.name,
                "type": type(layer).__name__,
                "output_shape": _output_shape(layer),
                "params": costs.layer_params(layer),
                "flops": costs.layer_flops(layer),
                "receptive_field": (
                    None if field is None else rf_lib.squash(field.rf)
                ),
            }
        )
    return rows


def _cell(key, value):
    if value is None:
        return "?" if key == "flops" else "-"
    if key in ("params", "flops"):
        return f"{value:,}"
    if key == "receptive_field" and isinstance(value, tuple):
        return "x".join(str(v) for v in value)
    return str(value)


def _total(rows, key):
    values = [row[key] for row in rows]
    if any(v is None for v in values):
        known = sum(v for v in values if v is not None)
        return f">= {known:,}"
    return f"{sum(values):,}"


def format_table(rows):
    """Renders `layer_table` rows as a Markdown table with totals.

    Numbers get thousands separators; a FLOP count that is not modelled
    shows as `?` (and the total as a lower bound, `>= N`), a receptive
    field that is not modelled as `-`. A per-axis field prints as
    `3x5`. The Markdown pipes also read well as plain text.

    Args:
        rows: list of dicts as returned by `layer_table`.

    Returns:
        A multi-line str: header, separator, one line per layer, then a
        `Total` line summing `params` and `flops`.

    Example:

    >>> inputs = keras.Input((28, 28, 1), name="pixels")
    >>> x = keras.layers.Conv2D(8, 3, name="conv")(inputs)
    >>> print(format_table(layer_table(keras.Model(inputs, x))))
    | Layer  | Type       | Output shape      | Params | FLOPs  | RF |
    |--------|------------|-------------------|--------|--------|----|
    | pixels | InputLayer | (None, 28, 28, 1) | 0      | 0      | 1  |
    | conv   | Conv2D     | (None, 26, 26, 8) | 80     | 97,344 | 3  |
    | Total  |            |                   | 80     | 97,344 |    |
    """
    header = [title for _, title in COLUMNS]
    body = [[_cell(key, row[key]) for key, _ in COLUMNS] for row in rows]
    total = ["Total", "", "", _total(rows, "params"), _total(rows, "flops")]
    body.append(total + [""])
    widths = [
        max(len(line[i]) for line in [header] + body)
        for i in range(len(header))
    ]

    def render(cells):
        padded = (cell.ljust(width) for cell, width in zip(cells, widths))
        return "| " + " | ".join(padded) + " |"

    separator = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([render(header), separator] + [render(r) for r in body])
