"""Train-step and inference timings of the TCN benchmark's models, all in
one interleaved run, and the speed goals read from them."""

from keras import layers

from bench import common
from bench.tcn_models import adding_problem
from bench.tcn_models import build
from bench.tcn_models import keras_tcn
from bench.tcn_models import last_error_line
from bench.tcn_models import stacked_rnn
from bench.tcn_models import zoo_tcn

TRAIN_GOAL_VS_KERAS_TCN = 1.25
TRAIN_GOAL_VS_LSTM = 5.0
FP32, BF16 = "float32", "mixed_bfloat16"

# (goal, slower row, faster row, target speed-up), rows as (model, precision).
GOALS = (
    (
        "train step: zoo TCN vs keras-tcn, both float32",
        ("keras-tcn", FP32),
        ("zoo TCN", FP32),
        TRAIN_GOAL_VS_KERAS_TCN,
    ),
    (
        "train step: zoo TCN vs keras-tcn, both mixed_bfloat16",
        ("keras-tcn", BF16),
        ("zoo TCN", BF16),
        TRAIN_GOAL_VS_KERAS_TCN,
    ),
    (
        "train step: zoo TCN computing all steps vs keras-tcn, float32 "
        "(same work)",
        ("keras-tcn", FP32),
        ("zoo TCN, all steps", FP32),
        TRAIN_GOAL_VS_KERAS_TCN,
    ),
    (
        "train step: zoo TCN vs LSTM x2, both float32",
        ("LSTM x2", FP32),
        ("zoo TCN", FP32),
        TRAIN_GOAL_VS_LSTM,
    ),
)


def timing_candidates(sizes):
    """(model, precision, builder) triples; the first is the reference."""
    candidates = [
        ("zoo TCN", FP32, lambda: zoo_tcn(sizes)),
        ("zoo TCN", BF16, lambda: zoo_tcn(sizes)),
        ("zoo TCN, all steps", FP32, lambda: zoo_tcn(sizes, True)),
        ("keras-tcn", FP32, lambda: keras_tcn(sizes)),
        ("keras-tcn", BF16, lambda: keras_tcn(sizes)),
        ("LSTM x2", FP32, lambda: stacked_rnn(sizes, layers.LSTM)),
        ("GRU x2", FP32, lambda: stacked_rnn(sizes, layers.GRU)),
    ]
    chosen = sizes.get("timing_models")
    if chosen is None:
        return candidates
    return [c for c in candidates if (c[0], c[1]) in chosen]


def measure_speed(sizes, show_progress=True):
    """One row per timing candidate: params, error (or None) and the
    train/infer medians, spreads, samples and ratios to the first row."""
    x, y = adding_problem(sizes["batch"], sizes["steps"], seed=0)
    rows, fns = [], {}
    candidates = timing_candidates(sizes)
    for name, precision, builder in common.progress(
        candidates, "build", enabled=show_progress
    ):
        model, error = build(builder, precision)
        key = f"{name} [{precision}]"
        rows.append(
            {
                "model": name,
                "precision": precision,
                "params": model.count_params() if model else None,
                "error": error,
                "key": key,
            }
        )
        if model is None:
            continue
        try:
            model.train_on_batch(x, y)
            model.predict_on_batch(x)
        except Exception:  # noqa: BLE001
            rows[-1]["error"] = last_error_line()
            continue
        fns[f"train {key}"] = lambda m=model: m.train_on_batch(x, y)
        fns[f"infer {key}"] = lambda m=model: m.predict_on_batch(x)
    timings = common.time_interleaved(
        fns,
        repeats=sizes["repeats"],
        warmup=sizes["warmup"],
        progress_desc="timing" if show_progress else None,
    )
    reference = rows[0]["key"]
    for row in rows:
        key = row.pop("key")
        for mode in ("train", "infer"):
            result = timings.get(f"{mode} {key}")
            if result is None:
                continue
            row[f"{mode}_ms"] = result["median_ms"]
            row[f"{mode}_p10_ms"] = result["p10_ms"]
            row[f"{mode}_p90_ms"] = result["p90_ms"]
            row[f"{mode}_samples_ms"] = result["samples_ms"]
            base = timings.get(f"{mode} {reference}")
            if base is not None:
                # This row's time over the zoo TCN's (float32), per repeat.
                row[f"{mode}_vs_zoo"] = common.paired_ratio(result, base)
    return rows


def speed_goals(rows):
    """The issue's goals, each read from one interleaved timing run."""
    by_key = {(row["model"], row["precision"]): row for row in rows}

    def ratio(slow, fast):
        slow_row, fast_row = by_key.get(slow, {}), by_key.get(fast, {})
        if "train_samples_ms" not in slow_row:
            return None
        if "train_samples_ms" not in fast_row:
            return None
        return common.paired_ratio(
            {"samples_ms": slow_row["train_samples_ms"]},
            {"samples_ms": fast_row["train_samples_ms"]},
        )

    goals = []
    for goal, slow, fast, target in GOALS:
        value = ratio(slow, fast)
        goals.append(
            {
                "goal": goal,
                "target": f">= {target}x",
                "speedup": value,
                "met": None if value is None else value >= target,
            }
        )
    return goals
