"""Architecture claims of the builders, measured, and their argument checks."""

import itertools

import keras
import numpy as np
import pytest

import zoo
from zoo import arithmetic
from zoo.models import dilated_cnn
from zoo.models import mobilenet
from zoo.models import mobilenet_v1_style
from zoo.models import mobilenet_v2_style
from zoo.models import plain_cnn
from zoo.models import seed_cnn


def test_seed_cnn_is_the_tutorial_network():
    model = seed_cnn()
    assert model.count_params() == 121_930
    convs = [
        lay for lay in model.layers if isinstance(lay, keras.layers.Conv2D)
    ]
    assert [c.filters for c in convs] == [32, 64]
    assert [c.padding for c in convs] == ["valid", "valid"]
    assert model.get_layer("fc1").units == 64
    assert model.get_layer("rescale").scale == pytest.approx(1 / 255)


def test_rescale_maps_raw_pixels_to_unit_range():
    model = seed_cnn()
    rescaled = keras.Model(model.inputs, model.get_layer("rescale").output)
    out = keras.ops.convert_to_numpy(rescaled([np.full((1, 28, 28, 1), 255.0)]))
    np.testing.assert_allclose(out, 1.0, rtol=1e-6)


def single_layer_cost(block_fn, channels=64, size=14):
    inputs = keras.Input((size, size, channels))
    model = keras.Model(inputs, block_fn(inputs))
    return model.count_params(), sum(arithmetic.count_flops(model).values())


def test_depthwise_separable_block_is_over_5x_cheaper():
    c, size = 64, 14

    def standard(x):
        return keras.layers.Conv2D(c, 3, padding="same")(x)

    def separable(x):
        return mobilenet.apply_depthwise_separable_block(x, c, name="b")

    std_params, std_flops = single_layer_cost(standard, c, size)
    sep_params, sep_flops = single_layer_cost(separable, c, size)
    # Formulas: 9*C*C weights vs 9*C + C*C (batch norm adds 4C per step).
    assert std_params == 9 * c * c + c
    assert sep_params == 9 * c + c * c + 2 * 4 * c
    assert std_params / sep_params >= 5
    assert std_flops / sep_flops >= 5
    mac_ratio = (9 * c * c) / (9 * c + c * c)
    assert std_flops / sep_flops == pytest.approx(mac_ratio, rel=0.15)


def test_alpha_scales_parameters_quadratically():
    # The presets' widths (0.25 and 0.5): their weights are already built
    # by the smoke test, which keeps this cheap on JAX.
    quarter = mobilenet_v1_style(alpha=0.25).count_params()
    half = mobilenet_v1_style(alpha=0.5).count_params()
    # Pointwise convs dominate (alpha**2); depthwise, batch norm and the
    # classifier grow only linearly, so doubling alpha gives a bit under 4x.
    assert half / quarter == pytest.approx(2**2, rel=0.1)


def test_mobilenet_v2_residuals_only_where_shapes_match():
    model = zoo.create_model("fashion_mobilenet_v2")
    adds = [lay for lay in model.layers if isinstance(lay, keras.layers.Add)]
    assert len(adds) == 10
    for add in adds:
        a, b = (tuple(t.shape) for t in add.input)
        assert a == b
    # The first block of a stage changes width or stride: no shortcut.
    assert "block2_add" not in [lay.name for lay in adds]
    assert "block3_add" in [lay.name for lay in adds]
    assert model.get_layer("block1_dw").strides == (1, 1)
    assert "block1_expand" not in [lay.name for lay in model.layers]
    assert model.get_layer("block2_expand").filters == 6 * 8


@pytest.mark.parametrize("name", ["mnist_mobilenet_v1", "fashion_mobilenet_v2"])
def test_mobilenets_keep_a_4x4_map_on_28x28(name):
    model = zoo.create_model(name)
    assert model.get_layer("avg_pool").input.shape[1:3] == (4, 4)


def covered_offsets(dilations, kernel_size):
    """1-D input offsets the stacked dilated kernels can reach."""
    half = kernel_size // 2
    taps = range(-half, half + 1)
    return {
        sum(d * t for d, t in zip(dilations, combo))
        for combo in itertools.product(taps, repeat=len(dilations))
    }


@pytest.mark.parametrize(
    "dilations, holes",
    [((1, 2, 5), False), ((1, 2, 3), False), ((2, 2, 2), True), ((1, 4), True)],
)
def test_has_gridding_matches_numpy_coverage(dilations, holes):
    reach = covered_offsets(dilations, 3)
    extent = max(reach)
    assert (set(range(-extent, extent + 1)) != reach) is holes
    assert arithmetic.has_gridding(3, dilations) is holes


def test_dilated_cnn_schedule_has_no_holes():
    model = dilated_cnn(padding="reflect")
    rates = [
        model.get_layer(f"block1_conv{i}").dilation_rate[0] for i in (1, 2, 3)
    ]
    assert rates == [1, 2, 5]
    assert not arithmetic.has_gridding(3, rates)
    reach = covered_offsets(rates, 3)
    assert reach == set(range(-8, 9))  # a full 17x17 window
    assert model.get_layer("block2_conv3").output.shape[1:3] == (14, 14)


def test_dilated_cnn_rejects_gridding_unless_allowed():
    with pytest.raises(
        ValueError, match="gridding.*dilation_rates=\\(2, 2, 2\\)"
    ):
        dilated_cnn(dilation_rates=(2, 2, 2))
    model = dilated_cnn(dilation_rates=(2, 2, 2), allow_gridding=True)
    assert model.output.shape == (None, 10)


def test_plain_cnn_variants():
    reflect = plain_cnn(padding="reflect", head="gap", dense_units=())
    same = plain_cnn(padding="same", head="gap", dense_units=())
    assert reflect.count_params() == same.count_params()
    assert (
        type(reflect.get_layer("block1_conv1")).__name__ == "ReflectionConv2D"
    )
    no_bn = plain_cnn(batch_norm=False, dropout_rate=0.2, head_dropout_rate=0.5)
    names = [lay.name for lay in no_bn.layers]
    assert "block1_bn1" not in names
    assert "block2_dropout" in names and "fc1_dropout" in names
    assert no_bn.get_layer("block1_conv1").use_bias
    deep = plain_cnn(widths=(8, 16, 32), convs_per_block=(1, 2, 3))
    assert "block3_conv3" in [lay.name for lay in deep.layers]


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: seed_cnn(input_shape=(8, 8, 1)), "too small.*block2_pool"),
        (lambda: seed_cnn(input_shape=(28, 28)), "height, width, channels"),
        (lambda: seed_cnn(num_classes=0), "num_classes=0"),
        (
            lambda: mobilenet_v1_style(
                input_shape=(8, 8, 1), blocks=((8, 2),) * 4
            ),
            "downsamples its input 16x.*at least 16",
        ),
        (lambda: mobilenet_v1_style(alpha=0), "alpha=0"),
        (lambda: mobilenet_v1_style(blocks=((64, 1, 1),)), "blocks"),
        (lambda: mobilenet_v2_style(input_shape=(4, 4, 1)), "downsamples"),
        (lambda: mobilenet_v2_style(expansion=0), "expansion=0"),
        (
            lambda: plain_cnn(input_shape=(4, 4, 1), widths=(8, 8, 8)),
            "too small.*block3_pool",
        ),
        (lambda: plain_cnn(head="avg"), "head='avg'"),
        (lambda: plain_cnn(padding="valid"), "padding='valid'"),
        (
            lambda: plain_cnn(widths=(8, 16), convs_per_block=(1, 2, 3)),
            "one entry per block",
        ),
        (lambda: plain_cnn(dropout_rate=1.5), "dropout_rate=1.5"),
        (lambda: plain_cnn(widths=()), "widths=\\(\\)"),
        (
            lambda: dilated_cnn(input_shape=(10, 10, 1), padding="reflect"),
            "too small.*block2_conv3",
        ),
    ],
)
def test_bad_arguments_raise_clear_errors(build, match):
    with pytest.raises(ValueError, match=match):
        build()
