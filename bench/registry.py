"""The benchmark suite: what `zoo-bench` runs and how its results are named.

Kept apart from the CLI (`bench.cli`) and the README writer
(`bench.update_readme`), which both read it, so neither imports the other.
Nothing here imports a benchmark module: a benchmark whose module or
dependencies are missing is still listed, as not available.
"""

import dataclasses
import importlib.util


class Unavailable(RuntimeError):
    """Raised by a benchmark whose requirements (an optional package, the
    app, data) are missing: reported as "not available", not a failure."""


@dataclasses.dataclass(frozen=True)
class Benchmark:
    """One benchmark of the suite.

    `result_prefix` is the stem its result files start with.
    """

    name: str
    module: str
    description: str
    result_prefix: str


BENCHMARKS = {
    b.name: b
    for b in (
        Benchmark(
            "layers",
            "bench.layers",
            "zoo conv layers vs their keras built-ins (forward, train step)",
            "layers",
        ),
        Benchmark(
            "tcn",
            "bench.tcn",
            "zoo TCN vs keras-tcn and alternatives",
            "tcn",
        ),
        Benchmark(
            "streaming",
            "bench.streaming",
            "TCN streaming inference vs recomputing the whole window",
            "streaming",
        ),
        Benchmark(
            "train_throughput",
            "bench.train_throughput",
            "training throughput of the zoo-train pipeline",
            "train_throughput",
        ),
        Benchmark(
            "separable",
            "bench.separable",
            "depthwise-separable vs standard conv: FLOPs vs time ratios",
            "separable",
        ),
        Benchmark(
            "app_latency",
            "bench.app_latency",
            "Gradio app latency through gradio_client (p50/p95/p99)",
            "app_latency",
        ),
        Benchmark(
            "load_test",
            "bench.load_test",
            "the Gradio app under concurrent API clients (errors, p99, RSS)",
            "load_test",
        ),
        Benchmark(
            "browser_latency",
            "bench.browser_latency",
            "mouse-up to label painted in headless Chromium, with breakdown",
            "browser_latency",
        ),
        Benchmark(
            "accuracy_plot",
            "bench.accuracy_plot",
            "accuracy vs params and FLOPs of the models in saved_models/",
            "accuracy",
        ),
    )
}


def is_available(benchmark):
    """Whether the benchmark's module exists (without importing it)."""
    try:
        return importlib.util.find_spec(benchmark.module) is not None
    except ModuleNotFoundError:
        return False


def benchmark_of(stem):
    """The benchmark that writes result files named `stem`, or None: the
    one with the longest `result_prefix` that `stem` starts with."""
    matches = [
        b
        for b in BENCHMARKS.values()
        if stem == b.result_prefix or stem.startswith(b.result_prefix + "_")
    ]
    return max(matches, key=lambda b: len(b.result_prefix), default=None)
