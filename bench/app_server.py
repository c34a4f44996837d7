"""The Gradio app as a benchmark target: start-up, readiness and clients.

Shared by `bench.app_latency` and `bench.load_test`. `running_app` starts
`python -m apps.classifier` as a subprocess on a free port of 127.0.0.1,
waits until it answers and stops it on exit; `HttpApi` calls the app's
REST API over plain HTTP, as a browser does. Traffic goes to loopback
only.
"""

import contextlib
import dataclasses
import json
import os
import pathlib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from bench import common
from bench.cli import Unavailable

REPO_ROOT = common.BENCH_DIR.parent
HOST = "127.0.0.1"
LOG_TAIL_CHARS = 2000


class AppUnavailable(Unavailable):
    """The app, Gradio, a client package or the test inputs are missing,
    or the app did not start."""


def require(modules, extras="app"):
    """Raises `AppUnavailable` naming the first of `modules` (import
    names) that cannot be imported, and the pip extras that bring it."""
    import importlib.util

    for module in modules:
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:  # its parent package is missing
            found = False
        if not found:
            raise AppUnavailable(
                f"{module} is not installed or not written yet; install "
                f"the extras: pip install 'keras-conv-zoo[{extras}]'"
            )


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def first_conv_layer(model):
    """Name of the model's first 2-D conv layer (the feature maps users
    look at), or None."""
    for layer in model.layers:
        if hasattr(layer, "kernel_size") and len(layer.output.shape) == 4:
            return layer.name
    return None


def _log_tail(log_path):
    return pathlib.Path(log_path).read_text()[-LOG_TAIL_CHARS:]


def wait_until_ready(url, process, log_path, timeout, log_marker=None):
    """Polls `url` until it answers and, if `log_marker` is given, until
    the app's log contains it (e.g. the end of the app's warm-up).

    Raises:
        AppUnavailable: when the app exits first or is not ready within
            `timeout` seconds; the message ends with the log's tail.
    """
    deadline = time.monotonic() + timeout
    answered = False
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AppUnavailable(
                f"The app exited with code {process.returncode} before it "
                f"was ready.\nApp log (end):\n{_log_tail(log_path)}"
            )
        if not answered:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    answered = response.status == 200
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
        if answered and (
            log_marker is None
            or log_marker in pathlib.Path(log_path).read_text()
        ):
            return
        time.sleep(0.5)
    raise AppUnavailable(
        f"The app was not ready at {url} within {timeout} s.\n"
        f"App log (end):\n{_log_tail(log_path)}"
    )


@dataclasses.dataclass(frozen=True)
class RunningApp:
    """A started app: its address, process id and start-up time."""

    url: str
    pid: int
    startup_s: float


@contextlib.contextmanager
def running_app(models_dir, work_dir, start_timeout, log_marker=None):
    """Runs the app on a free loopback port, serving `models_dir`.

    Args:
        models_dir: folder of `.keras` files for the app to serve.
        work_dir: folder for the app's log (`app.log`) and uploads.
        start_timeout: float. Seconds the app may take to be ready.
        log_marker: str. If given, also wait until the log contains it.

    Yields:
        A `RunningApp`. The app is stopped on exit.

    Raises:
        AppUnavailable: when the app does not start.
    """
    import keras

    work_dir = pathlib.Path(work_dir)
    log_path = work_dir / "app.log"
    port = free_port()
    env = dict(os.environ)
    env.update(
        {
            "GRADIO_ANALYTICS_ENABLED": "False",
            # Uploads land in the work folder, deleted with it.
            "GRADIO_TEMP_DIR": str(work_dir / "uploads"),
            "KERAS_BACKEND": keras.backend.backend(),
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
    )
    command = [
        sys.executable,
        "-m",
        "apps.classifier",
        "--host",
        HOST,
        "--port",
        str(port),
        "--models",
        str(models_dir),
    ]
    url = f"http://{HOST}:{port}/"
    started = time.perf_counter()
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log, stderr=log
        )
        try:
            wait_until_ready(url, process, log_path, start_timeout, log_marker)
            yield RunningApp(url, process.pid, time.perf_counter() - started)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class HttpApi:
    """The app's REST API over plain `httpx`, as a browser uses it:
    upload a file, start a call, read the pushed result (server-sent
    events) and download the output files.

    `gradio_client` waits for each message in 50 ms sleeps and costs the
    machine more CPU; this client shows what the server itself takes.
    """

    def __init__(self, url, timeout=60.0):
        import httpx

        self.api = url.rstrip("/") + "/gradio_api"
        self.http = httpx.Client(timeout=timeout)

    def close(self):
        self.http.close()

    def upload(self, path):
        """Uploads a file; returns the `FileData` to pass to a call."""
        with open(path, "rb") as f:
            response = self.http.post(f"{self.api}/upload", files={"files": f})
        response.raise_for_status()
        return {
            "path": response.json()[0],
            "meta": {"_type": "gradio.FileData"},
        }

    def call(self, *args, api_name):
        """Calls `api_name` with `args`; returns the list of outputs, once
        every output file is downloaded.

        Raises:
            RuntimeError: when the app answers with an error.
        """
        name = api_name.strip("/")
        response = self.http.post(
            f"{self.api}/call/{name}", json={"data": list(args)}
        )
        response.raise_for_status()
        event_id = response.json()["event_id"]
        event, data = None, None
        with self.http.stream(
            "GET", f"{self.api}/call/{name}/{event_id}"
        ) as stream:
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line[len("event:") :].strip()
                elif line.startswith("data:") and event in (
                    "complete",
                    "error",
                ):
                    data = line[len("data:") :].strip()
                    break
        if event != "complete":
            raise RuntimeError(f"{api_name} answered {event}: {data}")
        outputs = json.loads(data)
        for output in outputs:
            if isinstance(output, dict) and output.get("url"):
                self.http.get(output["url"]).raise_for_status()
        return outputs
