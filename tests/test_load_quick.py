"""The load test's quick variant (2 clients x 10 requests) against a real
app process, and the app's safety defaults probed over HTTP on the same
server: loopback only, no server file through a request, bounded uploads.

Starting the app takes 30-60 s on 2 busy cores, hence `large`.
"""

import json

import pytest

pytest.importorskip("gradio_client")
pytest.importorskip("psutil")

from bench import load_test  # noqa: E402

pytestmark = pytest.mark.large


@pytest.fixture(scope="module")
def session():
    try:
        with load_test.app_session() as running:
            yield running
    except load_test.LoadTestUnavailable as err:
        pytest.skip(str(err))


@pytest.fixture(scope="module")
def api(session):
    import httpx

    with httpx.Client(timeout=60) as client:
        yield client, session.url.rstrip("/") + "/gradio_api"


def test_quick_load_has_no_errors_and_bounded_memory(session, tmp_path):
    sizes = load_test.sizes_for(quick=True)
    records, server, wall_s = load_test.measure(
        session, sizes["clients"], sizes["requests"], sizes["max_seconds"]
    )
    result = load_test.report(session, sizes, records, server, wall_s, tmp_path)
    meta = result["meta"]
    assert len(records) == 2 * 10
    assert meta["errors"] == 0, meta["error_messages"]
    assert {r["endpoint"] for r in result["rows"]} == {
        "digit",
        "image",
        "feature_maps",
        "all",
    }
    assert all(r["errors"] == 0 for r in result["rows"])
    assert meta["rss_growth_mb"] <= load_test.GOALS["rss_growth_mb"]
    # Latency is reported, not asserted: a shared CI machine's load decides
    # it. Only a stuck server would take this long.
    assert result["rows"][-1]["p99_ms"] < load_test.REQUEST_TIMEOUT_S * 1e3
    saved = json.loads(result["paths"]["json"].read_text())
    assert saved["rows"][-1]["requests"] == 20
    assert "Server RSS" in result["paths"]["md"].read_text()


def test_app_listens_on_loopback_only(session):
    import psutil

    connections = psutil.Process(session.pid).net_connections(kind="inet")
    listening = [c.laddr.ip for c in connections if c.status == "LISTEN"]
    assert listening and set(listening) == {"127.0.0.1"}


def _call(api, name, data):
    """One raw API call; returns the final SSE event and its data."""
    client, base = api
    response = client.post(f"{base}/call/{name}", json={"data": data})
    response.raise_for_status()
    event_id = response.json()["event_id"]
    text = client.get(f"{base}/call/{name}/{event_id}").text
    events = [
        line[6:].strip() for line in text.splitlines() if line[:6] == "event:"
    ]
    return events[-1], text


@pytest.mark.parametrize("server_file", ["/etc/passwd", "model"])
def test_a_request_cannot_name_a_server_file(api, session, server_file):
    if server_file == "model":
        server_file = str(session.work_dir / "models" / "mnist_seed_cnn.keras")
    file_data = {"path": server_file, "meta": {"_type": "gradio.FileData"}}
    event, text = _call(api, "predict", [file_data, "mnist_seed_cnn"])
    assert event == "error"
    assert "root:" not in text
    client, base = api
    response = client.get(f"{base}/file={server_file}")
    assert response.status_code == 403


def test_oversized_upload_is_refused(api):
    client, base = api
    big = ("big.png", b"\0" * (11 * 1024 * 1024))
    response = client.post(f"{base}/upload", files={"files": big})
    assert response.status_code == 413
    assert "maximum allowed size" in response.text


def test_unknown_model_and_layer_names_are_refused(api, session):
    path = session.paths["mnist"][0]
    client, base = api
    with open(path, "rb") as f:
        uploaded = client.post(f"{base}/upload", files={"files": f}).json()[0]
    file_data = {"path": uploaded, "meta": {"_type": "gradio.FileData"}}
    event, text = _call(api, "predict", [file_data, "../saved_models/x"])
    # Gradio checks the dropdown's choices before the handler runs.
    assert event == "error" and "not in the list of choices" in text
    event, text = _call(
        api,
        "feature_maps",
        [file_data, "mnist_seed_cnn", "/etc/passwd", False],
    )
    assert event == "error" and "no image-shaped layer" in text
