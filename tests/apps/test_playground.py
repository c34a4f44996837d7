"""The kernel playground's convolution and size formula against numpy."""

import numpy as np
import pytest

from apps import playground


def np_conv2d(image, kernel, padding, stride, dilation):
    """Cross-correlation, as Keras computes it, written out in loops."""
    k = kernel.shape[0]
    k_eff = k + (k - 1) * (dilation - 1)
    n = image.shape[0]
    if padding == "valid":
        before = after = 0
    elif padding == "same":  # TensorFlow's rule: just enough for ceil(n/s)
        total = max((-(-n // stride) - 1) * stride + k_eff - n, 0)
        before, after = total // 2, total - total // 2
    else:
        before, after = (k_eff - 1) // 2, k_eff - 1 - (k_eff - 1) // 2
    mode = "reflect" if padding == "reflect" else "constant"
    padded = np.pad(image, ((before, after), (before, after)), mode=mode)
    out_size = (padded.shape[0] - k_eff) // stride + 1
    out = np.zeros((out_size, out_size), "float64")
    for i in range(out_size):
        for j in range(out_size):
            for a in range(k):
                for b in range(k):
                    out[i, j] += (
                        padded[
                            i * stride + a * dilation, j * stride + b * dilation
                        ]
                        * kernel[a, b]
                    )
    return out


@pytest.mark.parametrize(
    "padding, stride, dilation",
    [
        ("valid", 1, 1),
        ("valid", 2, 1),
        ("same", 1, 1),
        ("same", 3, 1),
        ("reflect", 1, 1),
        ("reflect", 1, 3),
        ("valid", 1, 2),
        ("reflect", 2, 1),
    ],
)
def test_apply_kernel_matches_numpy(padding, stride, dilation):
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 255, size=(12, 12)).astype("float32")
    kernel = np.asarray(playground.KERNELS["Sobel x"], "float32")
    kernel = kernel + rng.normal(size=(3, 3)).astype("float32")  # asymmetric
    out = playground.apply_kernel(image, kernel, padding, stride, dilation)
    expected = np_conv2d(image, kernel, padding, stride, dilation)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-2)
    size, text = playground.output_size_formula(
        12, 3, padding, stride, dilation
    )
    assert size == out.shape[0]
    assert text.endswith(f"= {size}")


def test_formula_text_has_the_numbers():
    size, text = playground.output_size_formula(28, 3, "valid", 1, 2)
    assert (size, text) == (24, "⌊(28 − 5 + 0) / 1⌋ + 1 = 24")
    size, text = playground.output_size_formula(28, 3, "reflect", 1, 1)
    assert (size, text) == (28, "⌊(28 − 3 + 2) / 1⌋ + 1 = 28")
    # "same" with a stride pads only what ceil(28 / 2) outputs need.
    size, text = playground.output_size_formula(28, 3, "same", 2, 1)
    assert (size, text) == (14, "⌊(28 − 3 + 1) / 2⌋ + 1 = 14")
    assert playground.padding_amounts(28, 3, "same", 2, 1) == (0, 1)


def test_classic_kernels_do_what_they_say():
    image = np.zeros((9, 9), "float32")
    image[:, 5:] = 100.0  # a vertical edge
    identity = playground.apply_kernel(
        image, playground.KERNELS["identity"], "same"
    )
    np.testing.assert_allclose(identity, image)
    blur = playground.apply_kernel(
        image, playground.KERNELS["box blur"], "reflect"
    )
    np.testing.assert_allclose(blur.sum(axis=1), image.sum(axis=1), rtol=1e-5)
    sobel_y = playground.apply_kernel(image, playground.KERNELS["Sobel y"])
    np.testing.assert_allclose(sobel_y, 0.0, atol=1e-4)  # no horizontal edge
    for name, kernel in playground.KERNELS.items():
        assert np.asarray(kernel).shape == (3, 3), name


@pytest.mark.parametrize(
    "table, message",
    [
        ([[1, 2], [3, 4]], "3x3"),
        ([[1, 2, "a"], [0, 0, 0], [0, 0, 0]], "number"),
        ([[1, 2, float("nan")], [0, 0, 0], [0, 0, 0]], "finite"),
    ],
)
def test_bad_kernel_tables(table, message):
    with pytest.raises(ValueError, match=message):
        playground.parse_kernel(table)


def test_stride_with_dilation_is_the_dilated_output_subsampled():
    rng = np.random.default_rng(0)
    image, kernel = rng.uniform(0, 255, (9, 9)), rng.normal(size=(3, 3))
    both = playground.apply_kernel(image, kernel, "valid", 2, 2)
    dilated = playground.apply_kernel(image, kernel, "valid", 1, 2)
    # (9 - 5) / 2 + 1 = 3 positions per axis, every other dilated one.
    assert both.shape == (3, 3)
    np.testing.assert_allclose(both, dilated[::2, ::2], rtol=1e-5, atol=1e-3)
