"""The `zoo-bench` suite: CLI, separable benchmark, accuracy plot, README
section and app latency, each run on tiny inputs.

These tests check that benchmarks run and write their files; they never
assert how fast anything is.
"""

import ast
import importlib.util
import json
import subprocess
import sys
import types

import keras
import pytest

from bench import accuracy_plot
from bench import cli
from bench import common
from bench import registry
from bench import update_readme

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def fake_meta(backend="jax"):
    return {
        "title": "Fake benchmark",
        "notes": "Made up by the test.",
        "cpu": "Test CPU",
        "usable_cores": 2,
        "load_average_1min": 1.0,
        "python": "3.11",
        "keras": "3.0",
        "backend": backend,
        "date": "2026-01-01",
    }


# --- CLI -------------------------------------------------------------------


def test_list_names_every_benchmark(capsys):
    assert cli.main(["--list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(registry.BENCHMARKS)


def test_unknown_benchmark_exits_2_with_one_line():
    result = subprocess.run(
        [sys.executable, "-m", "bench.cli", "--only", "separable,nope"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "unknown benchmark 'nope'" in lines[0]
    assert "separable" in lines[0]


def bench_imports(path):
    """The `bench` modules a file imports, local imports included."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "bench":
                found.update(alias.name for alias in node.names)
            elif node.module.startswith("bench."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(
                alias.name.split(".")[1]
                for alias in node.names
                if alias.name.startswith("bench.")
            )
    return found


def test_bench_modules_import_no_cycle():
    # cli and update_readme both read the registry; neither may import the
    # other (nor may any chain of bench modules loop back on itself).
    folder = common.BENCH_DIR
    graph = {p.stem: bench_imports(p) for p in folder.glob("*.py")}
    assert "cli" not in graph["update_readme"]
    done, path = set(), []

    def visit(name):
        assert name not in path, " -> ".join(path + [name])
        if name in done or name not in graph:
            return
        path.append(name)
        for imported in sorted(graph[name]):
            visit(imported)
        path.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)


def test_only_accepts_commas_and_repeats_in_suite_order():
    assert cli.parse_only(["separable,layers", "layers"]) == [
        "layers",
        "separable",
    ]


def test_missing_and_failing_benchmarks_are_reported(
    tmp_path, monkeypatch, capsys
):
    failing = types.ModuleType("zoo_bench_test_failing")

    def run(quick, results_dir=None):
        raise RuntimeError("boom")

    failing.run = run
    monkeypatch.setitem(sys.modules, failing.__name__, failing)
    monkeypatch.setitem(
        registry.BENCHMARKS,
        "ghost",
        registry.Benchmark("ghost", "bench.no_such_module", "missing", "ghost"),
    )
    monkeypatch.setitem(
        registry.BENCHMARKS,
        "broken",
        registry.Benchmark("broken", failing.__name__, "raises", "broken"),
    )

    code = cli.main(["--only", "ghost,broken", "--results-dir", str(tmp_path)])

    out = capsys.readouterr().out
    assert code == 1  # the failure counts, the missing module does not
    assert "ghost: not available: No module named 'bench.no_such_module'" in out
    assert "broken: failed: RuntimeError: boom" in out
    assert "| ghost | not available |" in out
    assert "| broken | failed |" in out


def test_separable_quick_writes_results(tmp_path, capsys):
    code = cli.main(
        [
            "--quick",
            "--only",
            "separable",
            "--results-dir",
            str(tmp_path),
        ]
    )

    assert code == 0
    name = f"separable_{keras.backend.backend()}_quick"
    saved = json.loads((tmp_path / f"{name}.json").read_text())
    assert (tmp_path / f"{name}.png").read_bytes().startswith(PNG_MAGIC)
    markdown = (tmp_path / f"{name}.md").read_text()
    assert "Machine: " in markdown and "| width | mode |" in markdown
    out = capsys.readouterr().out
    assert "| width | mode |" in out and "| separable | ok |" in out

    rows = saved["rows"]
    widths = [4, 8]
    assert [(r["width"], r["mode"]) for r in rows] == [
        (w, m) for w in widths for m in ("forward", "train step")
    ]
    for row in rows:
        c = row["width"]
        # 3x3 "same" conv, C -> C channels, per output position:
        # standard 9*C*C multiply-adds; separable 9*C + C*C.
        assert row["flops_ratio"] == pytest.approx(
            (9 * c + c * c) / (9 * c * c)
        )
        assert row["params_ratio"] == pytest.approx(
            (9 * c + c * c + c) / (9 * c * c + c)
        )
        for key in ("conv_ms", "zoo_sep_ms", "keras_sep_ms"):
            assert row[key] > 0
        assert row["zoo_time_ratio"] > 0 and row["keras_time_ratio"] > 0


def test_time_rotated_uses_every_order_and_warms_each_sample():
    from bench import separable

    calls = []
    fns = {name: (lambda n=name: calls.append(n)) for name in "abc"}
    timings = separable.time_rotated(fns, repeats=6, warmup=1, number=2)

    orders = ["abc", "acb", "bac", "bca", "cab", "cba"]
    # Warm-up, then per sample one untimed call and `number` timed ones.
    expected = list("abc") + [n for o in orders for n in o for _ in range(3)]
    assert calls == expected
    assert all(t["repeats"] == 6 for t in timings.values())


# --- README section --------------------------------------------------------


def write_fake_results(folder):
    common.write_results(
        "separable_jax", [{"width": 16, "ratio": 1.5}], fake_meta(), folder
    )
    (folder / "separable_jax.png").write_bytes(PNG_MAGIC)
    common.write_results(
        "layers_jax_quick", [{"case": "smoke"}], fake_meta(), folder
    )
    (folder / "layers_jax_quick.png").write_bytes(PNG_MAGIC)


def test_update_readme_replaces_only_the_section(tmp_path):
    results = tmp_path / "bench" / "results"
    results.mkdir(parents=True)
    write_fake_results(results)
    before = "# Project\n\nIntro.\n\n## Performance\n\n"
    after = "\n\n## Layout\n\nStays as it is.\n"
    readme = tmp_path / "README.md"
    readme.write_text(
        before
        + f"{update_readme.START}\nold table\n{update_readme.END}"
        + after
    )

    assert update_readme.update_readme(readme, results) is True

    text = readme.read_text()
    assert text.startswith(before + update_readme.START + "\n")
    assert text.endswith(update_readme.END + after)
    section = text[len(before) : -len(after)]
    assert "old table" not in section
    assert "### Fake benchmark" in section
    assert "Machine: Test CPU, 2 cores" in section
    assert "| 16 | 1.500 |" in section
    assert "![separable_jax](bench/results/separable_jax.png)" in section
    assert "`KERAS_BACKEND=jax zoo-bench --only separable`" in section
    assert "(bench/results/separable_jax.json)" in section
    assert "smoke" not in section and "quick" not in section
    # A second run finds nothing to change.
    assert update_readme.update_readme(readme, results) is False
    assert update_readme.update_readme(readme, results, check=True) is False


def test_update_readme_appends_markers_when_missing(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    write_fake_results(results)
    readme = tmp_path / "README.md"
    readme.write_text("# Project\n\nIntro.\n")

    assert update_readme.update_readme(readme, results, check=True) is True
    assert readme.read_text() == "# Project\n\nIntro.\n"  # check: no write
    update_readme.update_readme(readme, results)

    text = readme.read_text()
    assert text.startswith("# Project\n\nIntro.\n\n## Performance\n\n")
    assert text.count(update_readme.START) == 1
    assert text.rstrip().endswith(update_readme.END)
    assert "| 16 | 1.500 |" in text


def test_update_readme_rejects_a_lone_marker(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Project\n\n{update_readme.START}\n")
    with pytest.raises(ValueError, match="Received: 1 start and 0 end"):
        update_readme.update_readme(readme, tmp_path)


# --- Accuracy plot ---------------------------------------------------------


def write_card(folder, name, dataset, params, flops, metrics):
    card = {
        "name": name,
        "dataset": dataset,
        "params": params,
        "flops": flops,
        "metrics": metrics,
        "epochs_run": 3,
    }
    (folder / f"{name}.json").write_text(json.dumps(card))


def test_accuracy_plot_from_cards(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    write_card(models, "big", "mnist", 300_000, 6e7, {"test_accuracy": 0.99})
    write_card(models, "small", "mnist", 20_000, 2e6, {"test_accuracy": 0.97})
    write_card(models, "tcn", "adding", 70_000, None, {"test_mse": 0.001})
    (models / "notes.json").write_text(json.dumps({"name": "not a card"}))
    (models / "broken.json").write_text("{")

    result = accuracy_plot.run(results_dir=tmp_path, models_dir=models)

    assert [(r["dataset"], r["model"]) for r in result["rows"]] == [
        ("adding", "tcn"),
        ("mnist", "small"),
        ("mnist", "big"),
    ]
    assert result["rows"][0]["test_mse"] == 0.001
    for dataset in ("mnist", "adding"):
        png = tmp_path / f"accuracy_{dataset}.png"
        assert png.read_bytes().startswith(PNG_MAGIC)
    markdown = (tmp_path / "accuracy.md").read_text()
    assert "| mnist | big | 300000 |" in markdown
    assert "3 model card(s)" in markdown


def test_accuracy_plot_without_cards_says_so(tmp_path):
    models = tmp_path / "models"
    models.mkdir()

    result = accuracy_plot.run(results_dir=tmp_path, models_dir=models)

    assert result["rows"] == []
    assert "No model cards" in (tmp_path / "accuracy.md").read_text()
    assert not list(tmp_path.glob("*.png"))


# --- App latency -----------------------------------------------------------


@pytest.mark.large
def test_app_latency_quick(tmp_path):
    for module in ("gradio", "gradio_client", "apps.classifier"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not available")
    from bench import app_latency

    empty = tmp_path / "models"
    empty.mkdir()
    # No trained model there: the benchmark serves an untrained stand-in.
    result = app_latency.run(
        quick=True,
        results_dir=tmp_path,
        show_progress=False,
        models_dir=empty,
    )

    assert result["meta"]["trained_model"] is False
    endpoints = ["predict", "feature_maps", "predict + feature_maps"]
    assert [(row["client"], row["endpoint"]) for row in result["rows"]] == [
        (client, endpoint)
        for client in ("gradio_client", "http")
        for endpoint in endpoints
    ]
    for row in result["rows"]:
        assert row["requests"] == app_latency.QUICK["requests"]
        assert row["errors"] == 0, result["meta"]["errors"]
        assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"]
    assert (tmp_path / f"{result['name']}.md").is_file()
