"""The running app, called through `gradio_client` as an API user would."""

import urllib.parse

import numpy as np
import pytest
from gradio_client import Client
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from tests.apps import images


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


def _top(result):
    return result["label"]


def test_listens_on_localhost_with_named_endpoints(app_url, client):
    assert urllib.parse.urlparse(app_url).hostname == "127.0.0.1"
    endpoints = client.view_api(print_info=False, return_format="dict")
    names = set(endpoints["named_endpoints"])
    assert {"/predict", "/feature_maps", "/predict_sketch"} <= names
    predict = endpoints["named_endpoints"]["/predict"]["parameters"]
    assert [p["parameter_name"] for p in predict] == ["file", "model_name"]


def test_predict_digits(client, test_digits, tmp_path):
    digits, labels = test_digits
    paths = images.write_uploads(digits[:10], tmp_path, "digit")
    predicted = [
        _top(
            client.predict(
                handle_file(p), "mnist_seed_cnn", api_name="/predict"
            )
        )
        for p in paths
    ]
    correct = sum(p == str(y) for p, y in zip(predicted, labels[:10]))
    assert correct >= 9, (predicted, labels[:10].tolist())


def test_predict_clothes_with_fashion_labels(
    client, store, test_clothes, tmp_path
):
    items, labels = test_clothes
    names = store.get("fashion_seed_cnn").class_names
    paths = images.write_uploads(items[:10], tmp_path, "item")
    results = [
        client.predict(handle_file(p), "fashion_seed_cnn", api_name="/predict")
        for p in paths
    ]
    assert all(len(r["confidences"]) == 5 for r in results)
    predicted = [_top(r) for r in results]
    correct = sum(p == names[y] for p, y in zip(predicted, labels[:10]))
    assert correct >= 7, (predicted, [names[y] for y in labels[:10]])


def test_predict_sketch_takes_a_dict_of_files(client, test_digits, tmp_path):
    digits, labels = test_digits
    correct = 0
    for index in range(5):
        path = tmp_path / f"layer_{index}.png"
        Image.fromarray(images.sketch_layer(digits[index]), "RGBA").save(path)
        sketch = {
            "background": None,
            "layers": [handle_file(path)],
            "composite": handle_file(path),
        }
        result = client.predict(
            sketch, "mnist_seed_cnn", api_name="/predict_sketch"
        )
        label = result[0]["label"]
        correct += label == str(labels[index])
        assert "with `mnist_seed_cnn`" in result[2]
    assert correct >= 4


def test_feature_maps_endpoint(client, test_digits, tmp_path):
    path = images.write_uploads(test_digits[0][:1], tmp_path, "d")[0]
    grid_path = client.predict(
        handle_file(path),
        "mnist_seed_cnn",
        "block2_conv",
        api_name="/feature_maps",
    )
    grid = np.asarray(Image.open(grid_path))
    # 64 numbered maps of 11x11 enlarged 5x in an 8x8 grid (3-pixel gaps,
    # a 12-pixel number gutter above each), then the colour bar.
    assert grid.shape == (8 * (55 + 12 + 3) - 3, 8 * 58 - 3 + 8 + 70, 3)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "not a readable image"),
        (images.png_bytes(np.full((40, 40), 200, np.uint8)), "blank"),
    ],
)
def test_bad_upload_is_a_clear_error(client, tmp_path, content, message):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(AppError, match=message):
        client.predict(handle_file(path), "mnist_seed_cnn", api_name="/predict")


def test_unknown_model_and_layer_are_refused(client, test_digits, tmp_path):
    path = images.write_uploads(test_digits[0][:1], tmp_path, "d")[0]
    with pytest.raises(AppError):
        client.predict(handle_file(path), "no_such_model", api_name="/predict")
    with pytest.raises(AppError, match="no image-shaped layer"):
        client.predict(
            handle_file(path),
            "mnist_seed_cnn",
            "../../etc/passwd",
            api_name="/feature_maps",
        )


def test_upload_size_is_limited(client, tmp_path):
    path = tmp_path / "big.png"
    path.write_bytes(b"\0" * (11 * 1024 * 1024))
    with pytest.raises(Exception, match="(?i)size|large|413"):
        client.predict(handle_file(path), "mnist_seed_cnn", api_name="/predict")
