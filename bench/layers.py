"""Benchmark: the zoo's conv layers against their keras built-in equivalents.

Each case wraps one custom layer and its built-in twin in a one-layer
functional model, copies the custom weights into the built-in model (and
checks the outputs agree), then times both side by side, interleaved:

- forward: `model.predict_on_batch(x)` (compiled: tf.function on
  TensorFlow, jit on JAX),
- train step: `model.train_on_batch(x, y)` (Adam, MSE).

The goal is custom / built-in <= 1.05 for every pair that does the same
computation. Run it with `python -m bench.layers [--quick]`; the results
go to `bench/results/layers_<backend>.{json,md}` (or `--results-dir`, or
`$ZOO_BENCH_RESULTS_DIR`).
"""

import dataclasses
import logging
import math
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402
from keras import ops  # noqa: E402

import zoo  # noqa: E402
from bench import common  # noqa: E402

GOAL = 1.05

FULL = {
    "image": (32, 28, 28, 32),
    "image_filters": 64,
    "sequence": (32, 600, 32),
    "sequence_filters": 32,
    "dilations": (1, 4),
    "repeats": 40,
    "warmup": 3,
    "target_sample_ms": 50.0,
}
QUICK = {
    "image": (2, 8, 8, 4),
    "image_filters": 8,
    "sequence": (2, 32, 4),
    "sequence_filters": 4,
    # One dilation is enough to exercise every code path.
    "dilations": (4,),
    "repeats": 2,
    "warmup": 1,
    "target_sample_ms": 0.0,
}

TABLE_COLUMNS = [
    "case",
    "mode",
    "input",
    "custom_ms",
    "builtin_ms",
    "ratio",
    "ratio_of_medians",
    "meets_goal",
    "max_abs_diff",
    "same_jaxpr",
]


@dataclasses.dataclass(frozen=True)
class Case:
    """One custom layer and its built-in equivalent.

    `custom` and `builtin` map a symbolic input to a symbolic output.
    `same_computation` is False for informational pairs (such as weight
    normalisation, which adds work on purpose): they get no goal verdict
    and no weight copy.
    """

    name: str
    input_key: str
    custom: object
    builtin: object
    same_computation: bool = True


def reflect_then_conv2d(filters, kernel_size, dilation):
    """The built-in way to get reflection padding: `ops.pad` + valid conv."""

    def apply(x):
        total = dilation * (kernel_size - 1)
        pad = [total // 2, total - total // 2]
        x = ops.pad(x, [[0, 0], pad, pad, [0, 0]], mode="reflect")
        return layers.Conv2D(
            filters, kernel_size, dilation_rate=dilation, padding="valid"
        )(x)

    return apply


def make_cases(sizes):
    f2 = sizes["image_filters"]
    f1 = sizes["sequence_filters"]
    cases = []
    for d in sizes["dilations"]:
        cases += [
            Case(
                f"DilatedConv2D same d={d} vs Conv2D",
                "image",
                zoo.layers.DilatedConv2D(
                    f2, 3, dilation_rate=d, padding="same"
                ),
                layers.Conv2D(f2, 3, dilation_rate=d, padding="same"),
            ),
            Case(
                f"ReflectionConv2D d={d} vs ops.pad + Conv2D valid",
                "image",
                zoo.layers.ReflectionConv2D(f2, 3, dilation_rate=d),
                reflect_then_conv2d(f2, 3, d),
            ),
            Case(
                f"DilatedConv1D same d={d} vs Conv1D",
                "sequence",
                zoo.layers.DilatedConv1D(
                    f1, 3, dilation_rate=d, padding="same"
                ),
                layers.Conv1D(f1, 3, dilation_rate=d, padding="same"),
            ),
            Case(
                f"CausalConv1D d={d} vs Conv1D causal",
                "sequence",
                zoo.layers.CausalConv1D(f1, 3, dilation_rate=d),
                layers.Conv1D(f1, 3, dilation_rate=d, padding="causal"),
            ),
        ]
    cases += [
        Case(
            "DepthwiseSeparableConv2D vs SeparableConv2D",
            "image",
            zoo.layers.DepthwiseSeparableConv2D(f2, 3, padding="same"),
            layers.SeparableConv2D(f2, 3, padding="same"),
        ),
        Case(
            "CausalConv1D weight_norm d=4 vs Conv1D causal (info)",
            "sequence",
            zoo.layers.CausalConv1D(f1, 3, dilation_rate=4, weight_norm=True),
            layers.Conv1D(f1, 3, dilation_rate=4, padding="causal"),
            same_computation=False,
        ),
    ]
    return cases


def build_model(apply, input_shape):
    inputs = keras.Input(input_shape[1:], batch_size=input_shape[0])
    model = keras.Model(inputs, apply(inputs))
    model.compile(optimizer="adam", loss="mse")
    return model


def same_jax_program(custom, builtin, x, y):
    """On JAX, whether both models trace to the same gradient program
    (jaxpr); `None` on other backends. Equal programs mean any timing gap
    is noise, not an extra op in the layer."""
    if keras.backend.backend() != "jax":
        return None
    import jax

    def program(model):
        trainable = [v.value for v in model.trainable_variables]
        frozen = [v.value for v in model.non_trainable_variables]

        def loss(trainable):
            outputs, _ = model.stateless_call(trainable, frozen, x)
            return jax.numpy.mean((outputs - y) ** 2)

        return str(jax.make_jaxpr(jax.grad(loss))(trainable))

    return program(custom) == program(builtin)


def samples_per_call(fn, target_ms):
    """How many calls make one sample of about `target_ms` (short calls are
    averaged so timer resolution and jitter matter less)."""
    if target_ms <= 0:
        return 1
    once = common.time_fn(fn, repeats=3, warmup=1)["median_ms"]
    return max(1, math.ceil(target_ms / max(once, 1e-3)))


def measure_case(case, sizes):
    shape = sizes[case.input_key]
    custom = build_model(case.custom, shape)
    builtin = build_model(case.builtin, shape)
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype("float32")

    max_abs_diff = None
    if case.same_computation:
        builtin.set_weights(custom.get_weights())
        max_abs_diff = float(
            np.max(
                np.abs(custom.predict_on_batch(x) - builtin.predict_on_batch(x))
            )
        )
    y = np.zeros(custom.output_shape, "float32")
    same_program = same_jax_program(custom, builtin, x, y)

    modes = {
        "forward": (
            lambda: custom.predict_on_batch(x),
            lambda: builtin.predict_on_batch(x),
        ),
        "train step": (
            lambda: custom.train_on_batch(x, y),
            lambda: builtin.train_on_batch(x, y),
        ),
    }
    rows = []
    for mode, (run_custom, run_builtin) in modes.items():
        # Compile both before calibrating, so the first call's tracing does
        # not count as a slow call.
        run_custom()
        run_builtin()
        number = samples_per_call(run_builtin, sizes["target_sample_ms"])
        timings = common.time_interleaved(
            {"custom": run_custom, "builtin": run_builtin},
            repeats=sizes["repeats"],
            warmup=sizes["warmup"],
            number=number,
        )
        ratio = common.paired_ratio(timings["custom"], timings["builtin"])
        rows.append(
            {
                "case": case.name,
                "mode": mode,
                "input": "x".join(map(str, shape)),
                "custom_ms": timings["custom"]["median_ms"],
                "builtin_ms": timings["builtin"]["median_ms"],
                "ratio": ratio,
                "ratio_of_medians": timings["custom"]["median_ms"]
                / timings["builtin"]["median_ms"],
                "meets_goal": ratio <= GOAL if case.same_computation else None,
                "max_abs_diff": max_abs_diff,
                "same_jaxpr": same_program,
                "custom_p10_ms": timings["custom"]["p10_ms"],
                "custom_p90_ms": timings["custom"]["p90_ms"],
                "builtin_p10_ms": timings["builtin"]["p10_ms"],
                "builtin_p90_ms": timings["builtin"]["p90_ms"],
                "calls_per_sample": number,
                "repeats": sizes["repeats"],
            }
        )
    keras.backend.clear_session(free_memory=False)
    return rows


def run(quick=False, results_dir=None, show_progress=True):
    """Runs every case and writes `layers_<backend>[_quick].{json,md}`.

    Args:
        quick: bool. Tiny inputs and 2 repeats, to check that the benchmark
            works (the smoke test), not to measure anything.
        results_dir: folder for the results; see
            `bench.common.resolve_results_dir`.
        show_progress: bool. Show a progress bar over the cases.

    Returns:
        A dict with `name`, `rows`, `meta`, `markdown` (the table) and
        `paths` (the written files, as strings).
    """
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    sizes = QUICK if quick else FULL
    cases = make_cases(sizes)
    rows = []
    for case in common.progress(cases, "layers", enabled=show_progress):
        rows.extend(measure_case(case, sizes))

    backend = keras.backend.backend()
    name = f"layers_{backend}" + ("_quick" if quick else "")
    meta = {
        "title": f"Custom conv layers vs keras built-ins ({backend})",
        "notes": (
            "Forward = compiled `predict_on_batch`, train step = "
            "`train_on_batch` (Adam, MSE). Both sides are measured in the "
            "same run, interleaved (A B, B A, ...); times are medians of "
            f"{sizes['repeats']} samples in ms. `ratio` = median of the "
            "per-repeat custom/built-in ratios (robust to load drift); "
            f"goal: ratio <= {GOAL}. `max_abs_diff` compares the two "
            "outputs with the same weights; `same_jaxpr` (JAX only) says "
            "whether both models trace to the same gradient program."
        ),
        "quick": quick,
        "goal": GOAL,
        "sizes": dict(sizes),
        **common.machine_info(),
    }
    paths = common.write_results(
        name, rows, meta, results_dir=results_dir, columns=TABLE_COLUMNS
    )
    return common.run_result(name, rows, meta, paths, TABLE_COLUMNS)


def main(argv=None):
    parser = common.benchmark_parser(__doc__)
    args = parser.parse_args(argv)
    common.print_result(run(**common.run_kwargs(args)))


if __name__ == "__main__":
    main()
