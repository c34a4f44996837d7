"""The app's handlers on real test images, with briefly trained models."""

import io

import gradio as gr
import keras
import numpy as np
import pytest
from PIL import Image

from apps import classifier
from apps import preprocess
from apps.models import top_k
from tests.apps import images


@pytest.fixture(scope="module")
def app(store):
    return classifier.App(store)


def test_store_reads_cards_and_registry(store):
    assert store.names("digit") == ["mnist_seed_cnn"]
    assert store.names("image") == ["fashion_seed_cnn", "mnist_seed_cnn"]
    assert store.names("sequence") == ["seqmnist_tcn"]
    fashion = store.get("fashion_seed_cnn")
    assert fashion.style == "fashion"
    assert fashion.class_names[9] == "Ankle boot"
    # No card for the TCN: task and data set come from the registry.
    assert store.get("seqmnist_tcn").dataset == "sequential_mnist"
    assert store.problems == []


def test_broken_model_file_is_reported_not_fatal(tmp_path):
    from apps.models import ModelStore

    (tmp_path / "broken.keras").write_bytes(b"not a zip archive")
    store = ModelStore(tmp_path)
    assert store.entries == {}
    assert "broken" in store.problems[0]
    header = classifier.App(store).header()
    assert "No trained models found" in header and "broken" in header


def test_top_k_orders_and_names_classes():
    probabilities = np.array([0.1, 0.6, 0.05, 0.25])
    assert top_k(probabilities, "abcd", k=2) == {"b": 0.6, "d": 0.25}


def test_digit_uploads_are_classified(app, test_digits, tmp_path):
    digits, labels = test_digits
    paths = images.write_uploads(digits[:10], tmp_path, "digit")
    predicted = [
        next(iter(app.predict(str(p), "mnist_seed_cnn"))) for p in paths
    ]
    correct = sum(p == str(y) for p, y in zip(predicted, labels[:10]))
    assert correct >= 9, (predicted, labels[:10])


def test_clothing_uploads_use_fashion_labels(
    app, store, test_clothes, tmp_path
):
    items, labels = test_clothes
    names = store.get("fashion_seed_cnn").class_names
    paths = images.write_uploads(items[:10], tmp_path, "item")
    predicted = [
        next(iter(app.predict(str(p), "fashion_seed_cnn"))) for p in paths
    ]
    assert set(predicted) <= set(names)
    correct = sum(p == names[y] for p, y in zip(predicted, labels[:10]))
    assert correct >= 7, (predicted, [names[y] for y in labels[:10]])


def test_drawing_is_read_like_mnist(app, test_digits):
    digits, labels = test_digits
    correct = 0
    for digit, label in zip(digits[:10], labels[:10]):
        sketch = {
            "background": None,
            "layers": [images.sketch_layer(digit)],
            "composite": None,
        }
        label_dict, view, status, current = app.draw(sketch, "mnist_seed_cnn")
        correct += next(iter(label_dict)) == str(label)
        assert view.shape == (28, 28, 3)
        assert current["source"] == "drawing"
        assert current["images"]["mnist"].shape == (28, 28)
    assert correct >= 9


@pytest.mark.parametrize(
    "sketch",
    [
        None,
        {"background": None, "layers": [], "composite": None},
        {
            "background": None,
            "layers": [np.zeros((280, 280, 4), np.uint8)],
            "composite": None,
        },
    ],
)
def test_empty_canvas_asks_for_a_digit(app, sketch):
    label, view, status, current = app.draw(sketch, "mnist_seed_cnn")
    assert label is None and view is None
    assert "Draw a digit" in status


def _encode(image, format="PNG", **kwargs):
    buffer = io.BytesIO()
    image.save(buffer, format=format, **kwargs)
    return buffer.getvalue()


def _digit_image(test_digits):
    return Image.fromarray(test_digits[0][0])  # a 7


def _variants(digit):
    rgba = digit.convert("RGBA")
    rgba.putalpha(digit)  # ink opaque, paper transparent
    sixteen = Image.fromarray(np.asarray(digit).astype(np.uint16) * 257)
    return {
        "rgba": _encode(rgba),
        "palette": _encode(digit.convert("P")),
        "16-bit": _encode(sixteen),
        "cmyk": _encode(digit.convert("CMYK"), format="JPEG", quality=95),
        "jpeg": _encode(digit.convert("RGB"), format="JPEG", quality=90),
        "gif": _encode(digit, format="GIF"),
    }


@pytest.mark.parametrize(
    "kind", ["rgba", "palette", "16-bit", "cmyk", "jpeg", "gif"]
)
def test_image_modes_are_read(app, test_digits, tmp_path, kind):
    path = tmp_path / f"digit.{kind}"
    path.write_bytes(_variants(_digit_image(test_digits))[kind])
    label = app.predict(str(path), "mnist_seed_cnn")
    assert next(iter(label)) == "7"


BAD_FILES = {
    "blank": (
        lambda: _encode(Image.new("L", (64, 64), 255)),
        "blank",
    ),
    "uniform-grey": (
        lambda: _encode(Image.new("RGB", (50, 30), (90, 90, 90))),
        "blank",
    ),
    "1x1": (lambda: _encode(Image.new("L", (1, 1), 0)), "blank"),
    "corrupt": (lambda: b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "not a readable"),
    "truncated": (
        lambda: _encode(Image.new("L", (64, 64), 30))[:40],
        "not a readable",
    ),
    "huge": (
        lambda: _encode(Image.new("1", (10_000, 10_000), 1)),
        "too large",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_files_give_clear_messages(app, tmp_path, kind):
    make, expected = BAD_FILES[kind]
    path = tmp_path / f"{kind}.png"
    path.write_bytes(make())
    with pytest.raises(gr.Error, match=expected):
        app.predict(str(path), "mnist_seed_cnn")
    preview, view, status, current = app.show_upload(
        str(path), "mnist_seed_cnn"
    )
    assert preview is None and expected in status


def test_refusals_are_titled_path_free_and_logged_once(app, tmp_path, caplog):
    path = tmp_path / "notes.png"
    path.write_text("not a picture")
    with caplog.at_level("INFO", logger="apps.classifier"):
        with pytest.raises(gr.Error) as refused:
            app.predict(str(path), "mnist_seed_cnn")
    error = refused.value
    assert error.title == "Cannot use this input"
    assert "not a readable image" in error.message
    assert str(tmp_path) not in error.message and "notes.png" in error.message
    assert error.print_exception is False  # no traceback in the server log
    assert len(caplog.records) == 1 and caplog.records[0].exc_info is None
    _, _, status, _ = app.show_upload(str(path), "mnist_seed_cnn")
    assert str(tmp_path) not in status


def test_unknown_model_is_refused(app, test_digits, tmp_path):
    path = images.write_uploads(test_digits[0][:1], tmp_path, "d")[0]
    with pytest.raises(gr.Error, match="Unknown model"):
        app.predict(str(path), "../etc/passwd")


def test_upload_preview_and_state(app, test_clothes, tmp_path):
    path = images.write_uploads(test_clothes[0][1:2], tmp_path, "item")[0]
    preview, view, status, current = app.show_upload(
        str(path), "fashion_seed_cnn"
    )
    # A 28x28 upload is previewed enlarged 8x with crisp pixels.
    assert preview.shape == (224, 224, 3) and view.shape == (28, 28, 3)
    block = np.broadcast_to(preview[0, 0], (8, 8, 3))
    assert np.array_equal(preview[:8, :8], block)
    assert current["style"] == "fashion" and "28×28" in status
    # The other family's answer is always given, never silently dropped.
    assert "Read as digits, `mnist_seed_cnn` says" in status


def test_feature_maps_and_explanations(app, test_digits, tmp_path):
    path = str(images.write_uploads(test_digits[0][:1], tmp_path, "d")[0])
    grid = app.feature_maps(path, "mnist_seed_cnn", "block1_conv")
    # 32 maps of 26x26 enlarged 2x under a 12-pixel number gutter, in a
    # 6x6 grid with 3-pixel gaps, then an 8-pixel gap and the colour bar.
    assert grid.shape == (6 * 67 - 3, 6 * 55 - 3 + 8 + 70, 3)
    shared = app.feature_maps(path, "mnist_seed_cnn", "block1_conv", None, True)
    assert shared.shape == grid.shape and not np.array_equal(shared, grid)
    kernels, cam, saliency, notes = app.explain(
        path, "mnist_seed_cnn", "block1_conv"
    )
    assert kernels.shape == (4 * 4 - 1, 8 * 4 - 1, 3)  # 32 3x3 filters
    assert cam.shape == saliency.shape == (28, 28, 3)
    assert "**7**" in notes and "block2_conv" in notes
    with pytest.raises(gr.Error, match="no image-shaped layer"):
        app.feature_maps(path, "mnist_seed_cnn", "fc1")


def test_feature_maps_of_every_layer_from_one_compiled_model(
    store, test_digits
):
    entry = store.get("mnist_seed_cnn")
    batch = test_digits[0][:1, ..., None].astype("float32")  # as the app
    for name in entry.spatial_layers():
        # Independent reference: a fresh model up to that one layer.
        alone = keras.Model(
            entry.model.input, entry.model.get_layer(name).output
        )
        expected = keras.ops.convert_to_numpy(alone(batch, training=False))
        np.testing.assert_allclose(
            entry.feature_maps(batch, name), expected, rtol=1e-5, atol=1e-5
        )
    # Every layer was read from the same model, compiled once.
    model = entry.activation_model()
    assert model is entry.activation_model()
    if keras.backend.backend() == "tensorflow":
        assert model.predict_function.experimental_get_tracing_count() == 1


def test_inside_tab_uses_the_current_drawing(app, test_digits):
    current = {
        "images": {"mnist": test_digits[0][1].astype("float32")},
        "style": "mnist",
        "source": "drawing",
    }
    grid = app.feature_maps(None, "mnist_seed_cnn", "block2_pool", current)
    assert grid.shape[2] == 3
    assert app.feature_maps(None, "mnist_seed_cnn", "block2_pool") is None
    kernels, cam, saliency, notes = app.explain(
        None, "mnist_seed_cnn", "block2_pool"
    )
    assert cam is None and "Draw a digit or upload" in notes


def test_layer_choices_default_to_first_conv(app):
    update = app.layer_choices("fashion_seed_cnn")
    assert update["value"] == "block1_conv"
    assert update["choices"] == [
        "block1_conv",
        "block1_pool",
        "block2_conv",
        "block2_pool",
    ]


def test_playground_reports_matching_sizes(app, test_digits):
    current = {
        "images": {"mnist": test_digits[0][0].astype("float32")},
        "style": "mnist",
        "source": "upload",
    }
    kernel = app.kernel_preset("Sobel x")
    shown_in, shown_out, text = app.convolve(current, kernel, "valid", 2, 1)
    # Enlarged 8x, so input and output keep their relative sizes.
    assert shown_in.shape == (224, 224, 3)
    assert shown_out.shape == (13 * 8, 13 * 8, 3)
    assert "⌊(28 − 3 + 0) / 2⌋ + 1 = 13" in text
    _, shown_out, text = app.convolve(None, kernel, "reflect", 1, 3)
    assert shown_out.shape == (224, 224, 3) and "a sample digit" in text
    # Stride and dilation together: the dilated kernel spans 5 pixels.
    _, shown_out, text = app.convolve(current, kernel, "valid", 2, 2)
    assert shown_out.shape == (12 * 8, 12 * 8, 3)
    assert "⌊(28 − 5 + 0) / 2⌋ + 1 = 12" in text
    _, shown_out, text = app.convolve(current, [[1, "x", 0]], "valid", 1, 1)
    assert shown_out is None and "number" in text


def test_architecture_table_and_card(app, store):
    rows, markdown = app.architecture("mnist_seed_cnn")
    model = store.get("mnist_seed_cnn").model
    assert [r[0] for r in rows] == [layer.name for layer in model.layers]
    params = sum(int(r[3].replace(",", "")) for r in rows)
    assert params == model.count_params()
    assert "121,930 parameters" in markdown
    assert "Test model card" in markdown and "![" not in markdown


def test_architecture_view_explains_the_receptive_field(app):
    rows, markdown, pictures = app.architecture_view("mnist_seed_cnn")
    fields = {row[0]: row[5] for row in rows}
    assert fields["block1_conv"] == "3"
    assert fields["flatten"] == "28 (whole input)"
    assert "sees the whole input" in markdown
    # The test card links curves.png, which is not there: no picture.
    assert pictures == []


def test_every_tab_defaults_to_the_best_model_of_its_family(store):
    assert store.best("digit") == "mnist_seed_cnn"
    assert store.best("clothing") == "fashion_seed_cnn"
    assert store.best("sequence") == "seqmnist_tcn"


def test_stream_follows_the_chosen_class(app, test_digits):
    digit = test_digits[0][0].astype("float32")
    current = {"images": {"mnist": digit}, "style": "mnist", "source": "x"}
    plot, _, status = app.stream(current, "seqmnist_tcn", "3")
    assert plot.ndim == 3 and "follows **3** row by row" in status


def test_stream_reads_the_digit_pixel_by_pixel(app, store, test_digits):
    digit = test_digits[0][0].astype("float32")
    current = {"images": {"mnist": digit}, "style": "mnist", "source": "x"}
    plot, view, status = app.stream(current, "seqmnist_tcn")
    assert plot.ndim == 3 and view.shape == (28, 28, 3)
    assert "After all 784 pixels" in status
    # The last streamed step is the model's answer on the whole sequence.
    model = store.get("seqmnist_tcn").model
    expected = model.predict_on_batch(digit.reshape(1, 784, 1))[0]
    streamed = app.streamer(store.get("seqmnist_tcn")).run(
        digit.reshape(784, 1)
    )
    np.testing.assert_allclose(streamed[-1], expected, atol=1e-5)
    tree = app.receptive_field("seqmnist_tcn")
    assert tree.ndim == 3


def test_prepare_refuses_blank_ink():
    with pytest.raises(preprocess.InputError, match="blank"):
        classifier.prepare(np.zeros((10, 10)), "fashion")


def test_settle_step():
    probabilities = np.eye(3)[[0, 1, 1, 2, 2, 2]]
    assert classifier.settle_step(probabilities) == 3
