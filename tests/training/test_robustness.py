"""The drawn-digit generator of `training.robustness` and its table."""

import numpy as np
import pytest

from training import robustness
from zoo import preprocessing
from zoo import strokes


@pytest.fixture
def digits(datasets_dir):
    from training import data as data_lib

    x, y = data_lib.load_arrays("mnist", "test", limit=8)
    return x.reshape(-1, 28, 28), y


def widths(canvases):
    return [
        strokes.stroke_width(preprocessing.mnist_style(c)) for c in canvases
    ]


def test_styles_draw_what_their_names_say(digits):
    x, _ = digits
    made = {
        s: robustness.draw_like_people(x, s) for s in robustness.DRAWN_STYLES
    }
    for canvases in made.values():
        assert canvases.shape == (8, 280, 280) and canvases.dtype == np.float32
    low, high = strokes.MNIST_STROKE_RANGE
    assert np.median(widths(made["thick"])) > high
    assert np.median(widths(made["small"])) > high
    assert np.median(widths(made["thin"])) < low
    for style in ("small", "off-centre"):
        for canvas in made[style]:
            cy, cx = preprocessing.center_of_mass(canvas)
            assert max(abs(cy - 140), abs(cx - 140)) > 50, style
    small = preprocessing.bounding_box(made["small"][0], 25)
    assert small[1] - small[0] < 70


def test_same_seed_same_canvases(digits):
    x, _ = digits
    first = robustness.draw_like_people(x, "small", seed=1)
    np.testing.assert_array_equal(
        first, robustness.draw_like_people(x, "small", seed=1)
    )
    assert not np.array_equal(
        first, robustness.draw_like_people(x, "small", seed=2)
    )


def test_unknown_style_raises(digits):
    with pytest.raises(ValueError, match="Received: style='huge'"):
        robustness.draw_like_people(digits[0], "huge")


def test_drawn_robustness_and_its_table(digits):
    x, y = digits

    class Oracle:
        # Right exactly when the frame holds ink, so the counts are known.
        def predict_on_batch(self, batch):
            inked = batch.reshape(len(batch), -1).max(axis=1) > 0
            return np.eye(10)[
                np.where(inked, self.labels, (self.labels + 1) % 10)
            ]

    oracle = Oracle()
    oracle.labels = y  # one batch: _accuracy reads the whole set at once
    results = robustness.drawn_robustness(
        oracle, x, y, strokes=(None, "morphology"), chunk=8
    )
    assert set(results) == {None, "morphology"}
    for row in results.values():
        assert list(row) == ["clean", *robustness.DRAWN_STYLES]
        assert all(value == 1.0 for value in row.values())
    table = robustness.markdown_table(results)
    assert "| none | 100.00 %" in table and "| morphology |" in table
