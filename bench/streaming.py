"""Benchmark: streaming TCN inference vs recomputing per new sample.

A causal `zoo.layers.TCN` can run one step at a time (`step`), keeping a
buffer of the last `(kernel_size - 1) * dilation` inputs of each dilated
conv, so each new sample costs the same whatever the stream's length. The
alternative is to call the model again on the data seen so far every time
a sample arrives. With the sequential-MNIST configuration (T=784, kernel 7,
dilations 1..128, 25 channels) the receptive field is 3,061 steps, longer
than the sequence, so "the receptive-field window" is the whole sequence
so far: the recompute rows call the layer on the first `t + 1` samples.

Rows, all compiled (`jax.jit` on JAX, `tf.function` on TensorFlow, plus
`tf.function(jit_compile=True)` for the step) and timed side by side,
interleaved, batch 1:

- `step`: one `TCN.step` per new sample, streaming consecutive samples
  and reading each output back to NumPy;
- `recompute, last step only`: the `return_sequences=False` layer on the
  sequence so far; it computes only the steps that reach the last output;
- `recompute, all steps`: the `return_sequences=True` layer on the
  sequence so far, read at its last step (the full work, as keras-tcn
  does).

Recompute is timed at two lengths, `t + 1 = T/2` and `T` (its cost grows
with `t`; a real stream would also compile once per length). Outputs are
checked against the full call: `max_abs_diff`. Run it with
`python -m bench.streaming [--quick]`; results go to
`bench/results/streaming_<backend>.{json,md}`.
"""

import logging
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from bench import common  # noqa: E402
from zoo.layers import TCN  # noqa: E402

GOAL = 20.0

FULL = {
    "steps": 784,
    "nb_filters": 25,
    "kernel_size": 7,
    "dilations": (1, 2, 4, 8, 16, 32, 64, 128),
    "repeats": 9,
    "warmup": 2,
    "steps_per_sample": 32,
}
QUICK = {
    "steps": 24,
    "nb_filters": 4,
    "kernel_size": 3,
    "dilations": (1, 2, 4),
    "repeats": 2,
    "warmup": 1,
    "steps_per_sample": 4,
}

COLUMNS = [
    "method",
    "compiler",
    "sequence_so_far",
    "ms_per_new_sample",
    "step_speedup",
    "meets_goal",
    "max_abs_diff",
]


def compilers():
    """Name -> function compiler for the current backend."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return {"jax.jit": jax.jit}
    if backend == "tensorflow":
        import tensorflow as tf

        return {
            "tf.function": tf.function,
            "tf.function(jit_compile=True)": lambda fn: tf.function(
                fn, jit_compile=True
            ),
        }
    return {"eager": lambda fn: fn}


def make_layers(sizes, x):
    kwargs = {
        "nb_filters": sizes["nb_filters"],
        "kernel_size": sizes["kernel_size"],
        "dilations": sizes["dilations"],
    }
    all_steps = TCN(return_sequences=True, **kwargs)
    last_step = TCN(return_sequences=False, **kwargs)
    all_steps.build(x.shape)
    last_step.build(x.shape)
    last_step.set_weights(all_steps.get_weights())
    return all_steps, last_step


class Stream:
    """Feeds consecutive samples of `x` to a compiled `step`, wrapping
    around at the end (the state then simply keeps streaming)."""

    def __init__(self, tcn, step_fn, x):
        self.tcn = tcn
        self.step_fn = step_fn
        self.x = x
        self.state = tcn.get_initial_state(x.shape[0])
        self.t = 0

    def advance(self, count):
        for _ in range(count):
            sample = self.x[:, self.t % self.x.shape[1]]
            y, self.state = self.step_fn(sample, self.state)
            keras.ops.convert_to_numpy(y)
            self.t += 1


def stream_outputs(tcn, step_fn, x):
    """Every step's output of a fresh stream over `x`, `(batch, T, f)`."""
    state = tcn.get_initial_state(x.shape[0])
    outputs = []
    for t in range(x.shape[1]):
        y, state = step_fn(x[:, t], state)
        outputs.append(keras.ops.convert_to_numpy(y))
    return np.stack(outputs, axis=1)


def run(quick=False, results_dir=None, show_progress=True):
    """Times streaming vs recomputing; writes `streaming_<backend>.*`.

    Args:
        quick: bool. A tiny TCN and 2 repeats, to check that the benchmark
            works (the smoke test), not to measure anything.
        results_dir: folder for the results; see
            `bench.common.resolve_results_dir`.
        show_progress: bool. Show a progress bar.

    Returns:
        A dict with `name`, `rows`, `meta`, `markdown` and `paths`.
    """
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    sizes = QUICK if quick else FULL
    steps = sizes["steps"]
    rng = np.random.default_rng(0)
    # Pixel intensities in [0, 1], one pixel per step, as sequential MNIST.
    x = rng.uniform(0.0, 1.0, (1, steps, 1)).astype("float32")
    all_steps, last_step = make_layers(sizes, x)
    full = keras.ops.convert_to_numpy(all_steps(x))
    lengths = (steps // 2, steps)

    fns, rows = {}, []
    tasks = []
    for compiler_name, compile_fn in compilers().items():
        tasks.append(("step", compiler_name, compile_fn, None))
    first_compiler, first_compile = next(iter(compilers().items()))
    for length in lengths:
        for method in ("recompute, last step only", "recompute, all steps"):
            tasks.append((method, first_compiler, first_compile, length))

    per_sample = sizes["steps_per_sample"]
    for method, compiler_name, compile_fn, length in common.progress(
        tasks, "compile", enabled=show_progress
    ):
        key = f"{method} [{compiler_name}] {length}"
        if method == "step":
            step_fn = compile_fn(all_steps.step)
            streamed = stream_outputs(all_steps, step_fn, x)
            diff = np.abs(streamed - full).max()
            stream = Stream(all_steps, step_fn, x)
            fns[key] = lambda s=stream: s.advance(per_sample)
            so_far = "any (state)"
        else:
            layer = last_step if "last" in method else all_steps
            call = compile_fn(layer.__call__)
            prefix = x[:, :length]
            output = keras.ops.convert_to_numpy(call(prefix))
            if output.ndim == 3:
                output = output[:, -1]
            diff = np.abs(output - full[:, length - 1]).max()
            fns[key] = lambda c=call, p=prefix: keras.ops.convert_to_numpy(c(p))
            so_far = length
        rows.append(
            {
                "method": method,
                "compiler": compiler_name,
                "sequence_so_far": so_far,
                "max_abs_diff": float(diff),
                "key": key,
            }
        )

    timings = common.time_interleaved(
        fns, repeats=sizes["repeats"], warmup=sizes["warmup"]
    )
    for row in rows:
        key = row.pop("key")
        scale = per_sample if row["method"] == "step" else 1
        row["ms_per_new_sample"] = timings[key]["median_ms"] / scale
        row["samples_ms"] = [t / scale for t in timings[key]["samples_ms"]]
    best_step = min(
        (row for row in rows if row["method"] == "step"),
        key=lambda row: row["ms_per_new_sample"],
    )
    for row in rows:
        if row["method"] == "step":
            continue
        # Paired per repeat against the fastest step variant.
        row["step_speedup"] = common.paired_ratio(
            {"samples_ms": row["samples_ms"]},
            {"samples_ms": best_step["samples_ms"]},
        )
        row["meets_goal"] = row["step_speedup"] >= GOAL

    backend = keras.backend.backend()
    name = f"streaming_{backend}" + ("_quick" if quick else "")
    meta = {
        "title": f"Streaming TCN step vs recompute ({backend})",
        "notes": notes(sizes, last_step, best_step),
        "quick": quick,
        "goal": GOAL,
        "sizes": {
            k: list(v) if isinstance(v, tuple) else v for k, v in sizes.items()
        },
        "receptive_field": last_step.receptive_field,
        "max_abs_output": float(np.abs(full).max()),
        **common.machine_info(),
    }
    paths = common.write_results(
        name, rows, meta, results_dir=results_dir, columns=COLUMNS
    )
    return common.run_result(name, rows, meta, paths, COLUMNS)


def notes(sizes, tcn, best_step):
    return (
        f"TCN T={sizes['steps']}, kernel {sizes['kernel_size']}, "
        f"dilations {list(sizes['dilations'])}, {sizes['nb_filters']} "
        f"channels, receptive field {tcn.receptive_field} steps, batch 1, "
        "random (he_normal) weights, inputs uniform in [0, 1]. "
        "`ms_per_new_sample`: median over "
        f"{sizes['repeats']} interleaved repeats after {sizes['warmup']} "
        "warm-up rounds; a step sample streams "
        f"{sizes['steps_per_sample']} consecutive samples, each output "
        "read back to NumPy. Recompute = calling the compiled layer on the "
        "whole sequence so far (`sequence_so_far` samples; the receptive "
        "field is longer than the sequence, so that is the receptive-field "
        "window), warm: compiling once per length is not counted. "
        "`step_speedup` = recompute time / time of the fastest step variant "
        f"({best_step['compiler']}), median of per-repeat ratios; goal >= "
        f"{GOAL}x. `max_abs_diff`: step outputs at every t, and recompute "
        "outputs at t + 1 = `sequence_so_far`, vs the full "
        "`return_sequences=True` call. The machine is shared with other "
        "jobs (2 cores): absolute times drift, interleaved ratios less."
    )


def main(argv=None):
    parser = common.benchmark_parser(__doc__, quick="tiny TCN, 2 repeats")
    args = parser.parse_args(argv)
    common.print_result(run(**common.run_kwargs(args)), notes=True)


if __name__ == "__main__":
    main()
