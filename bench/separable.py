"""Benchmark: depthwise-separable vs standard 3x3 conv, FLOPs vs time.

A 3x3 separable conv needs `1/C_out + 1/9` of the FLOPs of a standard 3x3
conv, so at 256 channels it does about 12 % of the work. Whether it also
takes 12 % of the time depends on the hardware: a depthwise conv does few
multiply-adds per byte it moves, so it runs at a small fraction of the
FLOP/s a dense conv reaches. This benchmark puts the two ratios side by
side, at several widths, for

- `zoo.layers.DepthwiseSeparableConv2D` (the zoo's layer),
- `keras.layers.SeparableConv2D` (keras' own),

each against `keras.layers.Conv2D` with the same input, filters, kernel
and padding, one layer per model, all three timed in the same run, in
rotating order (see `time_rotated`): forward (`predict_on_batch`) and
train step (`train_on_batch`, Adam, MSE). FLOPs come from `zoo.arithmetic`
(per example, 2 per multiply-add).

Run it with `python -m bench.separable [--quick]` or
`zoo-bench --only separable`; results go to
`bench/results/separable_<backend>.{json,md,png}`.
"""

import itertools
import logging
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

import zoo  # noqa: E402
from bench import common  # noqa: E402
from bench.layers import build_model  # noqa: E402
from bench.layers import samples_per_call  # noqa: E402
from zoo import arithmetic  # noqa: E402

FULL = {
    "widths": (16, 32, 64, 128, 256),
    "spatial": 14,
    "batch": 32,
    "repeats": 18,  # three times each order of the three layers
    "warmup": 2,
    "target_sample_ms": 50.0,
}
QUICK = {
    "widths": (4, 8),
    "spatial": 6,
    "batch": 2,
    "repeats": 2,
    "warmup": 1,
    "target_sample_ms": 0.0,
}

CANDIDATES = {
    "conv": lambda c: layers.Conv2D(c, 3, padding="same"),
    "zoo_sep": lambda c: zoo.layers.DepthwiseSeparableConv2D(
        c, 3, padding="same"
    ),
    "keras_sep": lambda c: layers.SeparableConv2D(c, 3, padding="same"),
}

TABLE_COLUMNS = [
    "width",
    "mode",
    "input",
    "conv_ms",
    "zoo_sep_ms",
    "keras_sep_ms",
    "flops_ratio",
    "zoo_time_ratio",
    "keras_time_ratio",
    "zoo_faster",
    "conv_gflop_s",
    "zoo_sep_gflop_s",
]


def time_rotated(fns, repeats, warmup, number):
    """Like `common.time_interleaved`, balanced for three or more callables.

    With A B C, C B A, ... the middle callable never runs twice in a row
    while the others do at every turn, and on a CPU the second call finds
    warm caches: at width 128 the zoo's and keras' separable layers (the
    same ops) then differed by 9-14 %, and by 1 % with this scheme.
    Here repeat `r` uses the `r`-th permutation of the callables, and each
    sample starts with one untimed call, so every sample measures a warm
    callable whatever ran before it.
    """
    orders = list(itertools.permutations(fns))
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    samples = {name: [] for name in fns}
    for r in range(repeats):
        for name in orders[r % len(orders)]:
            fn = fns[name]
            fn()
            start = time.perf_counter()
            for _ in range(number):
                fn()
            elapsed = time.perf_counter() - start
            samples[name].append(elapsed * 1000.0 / number)
    return {
        name: {**common.summarize(values), "samples_ms": values}
        for name, values in samples.items()
    }


def model_flops(model):
    """Forward FLOPs per example of a model, by `zoo.arithmetic`."""
    return sum(arithmetic.count_flops(model).values())


def measure_width(width, sizes):
    shape = (sizes["batch"], sizes["spatial"], sizes["spatial"], width)
    models = {
        name: build_model(make_layer(width), shape)
        for name, make_layer in CANDIDATES.items()
    }
    flops = {name: model_flops(m) for name, m in models.items()}
    params = {name: m.count_params() for name, m in models.items()}
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype("float32")
    y = np.zeros(shape, "float32")

    modes = {
        "forward": {
            name: (lambda m=m: m.predict_on_batch(x))
            for name, m in models.items()
        },
        "train step": {
            name: (lambda m=m: m.train_on_batch(x, y))
            for name, m in models.items()
        },
    }
    rows = []
    for mode, fns in modes.items():
        for fn in fns.values():
            fn()  # compile before calibrating
        number = samples_per_call(fns["zoo_sep"], sizes["target_sample_ms"])
        timings = time_rotated(
            fns,
            repeats=sizes["repeats"],
            warmup=sizes["warmup"],
            number=number,
        )
        zoo_ratio = common.paired_ratio(timings["zoo_sep"], timings["conv"])
        keras_ratio = common.paired_ratio(timings["keras_sep"], timings["conv"])
        forward = mode == "forward"
        row = {
            "width": width,
            "mode": mode,
            "input": "x".join(map(str, shape)),
            "conv_ms": timings["conv"]["median_ms"],
            "zoo_sep_ms": timings["zoo_sep"]["median_ms"],
            "keras_sep_ms": timings["keras_sep"]["median_ms"],
            "flops_ratio": flops["zoo_sep"] / flops["conv"],
            "params_ratio": params["zoo_sep"] / params["conv"],
            "zoo_time_ratio": zoo_ratio,
            "keras_time_ratio": keras_ratio,
            "zoo_faster": zoo_ratio < 1.0,
            # Throughput is quoted for the forward pass only: a train
            # step's FLOPs depend on what autodiff happens to compute.
            "conv_gflop_s": _gflop_s(flops["conv"], shape[0], timings["conv"])
            if forward
            else None,
            "zoo_sep_gflop_s": _gflop_s(
                flops["zoo_sep"], shape[0], timings["zoo_sep"]
            )
            if forward
            else None,
            "flops_per_example": flops,
            "params": params,
            "calls_per_sample": number,
            "repeats": sizes["repeats"],
        }
        for name in CANDIDATES:
            row[f"{name}_p10_ms"] = timings[name]["p10_ms"]
            row[f"{name}_p90_ms"] = timings[name]["p90_ms"]
        rows.append(row)
    keras.backend.clear_session(free_memory=False)
    return rows


def _gflop_s(flops_per_example, batch, timing):
    return flops_per_example * batch / (timing["median_ms"] * 1e6)


def plot(rows, path, title):
    """FLOPs ratio and measured time ratios against the width, one PNG.

    Returns the path, or `None` when matplotlib is not installed.
    """
    fig = common.new_figure(figsize=(6.4, 4.2))
    if fig is None:
        return None
    from matplotlib.ticker import FormatStrFormatter
    from matplotlib.ticker import LogLocator
    from matplotlib.ticker import NullFormatter

    widths = sorted({row["width"] for row in rows})

    def series(mode, key):
        by_width = {r["width"]: r[key] for r in rows if r["mode"] == mode}
        return [by_width[w] for w in widths]

    ax = fig.subplots()
    ax.plot(
        widths,
        series("forward", "flops_ratio"),
        "k--o",
        label="FLOPs ratio (zoo.arithmetic)",
    )
    styles = {
        ("zoo_time_ratio", "forward"): ("C0-o", "zoo separable, forward"),
        ("zoo_time_ratio", "train step"): ("C0:s", "zoo separable, train step"),
        ("keras_time_ratio", "forward"): ("C1-^", "keras separable, forward"),
        ("keras_time_ratio", "train step"): (
            "C1:v",
            "keras separable, train step",
        ),
    }
    for (key, mode), (style, label) in styles.items():
        ax.plot(widths, series(mode, key), style, label=f"time ratio: {label}")
    ax.axhline(1.0, color="grey", linewidth=0.8)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xticks(widths, [str(w) for w in widths])
    ax.set_xlabel("channels in = channels out")
    ax.set_ylabel("separable / standard 3x3 conv")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="best")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def run(quick=False, results_dir=None, show_progress=True):
    """Measures every width and writes `separable_<backend>[_quick].*`.

    Args:
        quick: bool. Tiny inputs and 2 repeats, to check that the benchmark
            works (the smoke test), not to measure anything.
        results_dir: folder for the results; see
            `bench.common.resolve_results_dir`.
        show_progress: bool. Show a progress bar over the widths.

    Returns:
        A dict with `name`, `rows`, `meta`, `markdown` (the table) and
        `paths` (the written files, as strings).
    """
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    sizes = QUICK if quick else FULL
    load_before = os.getloadavg()[0]
    rows = []
    for width in common.progress(
        sizes["widths"], "separable", enabled=show_progress
    ):
        rows.extend(measure_width(width, sizes))

    backend = keras.backend.backend()
    name = f"separable_{backend}" + ("_quick" if quick else "")
    meta = {
        "title": f"Depthwise-separable vs standard 3x3 conv ({backend})",
        "notes": (
            'One 3x3 `padding="same"` layer per model, channels in = '
            "channels out = `width`, batch "
            f"{sizes['batch']}, {sizes['spatial']}x{sizes['spatial']} "
            "inputs. `flops_ratio` = separable / standard FLOPs from "
            "`zoo.arithmetic` (`1/width + 1/9`); `*_time_ratio` = median "
            "of the per-repeat separable / `keras.layers.Conv2D` time "
            "ratios, all three layers timed in the same run, each repeat "
            "in another order, each sample after an untimed warm call "
            f"({sizes['repeats']} samples each, medians in ms). "
            "`zoo_faster`: the zoo's separable layer beats the standard "
            "conv. `*_gflop_s`: forward FLOP/s reached. Fewer FLOPs is "
            "not always faster: compare the two ratio columns."
        ),
        "quick": quick,
        "sizes": dict(sizes),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
        **common.machine_info(),
    }
    paths = common.write_results(
        name, rows, meta, results_dir=results_dir, columns=TABLE_COLUMNS
    )
    png = plot(
        rows,
        common.resolve_results_dir(results_dir) / f"{name}.png",
        f"Separable / standard 3x3 conv, batch {sizes['batch']}, "
        f"{sizes['spatial']}x{sizes['spatial']} ({backend})",
    )
    if png is not None:
        paths["png"] = png
    return common.run_result(name, rows, meta, paths, TABLE_COLUMNS)


def main(argv=None):
    parser = common.benchmark_parser(__doc__)
    args = parser.parse_args(argv)
    common.print_result(run(**common.run_kwargs(args)))


if __name__ == "__main__":
    main()
