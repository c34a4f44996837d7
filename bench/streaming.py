"""Benchmark: chunked TCN streaming vs recomputing and vs pytorch-tcn.

A causal `zoo.layers.TCN` streams (`stream`, compiled by
`make_streaming_fn`: `tf.function(jit_compile=True)` on TensorFlow,
`jax.jit` on JAX), keeping a buffer of the last `(kernel_size - 1) *
dilation` inputs of each dilated conv, so each new sample costs the same
whatever the stream's length. Side by side, interleaved, batch 1, with the
sequential-MNIST configuration of `seqmnist_tcn` (T=784, kernel 7,
dilations 1..128, 25 channels; receptive field 3,061 steps, longer than
the sequence, so "the receptive-field window" is the sequence so far):

- `step`: `stream` on chunks of 1, 8, 32 and 128 new samples, each
  output read back to NumPy; `pytorch_tcn_ms` is pytorch-tcn's own
  streaming (`TCN.inference` with its internal buffers, eval mode, 2
  threads) on the same architecture and chunk, timed in the same loop;
- `streamer`: the same through `StreamingTCN` (`tcn.make_streamer()`),
  which keeps the state itself (on TensorFlow in a `tf.Variable` the
  compiled function updates);
- `compiled no-op call`: a compiled `x + 1` on one sample, read back:
  what any compiled call costs on this machine, the floor under chunk 1;
- `recompute, last step only` / `recompute, all steps`: the compiled
  layer called again on the sequence so far (at T/2 and T) per new
  sample; `step_speedup` divides it by the chunk-1 stream.

`x_flop_floor` = time / (FLOPs per sample / GFLOP/s of a large compiled
conv measured in the same run): how far each row is from the work's cost.
Run with `python -m bench.streaming [--quick]`; results go to
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
TORCH_GOAL = 2.0

FULL = {
    "steps": 784,
    "nb_filters": 25,
    "kernel_size": 7,
    "dilations": (1, 2, 4, 8, 16, 32, 64, 128),
    "chunks": (1, 8, 32, 128),
    "repeats": 7,
    "warmup": 2,
    "samples_per_timing": 128,
}
QUICK = {
    "steps": 24,
    "nb_filters": 4,
    "kernel_size": 3,
    "dilations": (1, 2, 4),
    "chunks": (1, 4),
    "repeats": 2,
    "warmup": 1,
    "samples_per_timing": 4,
}

COLUMNS = [
    "method",
    "compiler",
    "chunk",
    "sequence_so_far",
    "ms_per_new_sample",
    "pytorch_tcn_ms",
    "vs_pytorch_tcn",
    "step_speedup",
    "x_flop_floor",
    "meets_goal",
    "max_abs_diff",
]


def compiler_name():
    return {
        "jax": "jax.jit",
        "tensorflow": "tf.function(jit_compile=True)",
    }.get(keras.backend.backend(), "eager")


def compile_fn(fn):
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return jax.jit(fn)
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, jit_compile=True)
    return fn


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


def flops_per_sample(tcn):
    """Multiply-adds x 2 of every conv for one new time step."""
    total = 0
    for block in tcn.blocks:
        for conv in (block.conv1, block.conv2, block.downsample):
            if conv is not None:
                total += 2 * int(np.prod(conv.kernel.shape))
    return total


class Stream:
    """Feeds consecutive chunks of `x` to `call` (`chunk -> outputs`, the
    state kept inside), wrapping around at the end (the state then simply
    keeps streaming)."""

    def __init__(self, call, x, chunk):
        self.call, self.chunk = call, chunk
        # Whole chunks only, so every call has the compiled shape.
        usable = x.shape[1] - x.shape[1] % chunk
        self.chunks = [x[:, t : t + chunk] for t in range(0, usable, chunk)]
        self.i = 0

    def advance(self, samples):
        for _ in range(max(1, samples // self.chunk)):
            y = self.call(self.chunks[self.i % len(self.chunks)])
            keras.ops.convert_to_numpy(y)
            self.i += 1


def step_stream(tcn, fn):
    """A fresh stream through `fn` (`tcn.make_streaming_fn()`, state in,
    state out) as `chunk -> outputs`, the state kept here."""
    state = [tcn.get_initial_state(1)]

    def call(chunk):
        y, state[0] = fn(chunk, state[0])
        return y

    return call


def streamer_stream(streamer):
    """A fresh stream through a `StreamingTCN`, which keeps its state."""
    streamer.reset()
    return streamer


def streamed_outputs(call, x, chunk):
    """Every step's output of `call`, a fresh stream, over `x` in
    `chunk`s."""
    outputs = [
        keras.ops.convert_to_numpy(call(x[:, t : t + chunk]))
        for t in range(0, x.shape[1], chunk)
    ]
    return np.concatenate(outputs, axis=1)


def torch_streams(sizes, x):
    """pytorch-tcn streaming per chunk size, or `{}` without it."""
    try:
        import torch
        from pytorch_tcn import TCN as TorchTCN
    except ImportError:
        return {}, None
    torch.set_num_threads(2)
    model = TorchTCN(
        1,
        [sizes["nb_filters"]] * len(sizes["dilations"]),
        kernel_size=sizes["kernel_size"],
        dilations=list(sizes["dilations"]),
        causal=True,
        use_skip_connections=True,
        input_shape="NLC",
    ).eval()
    xt = torch.from_numpy(x)
    fns = {}
    for chunk in sizes["chunks"]:
        chunks = [
            xt[:, t : t + chunk]
            for t in range(0, x.shape[1] - chunk + 1, chunk)
        ]
        state = {"i": 0}

        def advance(samples, chunk=chunk, chunks=chunks, state=state):
            with torch.no_grad():
                for _ in range(max(1, samples // chunk)):
                    model.inference(chunks[state["i"] % len(chunks)]).numpy()
                    state["i"] += 1

        fns[chunk] = advance
    return fns, getattr(__import__("pytorch_tcn"), "__version__", "?")


def large_conv(sizes):
    """A compiled conv big enough to run near the CPU's GFLOP/s."""
    c, k = sizes["nb_filters"], sizes["kernel_size"]
    x = keras.ops.ones((1, 16384, c))
    kernel = keras.ops.ones((k, c, c)) * 0.01
    conv = compile_fn(lambda a, b: keras.ops.conv(a, b, padding="same"))
    flops = 2 * k * c * c * 16384
    return (lambda: keras.ops.convert_to_numpy(conv(x, kernel))), flops


def run(quick=False, results_dir=None, show_progress=True):
    """Times chunked streaming, recompute and pytorch-tcn side by side;
    writes `streaming_<backend>.*`.

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
    steps, per_timing = sizes["steps"], sizes["samples_per_timing"]
    rng = np.random.default_rng(0)
    # Pixel intensities in [0, 1], one pixel per step, as sequential MNIST.
    x = rng.uniform(0.0, 1.0, (1, steps, 1)).astype("float32")
    all_steps, last_step = make_layers(sizes, x)
    full = keras.ops.convert_to_numpy(all_steps(x))
    fn = all_steps.make_streaming_fn()
    streamer = all_steps.make_streamer()
    torch_fns, torch_version = torch_streams(sizes, x)

    fns, rows = {}, []
    for chunk in common.progress(
        sizes["chunks"], "compile", enabled=show_progress
    ):
        if chunk in torch_fns:
            fns[f"torch {chunk}"] = lambda f=torch_fns[chunk]: f(per_timing)
        for method, new_stream in (
            ("step", lambda: step_stream(all_steps, fn)),
            ("streamer", lambda: streamer_stream(streamer)),
        ):
            diff = np.abs(streamed_outputs(new_stream(), x, chunk) - full).max()
            stream = Stream(new_stream(), x, chunk)
            fns[f"{method} {chunk}"] = lambda s=stream: s.advance(per_timing)
            rows.append(
                {
                    "method": method,
                    "chunk": chunk,
                    "sequence_so_far": "any (state)",
                    "max_abs_diff": float(diff),
                    "key": f"{method} {chunk}",
                }
            )
    noop = compile_fn(lambda a: a + 1.0)
    one = keras.ops.convert_to_tensor(x[:, :1])
    fns["no-op"] = lambda: keras.ops.convert_to_numpy(noop(one))
    rows.append(
        {
            "method": "compiled no-op call",
            "chunk": 1,
            "sequence_so_far": "—",
            "key": "no-op",
        }
    )
    for length in (steps // 2, steps):
        for method, layer in (
            ("recompute, last step only", last_step),
            ("recompute, all steps", all_steps),
        ):
            call = compile_fn(layer.__call__)
            prefix = x[:, :length]
            output = keras.ops.convert_to_numpy(call(prefix))
            output = output[:, -1] if output.ndim == 3 else output
            key = f"{method} {length}"
            fns[key] = lambda c=call, p=prefix: keras.ops.convert_to_numpy(c(p))
            rows.append(
                {
                    "method": method,
                    "chunk": 1,
                    "sequence_so_far": length,
                    "max_abs_diff": float(
                        np.abs(output - full[:, length - 1]).max()
                    ),
                    "key": key,
                }
            )
    fns["large conv"], conv_flops = large_conv(sizes)

    timings = common.time_interleaved(
        fns, repeats=sizes["repeats"], warmup=sizes["warmup"]
    )
    gflops = conv_flops / timings["large conv"]["median_ms"] / 1e6
    floor_ms = flops_per_sample(all_steps) / gflops / 1e6
    by_key = {}
    first = sizes["chunks"][0]
    # Recomputing is compared with the faster chunk-1 stream.
    fastest = min(
        (f"step {first}", f"streamer {first}"),
        key=lambda k: timings[k]["median_ms"],
    )
    for row in rows:
        key = row.pop("key")
        streams = row["method"] in ("step", "streamer")
        scale = per_timing if streams else 1
        samples = [t / scale for t in timings[key]["samples_ms"]]
        row["ms_per_new_sample"] = timings[key]["median_ms"] / scale
        row["x_flop_floor"] = row["ms_per_new_sample"] / floor_ms
        by_key[key] = {"samples_ms": samples}
        torch_key = f"torch {row['chunk']}"
        if streams and torch_key in timings:
            row["pytorch_tcn_ms"] = timings[torch_key]["median_ms"] / per_timing
            torch_samples = [
                t / per_timing for t in timings[torch_key]["samples_ms"]
            ]
            row["vs_pytorch_tcn"] = common.paired_ratio(
                {"samples_ms": torch_samples}, by_key[key]
            )
            row["meets_goal"] = row["vs_pytorch_tcn"] >= TORCH_GOAL
        elif row["method"].startswith("recompute"):
            row["step_speedup"] = common.paired_ratio(
                by_key[key], by_key[fastest]
            )
            row["meets_goal"] = row["step_speedup"] >= GOAL
    for row in rows:
        row["compiler"] = compiler_name()

    backend = keras.backend.backend()
    name = f"streaming_{backend}" + ("_quick" if quick else "")
    meta = {
        "title": (
            f"Chunked TCN streaming vs recompute and pytorch-tcn ({backend})"
        ),
        "notes": notes(sizes, last_step, gflops, floor_ms, torch_version),
        "quick": quick,
        "goal": GOAL,
        "torch_goal": TORCH_GOAL,
        "large_conv_gflops": gflops,
        "flop_floor_ms": floor_ms,
        "pytorch_tcn": torch_version,
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


def notes(sizes, tcn, gflops, floor_ms, torch_version):
    torch_note = (
        f"pytorch-tcn {torch_version} streaming (`inference`, eval, 2 "
        "threads, weight norm, skip connections, random weights)"
        if torch_version
        else "pytorch-tcn not installed"
    )
    return (
        f"TCN T={sizes['steps']}, kernel {sizes['kernel_size']}, "
        f"dilations {list(sizes['dilations'])}, {sizes['nb_filters']} "
        f"channels, receptive field {tcn.receptive_field} steps, batch 1, "
        "random (he_normal) weights, inputs uniform in [0, 1]. "
        f"`ms_per_new_sample`: median over {sizes['repeats']} interleaved "
        f"repeats after {sizes['warmup']} warm-up rounds; a step timing "
        f"streams {sizes['samples_per_timing']} samples in chunks of "
        "`chunk`, each output read back to NumPy. `pytorch_tcn_ms`: "
        f"{torch_note}, same chunks, same loop; `vs_pytorch_tcn` = its "
        f"time / ours (median of per-repeat ratios), goal >= {TORCH_GOAL}x. "
        "`streamer`: `StreamingTCN`, the state kept inside. "
        "Recompute = the compiled layer on the sequence so far per new "
        "sample (warm; compiling once per length is not counted); "
        "`step_speedup` = its time / the faster chunk-1 stream (step or "
        "streamer), goal >= "
        f"{GOAL}x. `x_flop_floor` = time / {floor_ms * 1e3:.2f} us, the "
        f"FLOPs of one sample at {gflops:.1f} GFLOP/s (a large compiled "
        "conv in the same run). `max_abs_diff`: outputs at every t vs the "
        "full `return_sequences=True` call. The machine is shared (2 "
        "cores): absolute times drift, interleaved ratios less."
    )


def main(argv=None):
    parser = common.benchmark_parser(__doc__, quick="tiny TCN, 2 repeats")
    args = parser.parse_args(argv)
    common.print_result(run(**common.run_kwargs(args)), notes=True)


if __name__ == "__main__":
    main()
