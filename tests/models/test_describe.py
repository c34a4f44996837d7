"""`zoo-describe`: the arithmetic table of a registered model."""

import pytest

from zoo import describe


def test_describes_the_seed_cnn(capsys):
    assert describe.main(["mnist_seed_cnn"]) == 0
    out = capsys.readouterr().out
    assert "mnist_seed_cnn" in out
    assert "121,930" in out
    for layer in ("rescale", "block1_conv", "block2_pool", "predictions"):
        assert layer in out


def test_input_shape_override(capsys):
    assert describe.main(["mnist_seed_cnn", "--input-shape", "32x32x1"]) == 0
    out = capsys.readouterr().out
    assert "(32, 32, 1)" in out
    assert "121,930" not in out  # a bigger flatten, more parameters


def test_list(capsys):
    assert describe.main(["--list"]) == 0
    out = capsys.readouterr().out
    assert "adding_tcn" in out and "mnist_seed_cnn" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["mnist_seed_cn"], "Did you mean"),
        (["mnist_mobilenet_v1", "--input-shape", "4,4,1"], "at least 8"),
        (["mnist_seed_cnn", "--input-shape", "a,b"], "positive integers"),
        ([], "give a model name"),
    ],
)
def test_user_errors_exit_2_in_one_line(capsys, argv, message):
    assert describe.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert err.count("\n") == 1
