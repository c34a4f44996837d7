"""Benchmark: latency of the Gradio app's API, as a client sees it.

Starts the app (`python -m apps.classifier`) as a subprocess on a free
port of 127.0.0.1, serving the trained models of `saved_models/`, waits
until it answers, then sends real MNIST test digits (rendered to PNG)
through `gradio_client`:

- `/predict`: image file + model name -> top-5 probabilities,
- `/feature_maps`: image file + model name + layer name -> a PNG grid,
- `predict + feature_maps`: both for the same image, one after the other
  (what the "what the network sees" view needs).

Each latency is measured around one call as the client sees it: upload,
queue, model, result and (for images) the download of the PNG. Two
clients are measured: `gradio_client.Client.predict`, and the same REST
API over plain HTTP with the result read as a pushed stream, as a
browser reads it (`gradio_client` polls for messages in 50 ms sleeps;
the difference is client overhead, not the app's). All calls alternate
request by request (A B C D, D C B A, ...) so machine load hits them
alike. Goals: p50 <= 30 ms for `/predict`, p50 <= 150 ms for predict +
feature maps.

When `saved_models/` holds no image classifier yet, an untrained
`mnist_cnn` is saved to a temporary folder instead: latency does not
depend on what the weights are. The request count and the wall time are
bounded. Run it with `python -m bench.app_latency [--quick]` or
`zoo-bench --only app_latency`.
"""

import os
import pathlib
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from bench import app_server  # noqa: E402
from bench import common  # noqa: E402

REPO_ROOT = common.BENCH_DIR.parent
GOALS_MS = {"predict": 30.0, "predict + feature_maps": 150.0}
PREFERRED_MODELS = ("mnist_cnn", "mnist_seed_cnn")
STAND_IN_MODEL = "mnist_cnn"

FULL = {"requests": 200, "warmup": 5, "max_seconds": 420, "start_timeout": 300}
QUICK = {"requests": 20, "warmup": 2, "max_seconds": 90, "start_timeout": 240}

TABLE_COLUMNS = [
    "client",
    "endpoint",
    "requests",
    "errors",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "mean_ms",
    "max_ms",
    "goal_p50_ms",
    "meets_goal",
]


AppUnavailable = app_server.AppUnavailable


def check_requirements():
    """Raises `AppUnavailable` unless the app and the client can be used."""
    app_server.require(("gradio", "gradio_client", "apps.classifier"))


# ---------------------------------------------------------------------------
# Which model, which layer, which images.


def _is_image_classifier(model):
    return len(model.inputs[0].shape) == 4 and model.outputs[0].shape[-1] > 1


def choose_model(models_dir, stand_in_dir, model_name=None):
    """`(models_dir, model name, layer name, trained)` to benchmark.

    `model_name` if given, else the preferred digit model of `models_dir`,
    else any image classifier there, else an untrained stand-in saved to
    `stand_in_dir`.
    """
    from zoo import registry

    names = registry.list_pretrained(models_dir)
    if model_name is not None:
        names = [model_name] if model_name in names else []
    ordered = [n for n in PREFERRED_MODELS if n in names]
    ordered += [n for n in names if n not in ordered]
    for name in ordered:
        try:
            model = registry.load_pretrained(name, models_dir)
        except Exception:  # a broken file is the app's problem, not ours
            continue
        if _is_image_classifier(model):
            return models_dir, name, app_server.first_conv_layer(model), True
    if model_name is not None:
        raise AppUnavailable(
            f"No image classifier {model_name!r} in {models_dir}."
        )
    import zoo

    folder = pathlib.Path(stand_in_dir)
    folder.mkdir(parents=True, exist_ok=True)
    model = zoo.create_model(STAND_IN_MODEL)
    model.save(folder / f"{STAND_IN_MODEL}.keras")
    return folder, STAND_IN_MODEL, app_server.first_conv_layer(model), False


def write_digits(folder, count):
    """Real digits as PNG files: MNIST test digits, else the app examples.

    Returns `(paths, source)`.
    """
    from PIL import Image

    folder = pathlib.Path(folder)
    try:
        from training.data import load_arrays

        images, _ = load_arrays("mnist", "test", limit=count)
        source = f"MNIST test digits 0-{len(images) - 1}"
    except Exception:  # data missing: fall back on the shipped examples
        examples = sorted((REPO_ROOT / "apps" / "examples").glob("mnist_*.png"))
        if not examples:
            raise AppUnavailable(
                "No MNIST test data (see training.data) and no example "
                "digits in apps/examples/ to send to the app."
            ) from None
        return examples, "apps/examples/mnist_*.png"
    paths = []
    for index, image in enumerate(images):
        path = folder / f"digit_{index:03d}.png"
        Image.fromarray(np.asarray(image)[..., 0].astype("uint8"), "L").save(
            path
        )
        paths.append(path)
    return paths, source


# ---------------------------------------------------------------------------
# Measuring.


def percentiles(samples_ms):
    samples = np.asarray(samples_ms, dtype="float64")
    if samples.size == 0:
        keys = ("p50_ms", "p95_ms", "p99_ms", "mean_ms", "max_ms")
        return dict.fromkeys(keys, None)
    return {
        "p50_ms": float(np.percentile(samples, 50)),
        "p95_ms": float(np.percentile(samples, 95)),
        "p99_ms": float(np.percentile(samples, 99)),
        "mean_ms": float(samples.mean()),
        "max_ms": float(samples.max()),
    }


class HttpClient(app_server.HttpApi):
    """`app_server.HttpApi` with `gradio_client`'s `predict` signature."""

    def predict(self, path, *args, api_name):
        """Calls `api_name` with the uploaded file and `args`; returns the
        output list, PNG files downloaded."""
        return self.call(self.upload(path), *args, api_name=api_name)


def request_functions(clients, model_name, layer_name):
    """`{(client, endpoint): fn(path)}` for every client and endpoint."""
    from gradio_client import handle_file

    calls = {}
    for client_name, client in clients.items():
        wrap = handle_file if client_name == "gradio_client" else str
        calls[(client_name, "predict")] = lambda path, c=client, w=wrap: (
            c.predict(w(path), model_name, api_name="/predict")
        )
        calls[(client_name, "feature_maps")] = lambda path, c=client, w=wrap: (
            # Every input, as a plain HTTP call needs: False = each map on
            # its own scale.
            c.predict(
                w(path), model_name, layer_name, False, api_name="/feature_maps"
            )
        )
    return calls


def measure(calls, paths, sizes, show_progress):
    """Sends each image through every call, alternating their order.

    Args:
        calls: dict `{key: fn(path)}` (see `request_functions`).
        paths: image files, used in turn.
        sizes: `QUICK` or `FULL`.
        show_progress: bool. Show a progress bar.

    Returns:
        A dict `{key: [ms or None for a failed request]}`, the error
        messages and whether the time bound cut the run short.
    """
    for index in range(sizes["warmup"]):
        for call in calls.values():
            call(paths[index % len(paths)])

    latencies = {key: [] for key in calls}
    errors = []
    deadline = time.monotonic() + sizes["max_seconds"]
    stopped_early = False
    keys = list(calls)
    for index in common.progress(
        range(sizes["requests"]), "app requests", enabled=show_progress
    ):
        if time.monotonic() > deadline:
            stopped_early = True
            break
        path = paths[index % len(paths)]
        for key in keys if index % 2 == 0 else keys[::-1]:
            start = time.perf_counter()
            try:
                calls[key](path)
            except Exception as err:  # one bad request is data, not fatal
                errors.append(f"{key}: {type(err).__name__}: {err}")
                latencies[key].append(None)
                continue
            latencies[key].append((time.perf_counter() - start) * 1000.0)
    return latencies, errors, stopped_early


def latency_rows(latencies):
    """Rows per client: each endpoint, then both for the same image."""
    rows = []
    for client in dict.fromkeys(key[0] for key in latencies):
        predict = latencies[(client, "predict")]
        maps = latencies[(client, "feature_maps")]
        both = [
            None if a is None or b is None else a + b
            for a, b in zip(predict, maps)
        ]
        series = {
            "predict": predict,
            "feature_maps": maps,
            "predict + feature_maps": both,
        }
        for name, values in series.items():
            ok = [v for v in values if v is not None]
            stats = percentiles(ok)
            goal = GOALS_MS.get(name)
            rows.append(
                {
                    "client": client,
                    "endpoint": name,
                    "requests": len(values),
                    "errors": len(values) - len(ok),
                    **stats,
                    "goal_p50_ms": goal,
                    "meets_goal": None
                    if goal is None or stats["p50_ms"] is None
                    else stats["p50_ms"] <= goal,
                }
            )
    return rows


def run(
    quick=False,
    results_dir=None,
    show_progress=True,
    models_dir=None,
    model_name=None,
):
    """Starts the app, measures it, writes `app_latency_<backend>[_quick].*`.

    Args:
        quick: bool. 20 requests per endpoint instead of 200.
        results_dir: folder for the results; see
            `bench.common.resolve_results_dir`.
        show_progress: bool. Show a progress bar over the requests.
        models_dir: folder of `.keras` files to serve. Defaults to the
            repository's `saved_models/` (or `$ZOO_MODELS_DIR`).
        model_name: str. The model to send requests to. Defaults to the
            first of `PREFERRED_MODELS` found, else any image classifier.

    Returns:
        A dict with `name`, `rows`, `meta`, `markdown` and `paths`.

    Raises:
        AppUnavailable: when the app or its packages are missing, or the
            app does not start.
    """
    check_requirements()
    import keras
    from gradio_client import Client

    from zoo import registry

    sizes = QUICK if quick else FULL
    requested_dir = pathlib.Path(models_dir or registry.default_models_dir())
    with tempfile.TemporaryDirectory(prefix="zoo_bench_app_") as scratch:
        scratch = pathlib.Path(scratch)
        served_dir, model_name, layer_name, trained = choose_model(
            requested_dir, scratch / "stand_in", model_name
        )
        (scratch / "digits").mkdir()
        paths, image_source = write_digits(
            scratch / "digits", min(sizes["requests"], 100)
        )
        load_before = os.getloadavg()[0]
        with app_server.running_app(
            served_dir, scratch, sizes["start_timeout"]
        ) as app:
            url, startup_s = app.url, app.startup_s
            clients = {
                "gradio_client": Client(
                    url,
                    verbose=False,
                    download_files=str(scratch / "downloads"),
                    analytics_enabled=False,
                ),
                "http": HttpClient(url),
            }
            try:
                latencies, errors, stopped_early = measure(
                    request_functions(clients, model_name, layer_name),
                    paths,
                    sizes,
                    show_progress,
                )
            finally:
                for client in clients.values():
                    client.close()

    rows = latency_rows(latencies)
    backend = keras.backend.backend()
    name = f"app_latency_{backend}" + ("_quick" if quick else "")
    model_note = (
        f"trained model `{model_name}` from `saved_models/`"
        if trained
        else f"an untrained `{model_name}` (no trained image classifier in "
        "`saved_models/` yet; latency does not depend on the weights)"
    )
    meta = {
        "title": f"Gradio app latency through gradio_client ({backend})",
        "notes": (
            f"`python -m apps.classifier` on 127.0.0.1 serving {model_note}; "
            f"feature maps of layer `{layer_name}`. Latency seen by the "
            "client, per request: upload, queue, model, response and PNG "
            "download. `gradio_client` = `Client.predict`; `http` = the "
            "same REST API (`/gradio_api/call/...`) read as a pushed "
            "stream, as a browser does (`gradio_client` polls for messages "
            "in 50 ms sleeps, so the gap between the two is client "
            "overhead). All calls alternate request by request; "
            f"{image_source}. "
            f"App start-up took {startup_s:.1f} s. Goals: p50 <= "
            f"{GOALS_MS['predict']:.0f} ms for `/predict`, <= "
            f"{GOALS_MS['predict + feature_maps']:.0f} ms for predict + "
            "feature maps."
            + (" Stopped early at the time bound." if stopped_early else "")
        ),
        "quick": quick,
        "sizes": dict(sizes),
        "model": model_name,
        "trained_model": trained,
        "layer": layer_name,
        "images": image_source,
        "startup_s": round(startup_s, 2),
        "stopped_early": stopped_early,
        "errors": errors[:10],
        "gradio": common.package_version("gradio"),
        "gradio_client": common.package_version("gradio_client"),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
        **common.machine_info(),
    }
    paths_written = common.write_results(
        name, rows, meta, results_dir=results_dir, columns=TABLE_COLUMNS
    )
    return common.run_result(name, rows, meta, paths_written, TABLE_COLUMNS)


def main(argv=None):
    parser = common.benchmark_parser(__doc__, quick="20 requests per endpoint")
    parser.add_argument(
        "--models", default=None, help="folder of .keras files to serve"
    )
    parser.add_argument(
        "--model", default=None, help="model to query (default: a digit CNN)"
    )
    args = parser.parse_args(argv)
    return common.run_and_print(
        "app_latency",
        run,
        **common.run_kwargs(args),
        models_dir=args.models,
        model_name=args.model,
    )


if __name__ == "__main__":
    sys.exit(main())
