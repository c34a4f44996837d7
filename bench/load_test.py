"""Load test: the Gradio app under concurrent API clients.

Starts the app (`python -m apps.classifier`) as a subprocess on a free port
of 127.0.0.1 and sends it, from 8 concurrent `gradio_client` clients, 50
requests each, in turn:

- `digit`: a drawing (`/predict_sketch`, an MNIST test digit painted into
  a Sketchpad layer's alpha channel, as the browser sends it),
- `image`: an uploaded picture (`/predict`, MNIST and Fashion-MNIST test
  images as PNG files, each to the model of its data set),
- `feature_maps`: the first conv layer's activations (`/feature_maps`, a
  PNG grid downloaded by the client).

It reports the failed requests (goal 0), the p50/p99 latency as a client
sees it (goal p99 <= 300 ms on 2 CPU cores) and the growth of the server's
resident memory (RSS, read with psutil) from after a warm-up round to the
end of the run (goal <= 50 MB). Traffic goes to loopback only; the number
of requests and the wall time are bounded, and the server is stopped at the
end.

The models are copied from `saved_models/` when trained ones are there
(`mnist_seed_cnn`, `fashion_cnn`), else untrained ones of the same names
are saved to a temporary folder: latency and memory do not depend on the
weights.

    python -m bench.load_test [--quick] [--clients 8 --requests 50]
"""

import contextlib
import dataclasses
import os
import pathlib
import shutil
import sys
import tempfile
import threading
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from bench import app_server  # noqa: E402
from bench import common  # noqa: E402

REPO_ROOT = common.BENCH_DIR.parent
ENDPOINTS = ("digit", "image", "feature_maps")
GOALS = {"errors": 0, "p99_ms": 300.0, "rss_growth_mb": 50.0}
MODELS = {"digit": "mnist_seed_cnn", "fashion": "fashion_cnn"}
FULL = {"clients": 8, "requests": 50, "max_seconds": 480}
QUICK = {"clients": 2, "requests": 10, "max_seconds": 120}
START_TIMEOUT_S = 300
# The app logs this line once its models are loaded and compiled.
WARM_UP_DONE = "Warm-up done"
REQUEST_TIMEOUT_S = 60
IMAGES_PER_SET = 100
RSS_SAMPLE_S = 0.25
MB = 1024 * 1024

TABLE_COLUMNS = [
    "endpoint",
    "requests",
    "errors",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "max_ms",
    "goal_p99_ms",
    "meets_goal",
]


LoadTestUnavailable = app_server.AppUnavailable


def check_requirements():
    app_server.require(("gradio", "gradio_client", "psutil"), "app,bench")


# ---------------------------------------------------------------------------
# Models and inputs.


def prepare_models(folder):
    """Fills `folder` with the digit and clothing models.

    Returns:
        `{role: {"name", "trained"}}` for the roles of `MODELS`.
    """
    import zoo
    from zoo import registry

    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shipped = pathlib.Path(registry.default_models_dir())
    roles = {}
    for role, name in MODELS.items():
        source = shipped / f"{name}.keras"
        trained = source.is_file()
        if trained:
            shutil.copy(source, folder / source.name)
            for card in (shipped / f"{name}.json", shipped / f"{name}.md"):
                if card.is_file():
                    shutil.copy(card, folder / card.name)
        else:
            zoo.create_model(name).save(folder / f"{name}.keras")
        roles[role] = {"name": name, "trained": trained}
    return roles


def first_conv_layer(models_dir, name):
    """Name of the first 2-D conv layer (the app's default feature maps)."""
    from zoo import registry

    layer = app_server.first_conv_layer(
        registry.load_pretrained(name, models_dir)
    )
    if layer is None:
        raise LoadTestUnavailable(f"{name} has no 2-D conv layer.")
    return layer


def _test_images(data_name, count):
    """uint8 (n, 28, 28) test images, else the app's example PNGs."""
    from PIL import Image

    try:
        from training.data import load_arrays

        images, _ = load_arrays(data_name, "test", limit=count)
        return np.asarray(images)[..., 0].astype("uint8"), f"{data_name} test"
    except Exception:  # data not installed: the shipped examples will do
        prefix = "mnist" if data_name == "mnist" else "fashion"
        paths = sorted((REPO_ROOT / "apps" / "examples").glob(f"{prefix}*.png"))
        if not paths:
            raise LoadTestUnavailable(
                f"No {data_name} test data (see training.data) and no "
                "example images in apps/examples/."
            ) from None
        images = [np.asarray(Image.open(p).convert("L")) for p in paths]
        return np.stack(images), "apps/examples"


def sketch_layer(image, size=280):
    """A digit as the Sketchpad sends it: ink in the alpha channel."""
    from PIL import Image

    inner = size - 60
    big = Image.fromarray(image).resize((inner, inner), Image.BILINEAR)
    layer = np.zeros((size, size, 4), np.uint8)
    layer[30 : 30 + inner, 30 : 30 + inner, 3] = np.asarray(big)
    return layer


def write_inputs(folder, count=IMAGES_PER_SET):
    """PNG files for each kind of request.

    Returns:
        `({"digit": [...], "mnist": [...], "fashion": [...]}, sources)`.
    """
    from PIL import Image

    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"digit": [], "mnist": [], "fashion": []}
    sources = {}
    for key, data_name in (("mnist", "mnist"), ("fashion", "fashion_mnist")):
        images, sources[key] = _test_images(data_name, count)
        for index, image in enumerate(images):
            path = folder / f"{key}_{index:03d}.png"
            Image.fromarray(image, "L").save(path)
            paths[key].append(path)
            if key == "mnist":
                sketch = folder / f"sketch_{index:03d}.png"
                Image.fromarray(sketch_layer(image), "RGBA").save(sketch)
                paths["digit"].append(sketch)
    return paths, sources


# ---------------------------------------------------------------------------
# The app process.


class ServerMonitor:
    """Samples the server's resident memory in a background thread and
    reads its CPU time."""

    def __init__(self, pid, interval=RSS_SAMPLE_S):
        import psutil

        self.process = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self.samples = []  # (time.monotonic(), rss)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def rss(self):
        value = self.process.memory_info().rss
        self.peak = max(self.peak, value)
        self.samples.append((time.monotonic(), value))
        return value

    def rss_at(self, moment):
        """The first sample taken at or after `moment`."""
        return next(v for t, v in self.samples if t >= moment)

    def cpu_s(self):
        times = self.process.cpu_times()
        return times.user + times.system

    def _sample(self):
        while not self._stop.wait(self.interval):
            self.rss()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


# ---------------------------------------------------------------------------
# Clients.


class _Client:
    """The three request kinds; subclasses say how a file is sent and an
    endpoint called."""

    def __init__(self, roles, layer):
        self.roles = roles
        self.layer = layer

    def request(self, endpoint, paths, index):
        """Sends one request; raises when the answer is not a result."""
        digit_model = self.roles["digit"]["name"]
        if endpoint == "digit":
            layer = self.file(paths["digit"][index % len(paths["digit"])])
            sketch = {"background": None, "layers": [layer], "composite": None}
            result = self.call(sketch, digit_model, api_name="/predict_sketch")
            label = result[0]
        elif endpoint == "image":
            key = "mnist" if index % 2 == 0 else "fashion"
            role = "digit" if key == "mnist" else "fashion"
            path = paths[key][index % len(paths[key])]
            label = self.call(
                self.file(path), self.roles[role]["name"], api_name="/predict"
            )
        else:
            path = paths["mnist"][index % len(paths["mnist"])]
            grid = self.call(
                self.file(path),
                digit_model,
                self.layer,
                False,  # shared_scale: every input, for plain HTTP calls too
                api_name="/feature_maps",
            )
            if not grid:
                raise RuntimeError(f"no feature-map picture: {grid!r}")
            return
        if not isinstance(label, dict) or "label" not in label:
            raise RuntimeError(f"no prediction in the answer: {label!r}")


class GradioClient(_Client):
    """One `gradio_client.Client`: uploads, waits for the result and
    downloads output pictures, as an API user's script does."""

    def __init__(self, url, download_dir, roles, layer):
        from gradio_client import Client

        super().__init__(roles, layer)
        self.client = Client(
            url,
            verbose=False,
            download_files=str(download_dir),
            analytics_enabled=False,
        )

    def file(self, path):
        from gradio_client import handle_file

        return handle_file(path)

    def call(self, *args, api_name):
        job = self.client.submit(*args, api_name=api_name)
        return job.result(timeout=REQUEST_TIMEOUT_S)

    def close(self):
        self.client.close()


class HttpClient(_Client):
    """The same REST calls over plain HTTP (`app_server.HttpApi`), as a
    browser makes them. It costs the machine far less CPU than
    `gradio_client`, so it shows what the server itself sustains."""

    def __init__(self, url, download_dir, roles, layer):
        super().__init__(roles, layer)
        self.api = app_server.HttpApi(url, timeout=REQUEST_TIMEOUT_S)

    def file(self, path):
        return self.api.upload(path)

    def call(self, *args, api_name):
        outputs = self.api.call(*args, api_name=api_name)
        return outputs[0] if len(outputs) == 1 else outputs

    def close(self):
        self.api.close()


CLIENTS = {"gradio_client": GradioClient, "http": HttpClient}


def plan(client_index, requests):
    """`(endpoint, image index)` of each request of one client: the three
    kinds in turn, each client starting on a different one."""
    return [
        (
            ENDPOINTS[(client_index + i) % len(ENDPOINTS)],
            client_index * requests + i,
        )
        for i in range(requests)
    ]


def run_client(client, requests, paths, deadline, records):
    for endpoint, index in requests:
        if time.monotonic() > deadline:
            records.append((endpoint, None, "stopped: time bound reached"))
            continue
        start = time.perf_counter()
        try:
            client.request(endpoint, paths, index)
        except Exception as err:  # a failed request is a result here
            records.append((endpoint, None, f"{type(err).__name__}: {err}"))
            continue
        records.append((endpoint, (time.perf_counter() - start) * 1e3, None))


def warm_up(client, paths):
    """Two requests of each kind, so compilation is not counted."""
    for index in range(2):
        for endpoint in ENDPOINTS:
            client.request(endpoint, paths, index)


# ---------------------------------------------------------------------------
# Results.


def latency_row(endpoint, records):
    times = [ms for _, ms, _ in records if ms is not None]
    row = {
        "endpoint": endpoint,
        "requests": len(records),
        "errors": len(records) - len(times),
    }
    if times:
        samples = np.asarray(times)
        row.update(
            {
                "p50_ms": float(np.percentile(samples, 50)),
                "p95_ms": float(np.percentile(samples, 95)),
                "p99_ms": float(np.percentile(samples, 99)),
                "max_ms": float(samples.max()),
            }
        )
    else:
        row.update(dict.fromkeys(("p50_ms", "p95_ms", "p99_ms", "max_ms")))
    row["goal_p99_ms"] = GOALS["p99_ms"]
    row["meets_goal"] = (
        row["errors"] == 0
        and row["p99_ms"] is not None
        and row["p99_ms"] <= GOALS["p99_ms"]
    )
    return row


def summary_notes(meta):
    return (
        f"{meta['clients']} concurrent {meta['client']} clients x "
        f"{meta['requests_per_client']} requests on 127.0.0.1 "
        f"({meta['wall_s']:.1f} s, {meta['throughput_rps']:.1f} requests/s); "
        f"app concurrency limit {meta['app_concurrency_limit']}, queue "
        f"{meta['app_queue_size']}. Models: {meta['models_note']}. "
        f"Server RSS: {meta['rss_after_warmup_mb']:.0f} MB after warm-up, "
        f"{meta['rss_end_mb']:.0f} MB at the end (growth "
        f"{meta['rss_growth_mb']:+.1f} MB, goal <= "
        f"{GOALS['rss_growth_mb']:.0f} MB), peak {meta['rss_peak_mb']:.0f} "
        f"MB; {meta['rss_growth_second_half_mb']:+.1f} MB in the second half "
        f"of the run. CPU per request: server "
        f"{meta['server_cpu_ms_per_request']:.0f} ms, clients "
        f"{meta['clients_cpu_ms_per_request']:.0f} ms (same machine; 1-min "
        f"load average {meta['load_average_1min']}). Errors: "
        f"{meta['errors']} (goal 0). Latency is measured around each call as "
        "the client sees it (upload, queue, model, answer, download of the "
        "PNG for feature maps)."
    )


@dataclasses.dataclass
class Session:
    """A running app and what the clients send it."""

    url: str
    pid: int
    start_s: float
    roles: dict
    layer: str
    paths: dict
    sources: dict
    work_dir: pathlib.Path


@contextlib.contextmanager
def app_session():
    """Models, inputs and the running app, all in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="zoo_load_") as tmp:
        tmp = pathlib.Path(tmp)
        roles = prepare_models(tmp / "models")
        layer = first_conv_layer(tmp / "models", roles["digit"]["name"])
        paths, sources = write_inputs(tmp / "inputs")
        with app_server.running_app(
            tmp / "models", tmp, START_TIMEOUT_S, log_marker=WARM_UP_DONE
        ) as app:
            yield Session(
                app.url,
                app.pid,
                app.startup_s,
                roles,
                layer,
                paths,
                sources,
                tmp,
            )


def measure(session, clients, requests, max_seconds, client="gradio_client"):
    """Warms up every client, then runs them all at once.

    Args:
        session: `Session` of a running app.
        clients: int. Number of concurrent clients.
        requests: int. Requests per client.
        max_seconds: float. No request starts after this long.
        client: str. A key of `CLIENTS`.

    Returns:
        `(records, server, wall_s)`: one `(endpoint, ms or None, error or
        None)` per request; the server's RSS in bytes (`ready`,
        `after_warmup`, `middle` of the run, `end`, `peak`) and the CPU
        seconds the server and these clients used during the run
        (`cpu_s`, `clients_cpu_s`); and the wall time of the run.
    """
    connections = [
        CLIENTS[client](
            session.url,
            session.work_dir / "downloads",
            session.roles,
            session.layer,
        )
        for _ in range(clients)
    ]
    try:
        with ServerMonitor(session.pid) as monitor:
            server = {"ready": monitor.rss()}
            for connection in connections:
                warm_up(connection, session.paths)
            server["after_warmup"] = monitor.rss()
            cpu_before, own_before = monitor.cpu_s(), _own_cpu_s()
            records = [[] for _ in connections]
            deadline = time.monotonic() + max_seconds
            threads = [
                threading.Thread(
                    target=run_client,
                    args=(
                        connection,
                        plan(index, requests),
                        session.paths,
                        deadline,
                        records[index],
                    ),
                )
                for index, connection in enumerate(connections)
            ]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall_s = time.monotonic() - started
            server["end"] = monitor.rss()
            server["cpu_s"] = monitor.cpu_s() - cpu_before
            server["clients_cpu_s"] = _own_cpu_s() - own_before
        server["peak"] = monitor.peak
        server["middle"] = monitor.rss_at(started + wall_s / 2)
    finally:
        for connection in connections:
            connection.close()
    return [r for client in records for r in client], server, wall_s


def _own_cpu_s():
    times = os.times()
    return times.user + times.system


def report(session, sizes, records, server, wall_s, results_dir=None):
    """Rows per endpoint and overall, written with `write_results`."""
    from apps import classifier

    rows = [
        latency_row(endpoint, [r for r in records if r[0] == endpoint])
        for endpoint in ENDPOINTS
    ]
    rows.append(latency_row("all", records))
    errors = [message for _, _, message in records if message]
    growth = (server["end"] - server["after_warmup"]) / MB
    done = sum(1 for r in records if r[1] is not None)
    meta = {
        **common.machine_info(),
        "title": "Load test: the app under concurrent "
        f"{sizes['client']} clients",
        "quick": sizes.get("quick", False),
        "client": sizes["client"],
        "clients": sizes["clients"],
        "requests_per_client": sizes["requests"],
        "max_seconds": sizes["max_seconds"],
        "wall_s": wall_s,
        "throughput_rps": done / wall_s,
        "app_start_s": session.start_s,
        "app_concurrency_limit": classifier.CONCURRENCY_LIMIT,
        "app_queue_size": classifier.QUEUE_SIZE,
        "models": session.roles,
        "models_note": ", ".join(
            f"{r['name']} ({'trained' if r['trained'] else 'untrained'})"
            for r in session.roles.values()
        ),
        "inputs": session.sources,
        "feature_map_layer": session.layer,
        "errors": len(errors),
        "error_messages": sorted(set(errors))[:20],
        "rss_ready_mb": server["ready"] / MB,
        "rss_after_warmup_mb": server["after_warmup"] / MB,
        "rss_middle_mb": server["middle"] / MB,
        "rss_end_mb": server["end"] / MB,
        "rss_peak_mb": server["peak"] / MB,
        "rss_growth_mb": growth,
        "rss_growth_second_half_mb": (server["end"] - server["middle"]) / MB,
        "server_cpu_ms_per_request": server["cpu_s"] * 1e3 / max(done, 1),
        "clients_cpu_ms_per_request": server["clients_cpu_s"]
        * 1e3
        / max(done, 1),
        "goals": GOALS,
        "meets_goals": (
            not errors
            and rows[-1]["p99_ms"] is not None
            and rows[-1]["p99_ms"] <= GOALS["p99_ms"]
            and growth <= GOALS["rss_growth_mb"]
        ),
        "command": "python -m bench.load_test"
        + (" --quick" if sizes.get("quick") else "")
        + f" --clients {sizes['clients']} --requests {sizes['requests']}"
        + (" --client http" if sizes["client"] == "http" else ""),
    }
    meta["notes"] = summary_notes(meta)
    name = "load_test"
    if sizes["client"] != "gradio_client":
        name += f"_{sizes['client']}"
    if sizes.get("quick"):
        name += "_quick"
    written = common.write_results(
        name,
        rows,
        meta,
        results_dir,
        columns=TABLE_COLUMNS,
    )
    return {
        "name": name,
        "rows": rows,
        "meta": meta,
        "markdown": common.markdown_table(rows, TABLE_COLUMNS),
        "paths": written,
    }


def sizes_for(
    quick=False,
    clients=None,
    requests=None,
    max_seconds=None,
    client="gradio_client",
):
    """The preset's numbers, with any given override."""
    sizes = dict(QUICK if quick else FULL, quick=quick, client=client)
    overrides = {
        "clients": clients,
        "requests": requests,
        "max_seconds": max_seconds,
    }
    sizes.update({k: v for k, v in overrides.items() if v is not None})
    return sizes


def run(
    quick=False,
    results_dir=None,
    clients=None,
    requests=None,
    max_seconds=None,
    client="gradio_client",
):
    """Runs the load test and writes `load_test.json` / `load_test.md`
    (`load_test_http.*` with the plain HTTP client).

    Args:
        quick: bool. 2 clients x 10 requests instead of 8 x 50.
        results_dir: folder for the result files; see
            `bench.common.resolve_results_dir`.
        clients, requests, max_seconds: override the preset's numbers.
        client: `"gradio_client"` (default) or `"http"`.

    Returns:
        A dict with `rows`, `meta` and the result file `paths`.
    """
    check_requirements()
    if client not in CLIENTS:
        raise ValueError(
            f"Unknown client {client!r}; expected one of {list(CLIENTS)}."
        )
    sizes = sizes_for(quick, clients, requests, max_seconds, client)
    with app_session() as session:
        records, server, wall_s = measure(
            session,
            sizes["clients"],
            sizes["requests"],
            sizes["max_seconds"],
            client,
        )
    return report(session, sizes, records, server, wall_s, results_dir)


def main(argv=None):
    parser = common.benchmark_parser(
        __doc__,
        quick="2 clients x 10 requests",
        no_progress=None,
        prog="python -m bench.load_test",
        description="Concurrent API clients on the app (loopback only).",
    )
    parser.add_argument("--clients", type=int, default=None)
    parser.add_argument("--requests", type=int, default=None)
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=None,
        help="stop sending after this long (default 480, quick 120)",
    )
    parser.add_argument(
        "--client",
        choices=sorted(CLIENTS),
        default="gradio_client",
        help="gradio_client (default) or plain HTTP, which costs the "
        "machine less CPU",
    )
    args = parser.parse_args(argv)
    for name in ("clients", "requests"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name} must be >= 1, got {value}")
    try:
        result = run(
            **common.run_kwargs(args),
            clients=args.clients,
            requests=args.requests,
            max_seconds=args.max_seconds,
            client=args.client,
        )
    except LoadTestUnavailable as err:
        print(f"load_test: {err}", file=sys.stderr)
        return 2
    print(result["paths"]["md"].read_text())
    return 0 if result["meta"]["meets_goals"] else 1


if __name__ == "__main__":
    sys.exit(main())
