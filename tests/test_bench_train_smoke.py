"""Smoke test: the training-throughput benchmark runs end to end on 1,024
MNIST digits. Timings are published, never asserted."""

import json

from bench import common
from bench import train_throughput


def test_train_throughput_quick(tmp_path, monkeypatch, datasets_dir):
    monkeypatch.setenv("ZOO_DATA_DIR", str(datasets_dir))
    # Results must land in the folder given, never in bench/results/.
    monkeypatch.setenv(common.RESULTS_ENV, str(tmp_path / "unused"))

    result = train_throughput.run(quick=True, results_dir=tmp_path)

    assert result["name"].endswith("_quick")
    rows = result["rows"]
    assert [row["setup"] for row in rows] == [
        train_throughput.TUTORIAL,
        *train_throughput.QUICK["configs"],
    ]
    for row in rows:
        assert row["images"] == 1024
        assert row["images_per_s"] > 0 and row["epoch_s"] > 0
        assert row["speedup"] > 0
        assert 0.0 <= row["test_accuracy"] <= 1.0
    assert rows[0]["speedup"] == 1.0
    assert [row["batch"] for row in rows] == [128, 512]

    saved = json.loads((tmp_path / f"{result['name']}.json").read_text())
    assert saved["rows"] == rows
    assert saved["meta"]["cpu"] and saved["meta"]["goal"] == 2.0
    markdown = (tmp_path / f"{result['name']}.md").read_text()
    assert markdown.startswith("# Training throughput: zoo-train vs")
    assert "| setup | batch | images_per_s |" in markdown
    # The benchmark must not leave a mixed-precision policy behind.
    import keras

    assert keras.mixed_precision.global_policy().name == "float32"
