"""Receptive fields with the recurrence of "A guide to receptive field
arithmetic" (Dang Ha The Hien, 2017).

For each spatial axis a feature map is described by its receptive field
`r` (input positions one unit sees), its jump `j` (input distance between
neighbouring units) and its start (input coordinate of the centre of the
first unit's field). A window of effective size `k`, stride `s` and left
padding `p` maps them to:

    j_out = j_in * s
    r_out = r_in + (k - 1) * j_in
    start_out = start_in + ((k - 1) / 2 - p) * j_in
"""

import math

from zoo.arithmetic import graph


class Field:
    """Per-axis `(rf, jump, start)` of one tensor; `jump`/`start` are
    `None` once the spatial axes are gone (after flatten or global
    pooling); `rf` entries are `None` when the input size is unknown."""

    def __init__(self, rf, jump, start, input_size):
        self.rf = tuple(rf)
        self.jump = None if jump is None else tuple(jump)
        self.start = None if start is None else tuple(start)
        self.input_size = tuple(input_size)

    @classmethod
    def at_input(cls, shape, data_format="channels_last"):
        sizes = graph.spatial_dims(shape, data_format)
        n = len(sizes)
        return cls((1,) * n, (1,) * n, (0.0,) * n, sizes)

    def through(self, footprint):
        if self.jump is None:
            return self  # no spatial axes left: nothing moves any more
        rf, jump, start = list(self.rf), list(self.jump), list(self.start)
        for stage in footprint.windows:
            if len(stage) != len(rf):
                return None  # e.g. a 1-D conv on an image: not modelled
            for axis, (k, s, p) in enumerate(stage):
                rf[axis] += (k - 1) * jump[axis]
                start[axis] += ((k - 1) / 2 - p) * jump[axis]
                jump[axis] *= s
        if footprint.collapse == "whole_input":
            return Field(self.input_size, None, None, self.input_size)
        if footprint.collapse == "keep":
            return Field(rf, None, None, self.input_size)
        return Field(rf, jump, start, self.input_size)

    def size(self):
        if any(r is None for r in self.rf):
            return math.inf
        return math.prod(self.rf)


def squash(values):
    """One value when every axis agrees (a square field), else a tuple;
    integral floats become ints. `None` stays `None`."""
    if values is None:
        return None
    values = tuple(
        int(v) if isinstance(v, float) and v.is_integer() else v for v in values
    )
    if not values:
        return None
    if all(v == values[0] for v in values):
        return values[0]
    return values


def _merge(fields):
    """A merge (add, concatenate) sees the union of its inputs' fields;
    the largest one is reported, with its own jump and start."""
    if any(f is None for f in fields):
        return None
    return max(fields, key=Field.size)


def _field_of(tensor, by_tensor, data_format):
    # A tensor not produced inside the walk (a Sequential's first input)
    # starts a fresh field; a known `None` (unmodelled) must stay `None`.
    if id(tensor) in by_tensor:
        return by_tensor[id(tensor)]
    return Field.at_input(tensor.shape, data_format)


def _input_data_format(model):
    """Model inputs carry no data format: borrow the layers' one."""
    formats = {getattr(layer, "data_format", None) for layer in model.layers}
    if "channels_first" in formats:
        return "channels_first"
    return "channels_last"


def fields_by_layer(model):
    """`{layer name: Field or None}` for every layer, in graph order."""
    graph.check_model(model)
    data_format = _input_data_format(model)
    by_tensor = {}
    for tensor in model.inputs:
        by_tensor[id(tensor)] = Field.at_input(tensor.shape, data_format)
    result = {}
    for layer in model.layers:
        inputs = graph.tensors_in(layer)
        if inputs:
            fields = [_field_of(t, by_tensor, data_format) for t in inputs]
            field = _merge(fields)
            shape = tuple(inputs[0].shape)
            fmt = getattr(layer, "data_format", "channels_last")
            footprint = graph.footprint(layer, graph.spatial_dims(shape, fmt))
            if field is not None:
                field = None if footprint is None else field.through(footprint)
        else:
            output = graph.tensors_out(layer)[0]
            field = _field_of(output, by_tensor, data_format)
        for tensor in graph.tensors_out(layer):
            by_tensor[id(tensor)] = field
        result[layer.name] = field
    return result


def receptive_field(model):
    """Per-layer receptive fields of a functional or Sequential model.

    Layers are walked in the model's (topological) order and every conv,
    pooling and padding window is pushed through the recurrence above:
    keras' Conv1D/2D/3D, DepthwiseConv, SeparableConv, Max/Average
    pooling, ZeroPadding and Cropping, and the zoo's DilatedConv1D/2D,
    CausalConv1D, ReflectionConv2D, DepthwiseSeparableConv2D and
    ReflectionPadding1D/2D. A `TCNBlock` adds `2 (k - 1) d` (its two
    dilated convs) and a `TCN` `2 (k - 1) nb_stacks sum(dilations)`.
    Point-wise layers (normalization, activations, dropout, rescaling,
    Dense on the channel axis) pass the field through; merges (Add,
    Concatenate, ...) take the largest field of their inputs. Global
    pooling and Flatten see the whole input, so their field is the input
    size. Padding of any kind (zeros, reflection, causal) counts as
    positions outside the input: fields are not clipped at the border.

    Each value is one number when all spatial axes agree (a square field
    on an image) and a per-axis tuple otherwise. Layers whose geometry is
    not modelled (transposed convs, recurrent layers, reshapes, nested
    models) get `None`, and so does everything that depends on them.

    Args:
        model: a functional `keras.Model`, or a `keras.Sequential` started
            with `keras.Input`.

    Returns:
        A list with one dict per layer of `model.layers`: `name`, `rf`
        (receptive field in input positions), `jump` (input distance
        between neighbouring output units; `None` once the spatial axes
        are gone) and `start` (input coordinate of the centre of the first
        unit's field, pixel 0 being the first input position; may be
        negative or a half-integer). Unit `i` then sees input positions
        `start + i * jump -/+ (rf - 1) / 2`.

    Raises:
        ValueError: when `model` is not a keras model with a layer graph.

    Example:

    >>> inputs = keras.Input((28, 28, 1))
    >>> x = keras.layers.Conv2D(8, 3)(inputs)
    >>> x = keras.layers.MaxPooling2D(2)(x)
    >>> model = keras.Model(inputs, x)
    >>> [row["rf"] for row in receptive_field(model)]
    [1, 3, 4]

    Reference:
        - [Dang Ha The Hien, A guide to receptive field arithmetic for
          Convolutional Neural Networks, 2017](https://medium.com/
          mlreview/a-guide-to-receptive-field-arithmetic-for-convolutional-
          neural-networks-e0f514068807)
        - [Araujo et al., Computing Receptive Fields of Convolutional
          Neural Networks, Distill 2019](https://distill.pub/2019/
          computing-receptive-fields/)
    """
    rows = []
    for name, field in fields_by_layer(model).items():
        rows.append(
            {
                "name": name,
                "rf": None if field is None else squash(field.rf),
                "jump": None if field is None else squash(field.jump),
                "start": None if field is None else squash(field.start),
            }
        )
    return rows
