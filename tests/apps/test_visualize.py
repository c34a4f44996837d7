"""Feature-map grids, kernels, Grad-CAM and saliency against numpy."""

import keras
import numpy as np
import pytest

from apps import visualize


def _gap_model(seed=0):
    """x -> 1x1 conv (3 maps, no bias) -> global mean -> softmax Dense(2).

    Small enough for closed-form gradients: logit_c = sum_k W[k, c] *
    mean(A_k) + b_c, so d logit_c / d A_k(i, j) = W[k, c] / (H W).
    """
    rng = np.random.default_rng(seed)
    inputs = keras.Input((4, 5, 1))
    a = keras.layers.Conv2D(3, 1, use_bias=False, name="conv")(inputs)
    pooled = keras.layers.GlobalAveragePooling2D(name="gap")(a)
    outputs = keras.layers.Dense(2, activation="softmax", name="out")(pooled)
    model = keras.Model(inputs, outputs)
    v = rng.normal(size=(1, 1, 1, 3)).astype("float32")
    w = rng.normal(size=(3, 2)).astype("float32")
    b = rng.normal(size=(2,)).astype("float32")
    model.get_layer("conv").set_weights([v])
    model.get_layer("out").set_weights([w, b])
    return model, v.reshape(3), w


def _normalize(values):
    values = np.maximum(values, 0)
    return values / values.max()


@pytest.mark.parametrize("class_index", [0, 1])
def test_grad_cam_matches_closed_form(class_index):
    model, v, w = _gap_model()
    x = np.random.default_rng(1).normal(size=(1, 4, 5, 1)).astype("float32")
    explainer = visualize.Explainer(model)
    assert explainer.layer.name == "conv"
    cam = explainer.grad_cam(x, class_index)

    activations = x[0] * v  # (4, 5, 3): the 1x1 conv
    alpha = w[:, class_index] / (4 * 5)
    expected = _normalize((activations * alpha).sum(axis=-1))
    np.testing.assert_allclose(cam, expected, atol=1e-5)


@pytest.mark.parametrize("class_index", [0, 1])
def test_saliency_matches_closed_form(class_index):
    model, v, w = _gap_model()
    x = np.random.default_rng(2).normal(size=(1, 4, 5, 1)).astype("float32")
    saliency = visualize.Explainer(model).saliency(x, class_index)
    # logit_c = sum_k W[k, c] v_k mean(x): the same gradient everywhere.
    gradient = abs(float(w[:, class_index] @ v)) / (4 * 5)
    assert gradient > 0
    np.testing.assert_allclose(saliency, np.ones((4, 5)), atol=1e-5)


def test_grad_cam_skips_a_layer_bypassed_by_a_skip_connection():
    inputs = keras.Input((6, 6, 1))
    a = keras.layers.Conv2D(2, 3, padding="same", name="conv_a")(inputs)
    b = keras.layers.Conv2D(2, 3, padding="same", name="conv_b")(a)
    merged = keras.layers.Add(name="add")([a, b])
    pooled = keras.layers.GlobalAveragePooling2D()(merged)
    outputs = keras.layers.Dense(3, activation="softmax")(pooled)
    model = keras.Model(inputs, outputs)
    # conv_b is the last conv, but `a` reaches the head around it.
    assert visualize.grad_cam_layer(model).name == "add"


def test_feature_map_grid_layout():
    maps = np.random.default_rng(0).normal(size=(26, 26, 32))
    grid = visualize.feature_map_grid(maps, zoom=3)
    # 32 maps -> 6 columns, 6 rows; cells enlarged 3x with 3-pixel gaps.
    assert grid.shape == (6 * 78 + 5 * 3, 6 * 78 + 5 * 3, 3)
    assert grid.dtype == np.uint8
    many = visualize.feature_map_grid(np.ones((3, 3, 200)), max_maps=64)
    assert many.shape[1] == many.shape[0]  # 64 maps: 8 x 8 grid


def test_kernel_grid_uses_one_symmetric_scale():
    kernel = np.zeros((3, 3, 1, 2), "float32")
    kernel[0, 0, 0, 0] = 1.0
    kernel[2, 2, 0, 1] = -1.0
    grid = visualize.kernel_grid(kernel)
    assert grid.shape == (3, 3 + 1 + 3, 3)
    assert tuple(grid[0, 3]) == (60, 60, 60)  # gutter
    red, blue, zero = grid[0, 0], grid[2, 6], grid[1, 1]
    assert red[0] > red[2] and blue[2] > blue[0]
    assert abs(int(zero[0]) - int(zero[2])) < 10  # white-ish, not coloured


def test_colorize_and_overlay():
    flat = visualize.colorize(np.ones((2, 2)))
    assert flat.shape == (2, 2, 3) and len(np.unique(flat)) <= 3
    out = visualize.overlay(np.zeros((28, 28)), np.zeros((28, 28)), factor=2)
    assert out.shape == (56, 56, 3)


def test_first_conv_layer_and_kernel():
    model, v, _ = _gap_model()
    layer = visualize.first_conv_layer(model)
    assert layer.name == "conv"
    np.testing.assert_allclose(visualize.conv_kernel(layer).ravel(), v)


@pytest.mark.large
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_gradients_match_closed_form_on_other_backends(backend):
    # The suite runs the app tests on TensorFlow; the two closed-form
    # gradient tests above run again in a process on `backend`.
    import os
    import pathlib
    import subprocess
    import sys

    pytest.importorskip(backend)
    here = pathlib.Path(__file__)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        + [f"{here}::test_grad_cam_matches_closed_form"]
        + [f"{here}::test_saliency_matches_closed_form"],
        cwd=here.parents[2],
        env={**os.environ, "KERAS_BACKEND": backend},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "4 passed" in result.stdout, result.stdout[-3000:]
