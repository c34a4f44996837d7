"""Smoke tests: the TCN and streaming benchmarks run end to end.

They check that the benchmarks work and write their files, and that the
outputs they compare agree; timings are never asserted.
"""

import json

import numpy as np

from bench import common
from bench import streaming as bench_streaming
from bench import tcn as bench_tcn
from bench import tcn_models


def test_adding_problem_targets_are_the_marked_sums():
    # The benchmark trains on training.data's generator.
    x, y = tcn_models.adding_problem(5, 10, seed=0)
    assert x.shape == (5, 10, 2) and y.shape == (5, 1)
    markers = x[:, :, 1]
    np.testing.assert_array_equal(markers.sum(axis=1), 2.0)
    # One marker in each half of the sequence.
    np.testing.assert_array_equal(markers[:, :5].sum(axis=1), 1.0)
    expected = (x[:, :, 0] * markers).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(y, expected, rtol=1e-6)


def test_tcn_benchmark_quick(tmp_path, monkeypatch):
    monkeypatch.setenv(common.RESULTS_ENV, str(tmp_path / "unused"))
    result = bench_tcn.run(
        quick=True, results_dir=tmp_path, show_progress=False
    )

    assert result["name"].endswith("_quick")
    expected = bench_tcn.QUICK["timing_models"]
    assert [(r["model"], r["precision"]) for r in result["rows"]] == list(
        expected
    )
    for row in result["rows"]:
        if row["error"] is None:
            assert row["train_ms"] > 0 and row["infer_ms"] > 0
            assert row["params"] > 0
    assert result["rows"][0]["train_vs_zoo"] == 1.0
    assert {g["goal"] for g in result["goals"]} >= {
        "train step: zoo TCN vs keras-tcn, both float32"
    }
    race = result["race"]
    assert [r["model"] for r in race] == list(bench_tcn.QUICK["race_models"])
    for row in race:
        assert row["history"] and row["train_steps"] >= 1
        assert row["result"]

    saved = json.loads((tmp_path / f"{result['name']}.json").read_text())
    assert saved["meta"]["race"][0]["model"] == "zoo TCN"
    assert saved["meta"]["keras_tcn"]["save_check"]
    markdown = (tmp_path / f"{result['name']}.md").read_text()
    for heading in ("## Speed", "## Goals", "## Convergence race"):
        assert heading in markdown
    assert "Machine: " in markdown
    if "png" in result["paths"]:
        assert (tmp_path / f"{result['name']}.png").stat().st_size > 0
    assert not (tmp_path / "unused").exists()


def test_streaming_benchmark_quick(tmp_path):
    result = bench_streaming.run(
        quick=True, results_dir=tmp_path, show_progress=False
    )

    methods = {row["method"] for row in result["rows"]}
    assert methods == {
        "step",
        "streamer",
        "compiled no-op call",
        "recompute, last step only",
        "recompute, all steps",
    }
    for row in result["rows"]:
        assert row["ms_per_new_sample"] > 0
        if row["method"] == "compiled no-op call":
            continue
        # Both streams and both recompute paths give the full call's values.
        assert row["max_abs_diff"] < 1e-4, row
        if row["method"].startswith("recompute"):
            assert row["step_speedup"] > 0
    markdown = (tmp_path / f"{result['name']}.md").read_text()
    assert "| method | compiler |" in markdown
    assert json.loads((tmp_path / f"{result['name']}.json").read_text())
