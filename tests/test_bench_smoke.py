"""Smoke test: the layer benchmark runs end to end on tiny inputs.

It checks that the benchmark works and writes its files, not how fast
anything is: timings are never asserted in tests.
"""

import json

from bench import common
from bench import layers as bench_layers


def test_time_interleaved_alternates_and_summarizes():
    calls = []
    timings = common.time_interleaved(
        {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
        repeats=3,
        warmup=1,
    )
    assert calls == ["a", "b", "a", "b", "b", "a", "a", "b"]
    assert timings["a"]["repeats"] == 3
    assert len(timings["b"]["samples_ms"]) == 3
    assert common.paired_ratio(timings["a"], timings["a"]) == 1.0


def test_markdown_table_formats_cells():
    table = common.markdown_table(
        [{"case": "x", "ms": 12.345, "ok": False, "diff": None}]
    )
    assert table.splitlines() == [
        "| case | ms | ok | diff |",
        "|---|---|---|---|",
        "| x | 12.3 | **no** | — |",
    ]


def test_layers_benchmark_quick(tmp_path, monkeypatch):
    # Results must land in the folder given, never in bench/results/.
    monkeypatch.setenv(common.RESULTS_ENV, str(tmp_path / "unused"))
    result = bench_layers.run(
        quick=True, results_dir=tmp_path, show_progress=False
    )

    assert result["name"].endswith("_quick")
    cases = bench_layers.make_cases(bench_layers.QUICK)
    assert len(result["rows"]) == 2 * len(cases)
    for row in result["rows"]:
        assert row["mode"] in ("forward", "train step")
        assert row["custom_ms"] > 0 and row["builtin_ms"] > 0
        assert row["ratio"] > 0
        if row["max_abs_diff"] is not None:
            # Same weights, same computation: the outputs agree.
            assert row["max_abs_diff"] < 1e-4, row

    saved = json.loads((tmp_path / f"{result['name']}.json").read_text())
    assert saved["rows"] == result["rows"]
    assert saved["meta"]["backend"] == result["meta"]["backend"]
    assert saved["meta"]["cpu"]
    markdown = (tmp_path / f"{result['name']}.md").read_text()
    assert markdown.startswith("# Custom conv layers vs keras built-ins")
    assert "Machine: " in markdown
    assert "| case | mode |" in markdown
    assert not (tmp_path / "unused").exists()
