"""Section 8: temporal convolutional networks."""

import json

import keras

from bench.common import BENCH_DIR as _BENCH_PACKAGE
from bench.tcn_report import TIMING_COLUMNS

# The committed benchmark results that sections 8 and 9 quote.
BENCH_DIR = _BENCH_PACKAGE / "results"
# The benchmark's own timing table, less its error column.
BENCH_COLUMNS = [c for c in TIMING_COLUMNS if c != "error"]


def bench_result(prefix):
    """The stored `bench/results/<prefix>_*.json` for this backend (else
    the first one found), or None when that benchmark was never run."""
    path = BENCH_DIR / f"{prefix}_{keras.backend.backend()}.json"
    if path.is_file():
        return path
    found = sorted(BENCH_DIR.glob(f"{prefix}_*.json"))
    return found[0] if found else None


FIELD_SNIPPET = """
import numpy as np
import keras
from tools.concepts.measure import gradient_support, positive_copy
from zoo.layers import TCN

configs = $configs  # (kernel size, dilations, stacks)
tcn_fields = []
for k, dilations, stacks in configs:
    inputs = keras.Input(($steps, 1))
    tcn = TCN(8, kernel_size=k, dilations=dilations, nb_stacks=stacks)
    model = keras.Model(inputs, tcn(inputs))  # output: the last step
    formula = 1 + 2 * (k - 1) * stacks * sum(dilations)
    # Measured: how many input steps move the last output.
    x = np.random.default_rng(0).uniform(0.1, 1, (1, $steps, 1))
    support = gradient_support(positive_copy(model), x.astype("float32"), 0)
    measured = int(support.sum())
    tcn_fields.append(
        (k, dilations, stacks, formula, tcn.receptive_field, measured)
    )
    print(f"k={k} dilations={dilations} stacks={stacks}: "
          f"formula {formula}, TCN.receptive_field {tcn.receptive_field}, "
          f"measured {measured}")
"""

STREAM_SNIPPET = """
rng = np.random.default_rng(0)
x = rng.standard_normal((2, $steps, 3)).astype("float32")
tcn = TCN(nb_filters=16, kernel_size=3, dilations=[1, 2, 4, 8],
          return_sequences=True)
full = keras.ops.convert_to_numpy(tcn(x))  # every step in one call

state = tcn.get_initial_state(batch_size=2)  # one buffer per dilated conv
print("buffers:", [tuple(buffer.shape) for buffer in state][:4], "...")
streamed = []
for t in range(x.shape[1]):  # one new step at a time, as it arrives
    y_t, state = tcn.step(x[:, t, :], state)
    streamed.append(keras.ops.convert_to_numpy(y_t))
streamed = np.stack(streamed, axis=1)
stream_error = float(np.abs(streamed - full).max())
print("full call", full.shape, "| streamed", streamed.shape,
      "| max |step - full| =", stream_error)
"""


def write(guide):
    guide.section("Temporal convolutional networks (TCN)")
    guide.text(
        """
        A TCN (Bai et al., 2018) models sequences with stacks of *causal*
        dilated 1-D convolutions: output `t` sees only inputs `<= t`
        (the sequence is padded on the left only), and dilations
        `1, 2, 4, ...` make the field grow exponentially with depth. Each
        residual block holds two dilated convs, so a block adds
        `2 (k - 1) d` steps, and `nb_stacks` repeats the dilation list.
        Below the formula, the `TCN.receptive_field` property and the
        number of input steps with a non-zero gradient on the last output
        are compared.
        """
    )
    guide.formula("RF = 1 + 2 (k - 1) * nb_stacks * sum(dilations)")
    configs = [(2, [1, 2, 4, 8], 1), (3, [1, 2, 4, 8], 2), (4, [1, 3, 9], 1)]
    ns = guide.run(
        FIELD_SNIPPET,
        steps=160,
        configs=repr(configs[1:2] if guide.quick else configs),
    )
    rows = []
    for k, dilations, stacks, formula, prop, measured in ns["tcn_fields"]:
        label = f"TCN k={k} d={dilations} stacks={stacks}"
        ok = guide.check(f"{label}: formula vs receptive_field", formula, prop)
        ok &= guide.check(
            f"{label}: receptive_field vs gradient", prop, measured
        )
        rows.append(
            (k, str(dilations), stacks, formula, prop, measured)
            + (guide.check_mark(ok),)
        )
    guide.table(
        (
            "k",
            "dilations",
            "nb_stacks",
            "formula",
            "TCN.receptive_field",
            "measured (gradient)",
            "equal",
        ),
        rows,
    )
    guide.subsection("Why a TCN trains in parallel and an RNN does not")
    guide.text(
        """
        An RNN must compute step `t - 1` before step `t`: training on a
        sequence of `T` steps is `T` small sequential matrix products,
        forwards and again backwards. A TCN's convolutions see the whole
        training sequence at once, so every step of every layer is
        computed in one large, parallel operation, which is what CPUs and
        GPUs are fast at. The price is memory for the activations of all
        steps, and at inference a TCN needs its last `RF` inputs where an
        RNN keeps one state vector (but see streaming below).
        """
    )
    _bench_table(guide)
    guide.subsection("Streaming inference")
    guide.text(
        """
        A causal TCN can still run step by step: each dilated conv only
        needs its last `(k - 1) d` inputs, so `TCN.step` keeps one small
        buffer per conv and computes one new output per call, at a cost
        independent of how long the stream has been running. The result
        is the same as the full call on the whole sequence:
        """
    )
    ns = guide.run(STREAM_SNIPPET, ns, steps=24 if guide.quick else 64)
    guide.check(
        "TCN.step vs full call, max abs diff (<= 1e-4)",
        0.0,
        ns["stream_error"],
        tolerance=1e-4,
    )
    _streaming_table(guide)


def _bench_table(guide):
    path = bench_result("tcn")
    if path is None:
        guide.text(
            "No TCN benchmark results are stored yet: run "
            "`python -m bench.tcn` to measure train-step times of the zoo "
            "TCN, keras-tcn, LSTM and GRU on this machine; this guide then "
            "shows them here."
        )
        return
    results = json.loads(path.read_text())
    rows = results.get("rows", [])
    meta = results.get("meta", {})
    columns = [c for c in BENCH_COLUMNS if any(c in row for row in rows)]
    guide.text(
        f"Measured by `python -m bench.tcn` (`bench/results/{path.name}`; "
        f"{meta.get('cpu', '?')}, {meta.get('cores', '?')} cores, "
        f"{meta.get('backend', '?')} backend, {meta.get('date', '?')[:10]}"
        f"{', quick mode' if meta.get('quick') else ''}): "
        "train step and inference per batch, in ms."
    )
    guide.table(
        columns,
        [[_bench_cell(row.get(c, "")) for c in columns] for row in rows],
    )
    if meta.get("notes"):
        guide.text(f"Benchmark notes: {meta['notes']}")
    race = meta.get("race") or []
    if race:
        budget = meta.get("sizes", {}).get("race_budget_s", "?")
        guide.text(
            "The same run also races the models on the adding problem: each "
            "trains on the same stream of fresh batches, in turns, until its "
            f"test MSE drops below 0.01 or it has trained for {budget} s "
            "(predicting the mean scores about 0.167)."
        )
        guide.table(
            ("model", "params", "result", "best test MSE", "train steps"),
            [
                [
                    row["model"],
                    f"{row['params']:,}",
                    row["result"],
                    _bench_cell(row["best_mse"]),
                    f"{row['train_steps']:,}",
                ]
                for row in race
            ],
        )


def _streaming_table(guide):
    rows = []
    for path in sorted(BENCH_DIR.glob("streaming_*.json")):
        results = json.loads(path.read_text())
        if results.get("meta", {}).get("quick"):
            continue
        backend = results.get("meta", {}).get("backend", path.stem)
        for row in results.get("rows", []):
            rows.append(
                [
                    backend,
                    f"{row['method']} ({row.get('compiler', '?')})",
                    str(row.get("chunk", 1)),
                    str(row["sequence_so_far"]),
                    _bench_cell(row["ms_per_new_sample"]),
                    _bench_cell(row.get("step_speedup") or "—"),
                ]
            )
    if not rows:
        guide.text(
            "Run `python -m bench.streaming` to time `TCN.step` against "
            "recomputing the window for every new sample; this guide then "
            "shows the result here."
        )
        return
    guide.text(
        "Measured by `python -m bench.streaming` (`bench/results/"
        "streaming_*.json`): milliseconds per new sample for the 784-step "
        "sequential-MNIST TCN, streaming `chunk` samples per call "
        "(`step`: `make_streaming_fn`, state in and out; `streamer`: "
        "`StreamingTCN`, which keeps the state) vs calling the layer on "
        "the whole sequence so far (`speedup` = recompute / the faster "
        "chunk-1 stream). A compiled call that does nothing is the floor "
        "under chunk 1."
    )
    guide.table(
        (
            "backend",
            "method",
            "chunk",
            "sequence so far",
            "ms / new sample",
            "speedup",
        ),
        rows,
    )


def _bench_cell(value):
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return value
