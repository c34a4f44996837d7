"""The code the benchmarks share: their CLI flags and printed report
(`bench.common`), the app start-up and HTTP client (`bench.app_server`)
and `load_test` in the `zoo-bench` suite.

Nothing here starts the app or times anything: the benchmarks' `run()`
is replaced by a fake that records its arguments.
"""

import contextlib
import http.server
import importlib
import json
import re
import subprocess
import sys
import threading

import pytest

from bench import app_server
from bench import cli
from bench import common
from bench import registry
from bench import update_readme
from tests.test_bench_suite import fake_meta

STANDARD = {"--help", "--quick", "--results-dir", "--no-progress"}
# Every benchmark CLI and the flags it takes.
FLAGS = {
    "layers": STANDARD,
    "separable": STANDARD,
    "streaming": STANDARD,
    "tcn": STANDARD | {"--race-budget"},
    "train_throughput": STANDARD - {"--no-progress"},
    "accuracy_plot": {"--help", "--results-dir", "--models"},
    "app_latency": STANDARD | {"--models", "--model"},
    "load_test": (STANDARD - {"--no-progress"})
    | {"--clients", "--requests", "--max-seconds", "--client"},
}


def fake_result(tmp_path):
    md = tmp_path / "fake.md"
    md.write_text("| from | file |\n")
    return {
        "name": "fake",
        "rows": [{"a": 1}],
        "meta": {**fake_meta(), "meets_goals": True},
        "markdown": "| a |\n|---|\n| 1 |",
        "paths": {"json": str(tmp_path / "fake.json"), "md": md},
    }


# --- Shared flags ----------------------------------------------------------


def option_strings(parser_help):
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", parser_help))


def test_benchmark_parser_defaults_and_values():
    parser = common.benchmark_parser("Title line.\n\nMore text.")
    assert parser.description == "Title line."
    assert option_strings(parser.format_help()) == STANDARD
    args = parser.parse_args([])
    assert common.run_kwargs(args) == {
        "results_dir": None,
        "quick": False,
        "show_progress": True,
    }
    args = parser.parse_args(["--quick", "--results-dir", "out"])
    args.no_progress = True
    assert common.run_kwargs(args) == {
        "results_dir": "out",
        "quick": True,
        "show_progress": False,
    }


def test_benchmark_parser_can_leave_out_quick_and_progress():
    parser = common.benchmark_parser(
        "Doc.", quick=None, no_progress=None, prog="p", description="D."
    )
    assert parser.prog == "p" and parser.description == "D."
    assert option_strings(parser.format_help()) == {"--help", "--results-dir"}
    args = parser.parse_args(["--results-dir", "x"])
    assert common.run_kwargs(args) == {"results_dir": "x"}
    with pytest.raises(SystemExit):
        parser.parse_args(["--quick"])


@pytest.mark.parametrize("name", sorted(FLAGS))
def test_every_benchmark_cli_keeps_its_flags(name, capsys):
    module = importlib.import_module(f"bench.{name}")
    with pytest.raises(SystemExit) as exit_info:
        module.main(["--help"])
    assert exit_info.value.code == 0
    assert option_strings(capsys.readouterr().out) == FLAGS[name]


def test_module_help_runs_as_a_script():
    result = subprocess.run(
        [sys.executable, "-m", "bench.separable", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert option_strings(result.stdout) == FLAGS["separable"]


# (module, argv, the keyword arguments its run() must get)
MAIN_CASES = [
    (
        "layers",
        ["--quick", "--results-dir", "r", "--no-progress"],
        {"quick": True, "results_dir": "r", "show_progress": False},
    ),
    (
        "separable",
        [],
        {"quick": False, "results_dir": None, "show_progress": True},
    ),
    (
        "streaming",
        ["--no-progress"],
        {"quick": False, "results_dir": None, "show_progress": False},
    ),
    (
        "tcn",
        ["--quick", "--race-budget", "2.5"],
        {
            "quick": True,
            "results_dir": None,
            "show_progress": True,
            "race_budget_s": 2.5,
        },
    ),
    (
        "train_throughput",
        ["--quick", "--results-dir", "r"],
        {"quick": True, "results_dir": "r"},
    ),
    (
        "accuracy_plot",
        ["--models", "m"],
        {"results_dir": None, "models_dir": "m"},
    ),
    (
        "app_latency",
        ["--quick", "--models", "m", "--model", "x", "--no-progress"],
        {
            "quick": True,
            "results_dir": None,
            "show_progress": False,
            "models_dir": "m",
            "model_name": "x",
        },
    ),
    (
        "load_test",
        ["--quick", "--clients", "3", "--client", "http"],
        {
            "quick": True,
            "results_dir": None,
            "clients": 3,
            "requests": None,
            "max_seconds": None,
            "client": "http",
        },
    ),
]


@pytest.mark.parametrize("name,argv,expected", MAIN_CASES)
def test_main_passes_flags_to_run_and_prints_the_result(
    name, argv, expected, tmp_path, monkeypatch, capsys
):
    module = importlib.import_module(f"bench.{name}")
    received = []

    def fake_run(**kwargs):
        received.append(kwargs)
        return fake_result(tmp_path)

    monkeypatch.setattr(module, "run", fake_run)
    code = module.main(argv)

    assert received == [expected]
    assert code in (None, 0)
    out = capsys.readouterr().out
    if name == "load_test":  # prints its Markdown file
        assert out == "| from | file |\n\n"
    else:
        assert "Machine: Test CPU, 2 cores" in out
        assert "| a |\n|---|\n| 1 |" in out
        assert f"Wrote {tmp_path / 'fake.json'}, {tmp_path / 'fake.md'}" in out


def test_load_test_rejects_a_client_count_below_one(capsys):
    from bench import load_test

    with pytest.raises(SystemExit) as exit_info:
        load_test.main(["--clients", "0"])
    assert exit_info.value.code == 2
    assert "--clients must be >= 1, got 0" in capsys.readouterr().err


# --- Printed report --------------------------------------------------------


def test_result_report_parts_in_order(tmp_path):
    result = fake_result(tmp_path)
    text = common.result_report(result, heading=True, notes=True)
    parts = text.split("\n\n")
    assert parts[0] == "## Fake benchmark"
    assert parts[1].startswith("Machine: Test CPU, 2 cores, load 1.0")
    assert parts[2] == "Made up by the test."
    assert parts[3] == result["markdown"]
    assert parts[4] == f"Wrote {tmp_path / 'fake.json'}, {tmp_path / 'fake.md'}"
    assert len(parts) == 5


def test_result_report_leaves_out_what_is_missing():
    assert common.result_report({"meta": {"title": "T"}}) == ""
    text = common.result_report({"markdown": "table"}, heading=True)
    assert text == "table"
    without_notes = common.result_report({"meta": fake_meta()})
    assert "Made up" not in without_notes
    assert without_notes.startswith("Machine: ")


def test_run_result_holds_the_table_and_paths_as_strings(tmp_path):
    rows = [{"a": 1, "b": 2.5}]
    paths = common.write_results("fake", rows, fake_meta(), tmp_path, ["b"])
    paths["png"] = tmp_path / "fake.png"

    result = common.run_result("fake", rows, fake_meta(), paths, ["b"])

    assert result["name"] == "fake" and result["rows"] is rows
    assert result["markdown"] == "| b |\n|---|\n| 2.500 |"
    assert result["paths"] == {
        "json": str(tmp_path / "fake.json"),
        "md": str(tmp_path / "fake.md"),
        "png": str(tmp_path / "fake.png"),
    }


# --- load_test in zoo-bench ------------------------------------------------


def test_load_test_is_in_the_suite():
    assert "load_test" in registry.BENCHMARKS
    assert registry.BENCHMARKS["load_test"].module == "bench.load_test"
    assert cli.parse_only(["load_test"]) == ["load_test"]
    assert registry.is_available(registry.BENCHMARKS["load_test"])


def test_zoo_bench_only_load_test_runs_it_quick(tmp_path, monkeypatch, capsys):
    from bench import load_test

    received = []

    def fake_run(quick, results_dir=None):
        received.append((quick, results_dir))
        return fake_result(tmp_path)

    monkeypatch.setattr(load_test, "run", fake_run)
    code = cli.main(
        ["--quick", "--only", "load_test", "--results-dir", str(tmp_path)]
    )

    assert code == 0
    assert received == [(True, str(tmp_path))]
    out = capsys.readouterr().out
    assert "## Fake benchmark" in out and "| a |" in out
    assert "| load_test | ok |" in out


def test_missing_app_is_not_available_not_failed(monkeypatch, capsys):
    from bench import load_test

    def fake_run(quick, results_dir=None):
        raise load_test.LoadTestUnavailable("psutil is not installed")

    monkeypatch.setattr(load_test, "run", fake_run)
    code = cli.main(["--only", "load_test"])

    assert code == 0
    out = capsys.readouterr().out
    assert "load_test: not available: psutil is not installed" in out


def test_load_test_report_names_quick_results_apart(tmp_path):
    pytest.importorskip("gradio")
    from bench import load_test

    session = load_test.Session(
        url="http://127.0.0.1:1/",
        pid=1,
        start_s=1.0,
        roles={"digit": {"name": "mnist_seed_cnn", "trained": False}},
        layer="conv",
        paths={},
        sources={},
        work_dir=tmp_path,
    )
    records = [(e, 10.0 + i, None) for i, e in enumerate(load_test.ENDPOINTS)]
    server = {
        "ready": 1e8,
        "after_warmup": 1e8,
        "middle": 1e8,
        "end": 1e8,
        "peak": 1e8,
        "cpu_s": 0.1,
        "clients_cpu_s": 0.1,
    }
    names = []
    for quick in (True, False):
        sizes = load_test.sizes_for(quick=quick)
        result = load_test.report(
            session, sizes, records, server, 1.0, tmp_path
        )
        names.append(result["name"])
        assert result["paths"]["md"] == tmp_path / f"{result['name']}.md"
        assert result["markdown"].startswith("| endpoint | requests |")
    assert names == ["load_test_quick", "load_test"]


def test_readme_reproduce_command_comes_from_the_run(tmp_path):
    meta = {**fake_meta(), "command": "python -m bench.load_test --client http"}
    common.write_results("load_test_http", [{"a": 1}], meta, tmp_path)
    common.write_results("separable_jax", [{"a": 1}], fake_meta(), tmp_path)

    section = update_readme.render_section(tmp_path, tmp_path)

    assert "Reproduce: `python -m bench.load_test --client http`." in section
    assert "Reproduce: `KERAS_BACKEND=jax zoo-bench --only separable`." in (
        section
    )


# --- App start-up ----------------------------------------------------------


def test_require_names_the_missing_module():
    app_server.require(("json",))
    with pytest.raises(app_server.AppUnavailable, match="no_such_zoo_mod"):
        app_server.require(("json", "no_such_zoo_mod"), "app")
    # A missing parent package, not only a missing module.
    missing = r"keras-conv-zoo\[app,bench\]"
    with pytest.raises(registry.Unavailable, match=missing):
        app_server.require(("no_such_zoo_pkg.child",), "app,bench")


def test_free_port_can_be_bound():
    import socket

    port = app_server.free_port()
    with socket.socket() as sock:
        sock.bind((app_server.HOST, port))


def test_first_conv_layer():
    import keras

    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Rescaling(1.0)(inputs)
    x = keras.layers.Conv2D(2, 3, name="first")(x)
    x = keras.layers.Conv2D(2, 3, name="second")(x)
    flat = keras.layers.Flatten()(x)
    assert app_server.first_conv_layer(keras.Model(inputs, x)) == "first"
    assert app_server.first_conv_layer(keras.Model(inputs, flat)) == "first"
    dense = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    assert app_server.first_conv_layer(dense) is None


class _Process:
    """Stands in for a `subprocess.Popen` of the app."""

    def __init__(self, returncode=None):
        self.returncode = returncode

    def poll(self):
        return self.returncode


class _FakeGradio(http.server.BaseHTTPRequestHandler):
    """The bits of Gradio's REST API that `HttpApi` uses."""

    calls = []

    def log_message(self, *args):
        pass

    def _send(self, body, content_type="application/json"):
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/":
            self._send("<html></html>", "text/html")
        elif self.path.startswith("/gradio_api/call/"):
            name = self.path.split("/")[3]
            if name == "broken":
                events = 'event: error\ndata: "boom"\n\n'
            else:
                url = f"http://{self.headers['Host']}/gradio_api/file=out.png"
                outputs = [{"label": "3"}, {"url": url}]
                events = (
                    "event: generating\ndata: null\n\n"
                    f"event: complete\ndata: {json.dumps(outputs)}\n\n"
                )
            self._send(events, "text/event-stream")
        elif self.path == "/gradio_api/file=out.png":
            type(self).calls.append("download")
            self._send("png", "image/png")
        else:
            self.send_error(404)

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/gradio_api/upload":
            type(self).calls.append("upload")
            self._send(json.dumps(["/uploaded/x.png"]))
        else:
            type(self).calls.append(json.loads(body))
            self._send(json.dumps({"event_id": "e1"}))


@contextlib.contextmanager
def fake_gradio():
    _FakeGradio.calls = []
    server = http.server.ThreadingHTTPServer((app_server.HOST, 0), _FakeGradio)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{app_server.HOST}:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def test_wait_until_ready_waits_for_the_log_marker(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("starting\n")
    with fake_gradio() as url:
        with pytest.raises(app_server.AppUnavailable, match="starting"):
            app_server.wait_until_ready(
                url, _Process(), log, timeout=1, log_marker="Warm-up done"
            )
        log.write_text("starting\nWarm-up done\n")
        app_server.wait_until_ready(
            url, _Process(), log, timeout=10, log_marker="Warm-up done"
        )
        app_server.wait_until_ready(url, _Process(), log, timeout=10)


def test_wait_until_ready_reports_an_exited_app(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("Traceback: no such model\n")
    with pytest.raises(app_server.AppUnavailable) as err:
        app_server.wait_until_ready(
            "http://127.0.0.1:1/", _Process(returncode=3), log, timeout=10
        )
    assert "exited with code 3" in str(err.value)
    assert "no such model" in str(err.value)


def test_http_api_uploads_calls_and_downloads(tmp_path):
    picture = tmp_path / "digit.png"
    picture.write_bytes(b"png")
    with fake_gradio() as url:
        api = app_server.HttpApi(url, timeout=10)
        try:
            file_data = api.upload(picture)
            outputs = api.call(file_data, "mnist", api_name="/predict")
            with pytest.raises(RuntimeError, match="/broken answered error"):
                api.call(file_data, api_name="/broken")
        finally:
            api.close()
    assert file_data == {
        "path": "/uploaded/x.png",
        "meta": {"_type": "gradio.FileData"},
    }
    assert outputs[0] == {"label": "3"}
    assert _FakeGradio.calls == [
        "upload",
        {"data": [file_data, "mnist"]},
        "download",
        {"data": [file_data]},
    ]
