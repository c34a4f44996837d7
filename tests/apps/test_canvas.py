"""The Draw tab's canvas value: a PNG data URL read like a Sketchpad layer.

The browser side (strokes, clearing) is covered in `test_browser.py`; this
is what the server does with what the canvas sends.
"""

import base64

import numpy as np
import pytest

from apps import classifier
from apps import preprocess
from tests.apps import images


@pytest.fixture(scope="module")
def app(store):
    return classifier.App(store)


def _data_url(layer):
    data = base64.b64encode(images.png_bytes(layer, "RGBA")).decode()
    return preprocess.DATA_URL_PREFIX + data


def test_data_url_reads_like_the_same_sketchpad_layer(test_digits):
    layer = images.sketch_layer(test_digits[0][0])
    from_url = preprocess.sketch_to_ink(_data_url(layer))
    from_dict = preprocess.sketch_to_ink({"layers": [layer]})
    np.testing.assert_array_equal(from_url, from_dict)


def test_drawn_data_url_is_read_like_mnist(app, test_digits):
    digits, labels = test_digits
    correct = 0
    for digit, label in zip(digits[:10], labels[:10]):
        url = _data_url(images.sketch_layer(digit))
        label_dict, view, status, current = app.draw(url, "mnist_seed_cnn")
        correct += next(iter(label_dict)) == str(label)
        assert current["source"] == "drawing" and view.shape == (28, 28, 3)
    assert correct >= 9


@pytest.mark.parametrize(
    "value", ["", _data_url(np.zeros((280, 280, 4), np.uint8))]
)
def test_cleared_canvas_asks_for_a_digit(app, value):
    label, view, status, current = app.draw(value, "mnist_seed_cnn")
    assert label is None and view is None
    assert "Draw a digit" in status


@pytest.mark.parametrize(
    "value, message",
    [
        ("data:image/jpeg;base64,AAAA", "PNG data URL"),
        ("/etc/passwd", "PNG data URL"),
        (preprocess.DATA_URL_PREFIX + "not base64!", "base64"),
        (preprocess.DATA_URL_PREFIX + "AAAA", "not a readable image"),
        (preprocess.DATA_URL_PREFIX + "A" * 2_000_000, "at most"),
    ],
)
def test_bad_data_urls_are_refused_clearly(value, message):
    with pytest.raises(preprocess.InputError, match=message) as err:
        preprocess.sketch_to_ink(value)
    assert "object at 0x" not in str(err.value)
