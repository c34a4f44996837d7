"""`training.cli`: the number types of the tools' flags."""

import argparse

import pytest

from training import cli


@pytest.mark.parametrize(
    "parse, text, value",
    [
        (cli.positive_int, "3", 3),
        (cli.positive_float, "0.5", 0.5),
        (cli.non_negative_float, "0", 0.0),
        (cli.fraction, "0.25", 0.25),
    ],
)
def test_accepted(parse, text, value):
    assert parse(text) == value


@pytest.mark.parametrize(
    "parse, text, expected",
    [
        (cli.positive_int, "0", "a positive integer"),
        (cli.positive_int, "2.5", "a positive integer"),
        (cli.positive_float, "nan", "a positive finite number"),
        (cli.positive_float, "inf", "a positive finite number"),
        (cli.positive_float, "x", "a positive finite number"),
        (cli.non_negative_float, "-1", "a number >= 0"),
        (cli.fraction, "1", "a number in [0, 1)"),
    ],
)
def test_refused_in_one_line(parse, text, expected):
    with pytest.raises(argparse.ArgumentTypeError) as raised:
        parse(text)
    assert str(raised.value) == f"expected {expected}, got {text!r}"
