"""Argument normalisation and validation shared by every zoo layer.

Modelled on keras' own `argument_validation.py`: each helper normalises one
kind of argument and raises a `ValueError` that names the argument, says what
was expected and quotes what was received, so messages read the same across
the library.
"""

import numbers

PADDING_MODES = ("valid", "same", "causal", "reflect")
DATA_FORMATS = ("channels_last", "channels_first")


def standardize_tuple(value, n, name, allow_zero=False):
    """Turns an int or an iterable of ints into a tuple of `n` ints.

    Args:
        value: int or iterable of ints.
        n: int. Length of the returned tuple.
        name: str. Argument name, quoted in error messages.
        allow_zero: bool. Whether 0 is accepted. Defaults to `False`.

    Returns:
        A tuple of `n` Python ints.

    Raises:
        ValueError: when `value` is not an int or has the wrong length, or
            when an entry is negative (or zero unless `allow_zero`).
    """
    if isinstance(value, bool):
        raise ValueError(
            f"The `{name}` argument must be an int or a tuple of {n} ints. "
            f"Received: {name}={value!r}"
        )
    if isinstance(value, int):
        values = (value,) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            raise ValueError(
                f"The `{name}` argument must be an int or a tuple of {n} "
                f"ints. Received: {name}={value!r}"
            ) from None
        if len(values) != n:
            raise ValueError(
                f"The `{name}` argument must be a tuple of {n} ints. "
                f"Received: {name}={value!r} (length {len(values)})"
            )
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError(
                f"The `{name}` argument must contain only ints. "
                f"Received: {name}={value!r}"
            )
    lowest = 0 if allow_zero else 1
    if any(v < lowest for v in values):
        expected = "non-negative" if allow_zero else "strictly positive"
        raise ValueError(
            f"The `{name}` argument must be {expected}. "
            f"Received: {name}={value!r}"
        )
    return values


def positive_int(value, name):
    """Checks that `value` is a strictly positive int and returns it."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"Invalid value for argument `{name}`. Expected a strictly "
            f"positive integer. Received: {name}={value!r}"
        )
    return value


def dilations(value, name="dilations"):
    """Checks a non-empty sequence of strictly positive ints.

    NumPy integers are accepted and returned as Python ints. The values
    are used as given: unlike keras-tcn, nothing is rounded or read as an
    exponent.

    Returns:
        A tuple of Python ints.
    """
    try:
        values = tuple(value)
    except TypeError:
        values = None
    if not values or any(not _is_int(d) or d < 1 for d in values):
        raise ValueError(
            f"Invalid value for argument `{name}`. Expected a non-empty "
            "sequence of strictly positive ints (used as given, not rounded "
            f"to powers of two). Received: {name}={value!r}"
        )
    return tuple(int(d) for d in values)


def _is_int(value):
    # `numbers.Integral` covers NumPy integers; a bool is not a size.
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def rate(value, name):
    """Checks that `value` is a float in [0, 1) and returns it as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(
            f"The `{name}` argument must be a float in [0, 1). "
            f"Received: {name}={value!r}"
        )
    if not 0.0 <= value < 1.0:
        raise ValueError(
            f"The `{name}` argument must be in [0, 1). "
            f"Received: {name}={value!r}"
        )
    return float(value)


def standardize_padding(padding, allowed=PADDING_MODES):
    """Lower-cases `padding` and checks it is one of `allowed`."""
    if not isinstance(padding, str) or padding.lower() not in allowed:
        raise ValueError(
            f"Invalid value for argument `padding`. Expected one of "
            f"{list(allowed)}. Received: padding={padding!r}"
        )
    return padding.lower()


def standardize_data_format(data_format):
    """Returns `data_format`, or the Keras default when it is `None`."""
    import keras

    if data_format is None:
        return keras.config.image_data_format()
    if not isinstance(data_format, str) or data_format not in DATA_FORMATS:
        raise ValueError(
            f"Invalid value for argument `data_format`. Expected one of "
            f"{list(DATA_FORMATS)}. Received: data_format={data_format!r}"
        )
    return data_format


def check_strides_and_dilation(strides, dilation_rate):
    """Rejects strides > 1 together with dilation > 1, as keras does."""
    if max(strides) > 1 and max(dilation_rate) > 1:
        raise ValueError(
            "`strides > 1` is not compatible with `dilation_rate > 1`. "
            f"Received: strides={strides}, dilation_rate={dilation_rate}"
        )
