"""Section 9: depthwise-separable convolutions and MobileNet blocks."""

import json

from tools.concepts.sequences import bench_result

COST_SNIPPET = """
import keras
from zoo import arithmetic
from zoo.layers import DepthwiseSeparableConv2D


def one_layer(layer, width, size=14):
    inputs = keras.Input((size, size, width))
    return keras.Model(inputs, layer(inputs))


costs = []
for width in (16, 64, 256):
    models = [
        one_layer(keras.layers.Conv2D(width, 3, padding="same"), width),
        one_layer(DepthwiseSeparableConv2D(width, 3, padding="same"), width),
    ]
    params = [m.count_params() for m in models]
    flops = [sum(arithmetic.count_flops(m).values()) for m in models]
    costs.append((width, *params, *flops))
    print(f"C={width}: params {params[0]:,} vs {params[1]:,}, "
          f"FLOPs ratio {flops[1] / flops[0]:.3f}")
"""

TIMING_SNIPPET = """
import time
import numpy as np


def milliseconds(layer, x):
    start = time.perf_counter()
    keras.ops.convert_to_numpy(layer(x))  # wait for the result
    return 1000 * (time.perf_counter() - start)


timings = []
for width in $widths:
    x = np.random.default_rng(0).random(($batch, 14, 14, width))
    x = x.astype("float32")
    standard = keras.layers.Conv2D(width, 3, padding="same")
    separable = DepthwiseSeparableConv2D(width, 3, padding="same")
    standard(x), separable(x)  # build and warm up
    ratios = []
    for _ in range($repeats):  # interleaved, so load changes hit both
        ratios.append(milliseconds(separable, x) / milliseconds(standard, x))
    timings.append((width, float(np.median(ratios))))
    print(f"C={width}: separable / standard time = {timings[-1][1]:.2f}")
"""

BLOCKS_SNIPPET = """
import zoo
from zoo.models.mobilenet import (
    apply_depthwise_separable_block,
    apply_inverted_residual_block,
)


def block_model(apply):
    inputs = keras.Input((14, 14, 64))
    return keras.Model(inputs, apply(inputs))


blocks = {
    "standard 3x3 conv + BN + ReLU6": block_model(
        lambda x: keras.layers.ReLU(6.0)(keras.layers.BatchNormalization()(
            keras.layers.Conv2D(64, 3, padding="same", use_bias=False)(x)))
    ),
    "v1: depthwise-separable": block_model(
        lambda x: apply_depthwise_separable_block(x, 64)
    ),
    "v2: inverted residual, t=6": block_model(
        lambda x: apply_inverted_residual_block(x, 64, expansion=6)
    ),
}
for name in $models:
    blocks[name] = zoo.create_model(name)
block_costs = {
    name: (model.count_params(), arithmetic.layer_table(model))
    for name, model in blocks.items()
}
"""


def write(guide):
    guide.section("Depthwise-separable convolution")
    guide.text(
        """
        A standard conv mixes space and channels at once: every output
        channel has a `K x K x C_in` kernel. A depthwise-separable conv
        splits this into a *depthwise* `K x K` conv that filters each
        input channel on its own, and a *pointwise* 1x1 conv that mixes
        the channels. The cost drops from `K^2 C_in C_out` to
        `K^2 C_in + C_in C_out` multiply-adds per position, a ratio of
        `1/C_out + 1/K^2`: for 3x3 kernels about 8-9x fewer FLOPs and
        parameters once `C_out` is large. MobileNet v1 is built from such
        blocks.
        """
    )
    guide.formula(
        """
        standard:  params = 9 C_in C_out + C_out
                   FLOPs  = 2 * 9 C_in C_out H W
        separable: params = 9 C_in + C_in C_out + C_out
                   FLOPs  = 2 * (9 C_in + C_in C_out) H W
        ratio = 1 / C_out + 1 / 9
        """
    )
    ns = guide.run(COST_SNIPPET)
    rows = []
    for width, p_std, p_sep, f_std, f_sep in ns["costs"]:
        ok = guide.check(
            f"Conv2D 3x3 C={width} params", 9 * width * width + width, p_std
        )
        ok &= guide.check(
            f"DepthwiseSeparableConv2D 3x3 C={width} params",
            9 * width + width * width + width,
            p_sep,
        )
        ok &= guide.check(
            f"FLOPs ratio C={width}: 1/C + 1/9 vs zoo.arithmetic",
            1 / width + 1 / 9,
            f_sep / f_std,
            tolerance=1e-12,
        )
        rows.append(
            (
                width,
                f"{p_std:,}",
                f"{p_sep:,}",
                f"{f_std:,}",
                f"{f_sep:,}",
                round(f_sep / f_std, 4),
                round(1 / width + 1 / 9, 4),
                guide.check_mark(ok),
            )
        )
    guide.table(
        (
            "C_in = C_out",
            "standard params",
            "separable params",
            "standard FLOPs",
            "separable FLOPs",
            "FLOPs ratio",
            "1/C + 1/9",
            "equal",
        ),
        rows,
    )
    guide.subsection("Fewer FLOPs is not always faster")
    guide.text(
        """
        The depthwise half does little arithmetic per byte it reads, and a
        separable layer runs two kernels instead of one, each with its own
        fixed overhead, so the time saved is smaller than the FLOPs saved,
        and for thin layers or small batches the separable layer can even
        be slower. Timed live while this guide was generated (forward
        pass, eager call, median of interleaved repeats; the machine may
        be busy):
        """
    )
    ns = guide.run(
        TIMING_SNIPPET,
        ns,
        widths="(8, 32)" if guide.quick else "(16, 64, 256)",
        batch=4 if guide.quick else 16,
        repeats=3 if guide.quick else 9,
    )
    guide.table(
        ("C", "FLOPs ratio", "measured time ratio"),
        [
            (w, round(1 / w + 1 / 9, 3), round(ratio, 2))
            for w, ratio in ns["timings"]
        ],
    )
    worse = [w for w, ratio in ns["timings"] if ratio > 1 / w + 1 / 9]
    slower = [w for w, ratio in ns["timings"] if ratio > 1]
    guide.text(
        f"The time ratio exceeded the FLOPs ratio for {len(worse)} of "
        f"{len(ns['timings'])} widths"
        + (
            f"; at C = {', '.join(map(str, slower))} the separable layer "
            "was even slower than the standard conv."
            if slower
            else "."
        )
    )
    _bench_table(guide)
    guide.subsection("MobileNet v1 and v2 blocks")
    guide.text(
        """
        MobileNet v2 turns the block inside out: a 1x1 conv first
        *expands* the channels `t` times, the depthwise 3x3 filters in that
        wide space, and a *linear* 1x1 conv projects back to a narrow
        bottleneck, with a residual connection between bottlenecks. The
        wide part is cheap because it is depthwise; the narrow ends keep
        the tensors passed between blocks small. Per block with 64
        channels on a 14x14 map, and for whole models:
        """
    )
    models = ("mnist_seed_cnn", "mnist_mobilenet_v1", "fashion_mobilenet_v2")
    # Quick mode skips the MobileNets: building them costs seconds on JAX.
    ns = guide.run(
        BLOCKS_SNIPPET, ns, models=repr(models[:1] if guide.quick else models)
    )
    rows = []
    for name, (count, table) in ns["block_costs"].items():
        params = sum(row["params"] for row in table)
        flops = sum(row["flops"] for row in table)
        ok = guide.check(
            f"{name}: sum of layer_params vs count_params", params, count
        )
        rows.append(
            (
                name,
                f"{params:,}",
                f"{count:,}",
                f"{flops:,}",
                guide.check_mark(ok),
            )
        )
    guide.table(
        (
            "block / model",
            "params (zoo.arithmetic)",
            "Keras params",
            "FLOPs",
            "equal",
        ),
        rows,
    )


def _bench_table(guide):
    path = bench_result("separable")
    if path is None:
        guide.text(
            "For a careful benchmark over more widths and train steps, run "
            "`python -m bench.separable`; its results then appear here."
        )
        return
    results = json.loads(path.read_text())
    meta = results.get("meta", {})
    keys = (
        "width",
        "mode",
        "flops_ratio",
        "zoo_time_ratio",
        "keras_time_ratio",
    )
    rows = [
        [_cell(row.get(k, "")) for k in keys] for row in results.get("rows", [])
    ]
    guide.text(
        f"The stored benchmark (`bench/results/{path.name}`, "
        f"{meta.get('cpu', '?')}, {meta.get('cores', '?')} cores, "
        f"{meta.get('backend', '?')} backend, {meta.get('date', '?')[:10]}"
        f"{', quick mode' if meta.get('quick') else ''}; "
        "`*_time_ratio` = separable / standard time, batch "
        f"{meta.get('sizes', {}).get('batch', '?')}):"
    )
    guide.table(keys, rows)


def _cell(value):
    return f"{value:.3f}" if isinstance(value, float) else value
