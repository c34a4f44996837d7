"""A catalogue of bad inputs across the project: each is refused with a
clear, specific message (no traceback for a user) and leaves nothing
written half-way.

Surfaces: the zoo's Python API (layers, registry, model files), the app's
image reading and handlers, and the command-line tools (`zoo-train`,
`zoo-eval`, `zoo-export`) run in process through `training.cli.run_main`
and, for two, as subprocesses. Then faults: a crash in the middle of a
model or card save, and model files that would run code when loaded. The
app's security defaults close the file.
"""

import gzip
import io
import json
import os
import pathlib
import re
import subprocess
import sys
import zipfile

import keras
import numpy as np
import pytest
from PIL import Image

import zoo
from training import cli
from training import evaluate
from training import export
from training import io_utils
from training import train
from zoo import layers as zl
from zoo import saving

gr = pytest.importorskip("gradio")

from apps import classifier  # noqa: E402
from apps import preprocess  # noqa: E402
from apps.models import ModelStore  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
DIGIT_MODEL = "mnist_seed_cnn"
# Lines TensorFlow's C++ code may print; they are not the tools' output.
NATIVE_LOG = re.compile(r"^(?:[IWE]\d{4} |WARNING: All log messages)")


# ---------------------------------------------------------------------------
# Bad files, made once per module.


def _png(image, **kwargs):
    buffer = io.BytesIO()
    image.save(buffer, format=kwargs.pop("format", "PNG"), **kwargs)
    return buffer.getvalue()


def _write_idx(path, array, magic=None, cut=0):
    """IDX by hand (gzip), so the reader under test is not the writer."""
    array = np.asarray(array, np.uint8)
    magic = (0x0800 | array.ndim) if magic is None else magic
    header = magic.to_bytes(4, "big") + b"".join(
        d.to_bytes(4, "big") for d in array.shape
    )
    content = header + array.tobytes()
    path.write_bytes(gzip.compress(content[: len(content) - cut]))


def _idx_folder(folder, fault=None):
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, count in (("train", 20), ("t10k", 10)):
        images = rng.integers(0, 256, (count, 28, 28))
        labels = rng.integers(0, 10, count)
        image_path = folder / f"{prefix}-images-idx3-ubyte.gz"
        _write_idx(
            image_path,
            images,
            magic=1234 if fault == "magic" else None,
            cut=100 if fault == "truncated" else 0,
        )
        if fault == "html":
            image_path.write_bytes(b"<!DOCTYPE html><html>Not found</html>")
        _write_idx(
            folder / f"{prefix}-labels-idx1-ubyte.gz",
            labels[: count - 1] if fault == "count" else labels,
        )
    return folder


def _drop_member(source, target, member):
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            if item.filename != member:
                new.writestr(item, old.read(item.filename))


def _flip_a_byte(source, target):
    """A `.keras` archive with one stored byte flipped: its CRC fails."""
    raw = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as archive:
        info = archive.getinfo("model.weights.h5")
    raw[info.header_offset + 30 + len(info.filename) + 500] ^= 0xFF
    target.write_bytes(bytes(raw))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Model files, images and IDX folders, good and bad."""
    root = tmp_path_factory.mktemp("bad_inputs")
    served = root / "served"
    served.mkdir()
    good = served / f"{DIGIT_MODEL}.keras"
    zoo.create_model(DIGIT_MODEL).save(good)
    models = root / "models"
    models.mkdir()
    raw = good.read_bytes()
    (models / "truncated.keras").write_bytes(raw[: len(raw) // 2])
    (models / "not_a_zip.keras").write_text("just some text\n")
    (models / "model.h5").write_bytes(raw)
    _drop_member(good, models / "no_config.keras", "config.json")
    _flip_a_byte(good, models / "bit_flip.keras")

    class Stranger(keras.layers.Layer):  # from "another project"
        def call(self, x):
            return x

    keras.saving.register_keras_serializable("other_project")(Stranger)
    inputs = keras.Input((4,))
    keras.Model(inputs, Stranger()(inputs)).save(models / "foreign.keras")
    del keras.saving.get_custom_objects()["other_project>Stranger"]
    inputs = keras.Input((4,))
    outputs = keras.layers.Lambda(lambda x: x * 2.0)(inputs)
    keras.Model(inputs, outputs).save(models / "lambda.keras")

    images = root / "images"
    images.mkdir()
    uploads = {
        "white": _png(Image.new("L", (64, 64), 255)),
        "black": _png(Image.new("RGB", (64, 48), (0, 0, 0))),
        "1x1": _png(Image.new("L", (1, 1), 0)),
        "huge": _png(Image.new("1", (10_000, 10_000), 1)),
        "truncated": _png(Image.new("L", (64, 64), 30))[:60],
        "text": b"This is a text file, not a picture.\n",
        "empty": b"",
    }
    for name, content in uploads.items():
        (images / f"{name}.png").write_bytes(content)
    data = root / "data"
    for fault in ("magic", "truncated", "count", "html"):
        _idx_folder(data / fault, fault)
    (root / "a_file").write_text("not a folder\n")
    return root


@pytest.fixture(scope="module")
def app(files):
    return classifier.App(ModelStore(files / "served"))


# ---------------------------------------------------------------------------
# 1. The Python API: layers, registry, models, model files.


def _model_call(shape):
    return lambda files: zoo.create_model(DIGIT_MODEL)(np.zeros(shape))


def _load(name):
    return lambda files: zoo.load_pretrained(name, files / "models")


def _load_path(name):
    return lambda files: saving.load_model(files / "models" / name)


def _tcn_stream_same(files):
    tcn = zl.TCN(nb_filters=4, dilations=[1, 2], padding="same")
    tcn.build((None, 16, 1))
    tcn.get_initial_state(1)


API_CASES = {
    "negative dilation": (
        lambda f: zl.DilatedConv1D(4, 3, dilation_rate=-1),
        "`dilation_rate` argument must be strictly positive. "
        "Received: dilation_rate=-1",
    ),
    "zero dilation": (
        lambda f: zl.DilatedConv2D(4, 3, dilation_rate=0),
        "dilation_rate.*strictly positive.*Received: dilation_rate=0",
    ),
    "zero kernel size": (
        lambda f: zl.DilatedConv2D(4, 0),
        "kernel_size.*strictly positive.*Received: kernel_size=0",
    ),
    "zero filters": (
        lambda f: zl.DilatedConv1D(0, 3),
        "`filters`.*strictly positive.*Received: filters=0",
    ),
    "unknown padding": (
        lambda f: zl.DilatedConv2D(4, 3, padding="mirror"),
        r"padding.*Expected one of \['valid', 'same', 'reflect'\]"
        ".*Received: padding='mirror'",
    ),
    "causal padding in 2-D": (
        lambda f: zl.DilatedConv2D(4, 3, padding="causal"),
        "Received: padding='causal'",
    ),
    "separable strides with dilation": (
        lambda f: zl.DepthwiseSeparableConv2D(4, 3, strides=2, dilation_rate=2),
        "`strides > 1` is not compatible with `dilation_rate > 1`",
    ),
    "unknown data_format": (
        lambda f: zl.DilatedConv2D(4, 3, data_format="NHWC"),
        "data_format.*Received: data_format='NHWC'",
    ),
    "reflection padding >= input size": (
        lambda f: zl.ReflectionPadding2D(3)(np.zeros((1, 3, 3, 1))),
        "padding must be smaller than the input size.*Axis 1 has size 3",
    ),
    "reflect conv window > input": (
        lambda f: zl.DilatedConv2D(2, 3, dilation_rate=4, padding="reflect")(
            np.zeros((1, 4, 4, 1))
        ),
        "Reflection padding must be smaller than the input size",
    ),
    "negative reflection padding": (
        lambda f: zl.ReflectionPadding1D(-1),
        "`padding` argument must be non-negative. Received: padding=-1",
    ),
    "valid conv window > input": (
        lambda f: zl.DilatedConv1D(2, 3, dilation_rate=4)(np.zeros((1, 5, 1))),
        "smaller than the effective kernel size.*size 5 < 9",
    ),
    "ReflectionConv2D other padding": (
        lambda f: zl.ReflectionConv2D(2, 3, padding="same"),
        "always uses padding='reflect'.*Received: padding='same'",
    ),
    "CausalConv1D other padding": (
        lambda f: zl.CausalConv1D(2, 3, padding="same"),
        "always uses padding='causal'.*Received: padding='same'",
    ),
    "zero depth multiplier": (
        lambda f: zl.DepthwiseSeparableConv2D(4, 3, depth_multiplier=0),
        "depth_multiplier.*Received: depth_multiplier=0",
    ),
    "TCN empty dilations": (
        lambda f: zl.TCN(nb_filters=8, dilations=[]),
        "dilations.*Received: dilations=\\[\\]",
    ),
    "TCN zero dilation": (
        lambda f: zl.TCN(nb_filters=8, dilations=[1, 0]),
        "dilations.*Received: dilations=\\[1, 0\\]",
    ),
    "TCN dropout >= 1": (
        lambda f: zl.TCN(nb_filters=8, dropout_rate=1.5),
        "dropout_rate.*Received: dropout_rate=1.5",
    ),
    "TCN two normalizations": (
        lambda f: zl.TCN(
            nb_filters=8, use_batch_norm=True, use_layer_norm=True
        ),
        "At most one of",
    ),
    "TCN valid padding": (
        lambda f: zl.TCN(nb_filters=8, padding="valid"),
        "Received: padding='valid'",
    ),
    "TCN streaming with same padding": (
        _tcn_stream_same,
        "Streaming inference.*needs padding='causal'",
    ),
    "model: wrong channels": (
        _model_call((1, 28, 28, 3)),
        "expected axis -1 of input shape to have value 1",
    ),
    "model: wrong image size": (
        _model_call((1, 32, 32, 1)),
        r"incompatible with the layer: expected shape=\(None, 28, 28, 1\)",
    ),
    "unknown model name": (
        lambda f: zoo.create_model("mnist_seed_cn"),
        "Unknown model 'mnist_seed_cn'. Did you mean.*mnist_seed_cnn",
    ),
    "unknown builder argument": (
        lambda f: zoo.create_model(DIGIT_MODEL, bogus=3),
        "does not accept the keyword argument.*bogus",
    ),
    "bad input_shape": (
        lambda f: zoo.create_model(DIGIT_MODEL, input_shape=(28,)),
        "input_shape=\\(height, width, channels\\).*Received",
    ),
    "load_pretrained: a path as name": (
        lambda f: zoo.load_pretrained("../../etc/passwd", f / "models"),
        "must be a model name.*not a path",
    ),
    "load_pretrained: no such model": (
        _load("mnist_seed_cn"),
        "No trained model 'mnist_seed_cn'",
    ),
    "load_pretrained: truncated .keras": (
        _load("truncated"),
        "not a valid .keras archive \\(corrupt, truncated",
    ),
    "load_pretrained: not a zip": (
        _load("not_a_zip"),
        "not a valid .keras archive",
    ),
    "load_pretrained: another project's layer": (
        _load("foreign"),
        "does not know: 'Stranger' \\(a model from another project",
    ),
    "load_pretrained: Python lambda": (
        _load("lambda"),
        "Lambda.*arbitrary code execution.*safe_mode",
    ),
    "load_model: .h5 suffix": (
        _load_path("model.h5"),
        "is not a .keras file",
    ),
    "load_model: archive without config": (
        _load_path("no_config.keras"),
        "damaged .keras archive.*config.json missing",
    ),
    "load_model: flipped byte": (
        _load_path("bit_flip.keras"),
        "damaged .keras archive \\(bad member model.weights.h5\\)",
    ),
}


@pytest.mark.parametrize("case", sorted(API_CASES))
def test_python_api_refuses_bad_input(files, case):
    call, message = API_CASES[case]
    with pytest.raises(ValueError, match=message):
        call(files)


# ---------------------------------------------------------------------------
# 2. The app: picture reading and the handlers behind each tab.


def _upload(name):
    def call(app, files):
        return app.predict(str(files / "images" / f"{name}.png"), DIGIT_MODEL)

    return call


def _array(array):
    return lambda app, files: app.draw(
        {"background": None, "layers": [], "composite": array}, DIGIT_MODEL
    )


def _nan_ink(app, files):
    ink = np.zeros((28, 28), "float32")
    ink[10:18, 12:15] = np.nan
    return classifier.prepare(ink, "mnist")


APP_CASES = {
    "all-white upload": (_upload("white"), "blank"),
    "all-black upload": (_upload("black"), "blank"),
    "1x1 upload": (_upload("1x1"), "blank"),
    "10000x10000 upload": (
        _upload("huge"),
        "too large \\(10000x10000 pixels\\); the limit is 40,000,000",
    ),
    "truncated PNG": (
        _upload("truncated"),
        "not a readable image \\(corrupt, truncated",
    ),
    "text file named .png": (_upload("text"), "not a readable image"),
    "empty file": (_upload("empty"), "not a readable image"),
    "NaN canvas": (
        _array(np.full((64, 64, 4), np.nan)),
        "NaN or infinite values",
    ),
    "inf canvas": (
        _array(np.where(np.eye(64) > 0, np.inf, 0.0)),
        "NaN or infinite values",
    ),
    "NaN ink through the Python API": (_nan_ink, "NaN or infinite values"),
    "5-channel array": (
        _array(np.zeros((8, 8, 5))),
        "Expected 1, 3 or 4 colour channels, got 5",
    ),
    "4-D array": (
        _array(np.zeros((1, 8, 8, 3))),
        "Expected a 2-D grayscale or 3-D colour image.*\\(1, 8, 8, 3\\)",
    ),
    "unknown model in a request": (
        lambda app, files: app.predict(
            str(files / "images" / "white.png"), "../saved_models/x"
        ),
        "Unknown model '../saved_models/x'; choose one of",
    ),
    "path as a layer name": (
        lambda app, files: app.feature_maps(None, DIGIT_MODEL, "/etc/passwd"),
        "has no image-shaped layer '/etc/passwd'",
    ),
    "sequence tab without a TCN": (
        lambda app, files: app.stream(None, DIGIT_MODEL),
        "No sequence model is loaded",
    ),
}


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("case", sorted(APP_CASES))
def test_app_refuses_bad_input_with_a_message(app, files, case):
    call, message = APP_CASES[case]
    with pytest.raises((gr.Error, preprocess.InputError), match=message):
        call(app, files)


@pytest.mark.parametrize(
    "sketch",
    [
        None,
        {"background": None, "layers": [], "composite": None},
        {
            "background": None,
            "layers": [],
            "composite": np.full((280, 280, 4), 255, np.uint8),
        },
    ],
    ids=["none", "no layers", "white composite"],
)
def test_empty_canvas_asks_for_a_drawing(app, sketch):
    label, view, status, _ = app.draw(sketch, DIGIT_MODEL)
    assert label is None and view is None
    assert status == classifier.DRAW_PROMPT


@pytest.mark.parametrize(
    "kernel, stride, dilation, message",
    [
        ([[1, 0, float("nan")], [0, 1, 0], [0, 0, 1]], 1, 1, "finite number"),
        ([[1, 0], [0, 1]], 1, 1, "must be 3x3"),
        # Dilation 20 spreads a 3x3 kernel over 41 pixels of a 28x28 input.
        ([[0, 0, 0]] * 3, 1, 20, "smaller than the effective kernel size"),
    ],
    ids=["NaN kernel", "2x2 kernel", "dilation wider than the image"],
)
def test_playground_explains_bad_settings(
    app, kernel, stride, dilation, message
):
    _, output, text = app.convolve(None, kernel, "valid", stride, dilation)
    assert output is None
    assert text.startswith("⚠️") and message in text


def _dot(app, files):
    layer = np.zeros((280, 280, 4), np.uint8)
    layer[140:146, 140:146, 3] = 255
    return app.draw(
        {"background": None, "layers": [layer], "composite": None},
        DIGIT_MODEL,
    )[0]


def _mode(image, **kwargs):
    def call(app, files):
        path = files / "images" / f"mode_{image.mode}.img"
        path.write_bytes(_png(image, **kwargs))
        return app.predict(str(path), DIGIT_MODEL)

    return call


def _digit_like(mode):
    array = np.zeros((40, 40), np.uint8)
    array[8:32, 18:23] = 255  # a "1"
    image = Image.fromarray(array)
    if mode == "RGBA":  # black ink, transparent paper
        image = Image.new("RGBA", image.size, (0, 0, 0, 0))
        image.putalpha(Image.fromarray(array))
        return image
    if mode == "I;16":
        return Image.fromarray(array.astype(np.uint16) * 257)
    return image.convert(mode)


ODD_BUT_VALID = {
    "single dot on the canvas": _dot,
    "RGBA upload": _mode(_digit_like("RGBA")),
    "palette upload": _mode(_digit_like("P")),
    "16-bit upload": _mode(_digit_like("I;16")),
    "CMYK JPEG upload": _mode(_digit_like("CMYK"), format="JPEG"),
}


@pytest.mark.parametrize("case", sorted(ODD_BUT_VALID))
def test_odd_but_valid_pictures_are_classified(app, files, case):
    label = ODD_BUT_VALID[case](app, files)
    assert len(label) == 5
    assert all(0.0 <= p <= 1.0 for p in label.values())


# ---------------------------------------------------------------------------
# 3. The command-line tools, in process: exit 2 and one line, no traceback,
#    no output written.

TINY = ["--epochs", "1", "--max-steps", "1", "--batch-size", "8"]


def _train(data=None, *extra):
    def argv(files, tmp):
        spec = f"idx:{files / 'data' / data}" if data else "mnist"
        return [
            "--model",
            DIGIT_MODEL,
            "--data",
            spec,
            "--out",
            str(tmp / "out"),
            *TINY,
            *extra,
        ]

    return argv


def _models(name, *extra):
    return lambda files, tmp: [
        str(files / "models" / name),
        "--data",
        "mnist",
        *extra,
    ]


CLI_CASES = {
    "train: missing data folder": (
        "zoo-train",
        _train("no_such_folder"),
        "no_such_folder is not a folder; idx:DIR needs",
    ),
    "train: IDX with bad magic": (
        "zoo-train",
        _train("magic"),
        "is not an IDX images file: magic number 1234, expected 2051",
    ),
    "train: truncated IDX": (
        "zoo-train",
        _train("truncated"),
        "is truncated: 15580 bytes of data, expected 15680",
    ),
    "train: image/label count mismatch": (
        "zoo-train",
        _train("count"),
        "has 20 images but .* has 19 labels",
    ),
    "train: HTML page as IDX": (
        "zoo-train",
        _train("html"),
        "not an IDX images file.*HTML page",
    ),
    "train: --epochs 0": (
        "zoo-train",
        _train(None, "--epochs", "0"),
        "--epochs: expected a positive integer, got '0'",
    ),
    "train: --lr nan": (
        "zoo-train",
        _train(None, "--lr", "nan"),
        "--lr: expected a positive finite number, got 'nan'",
    ),
    "train: --validation-split 1.5": (
        "zoo-train",
        _train(None, "--validation-split", "1.5"),
        "--validation-split: expected a number in \\[0, 1\\)",
    ),
    "train: unknown --optimizer": (
        "zoo-train",
        _train(None, "--optimizer", "rmsprop"),
        "invalid choice: 'rmsprop'",
    ),
    "train: unknown --model": (
        "zoo-train",
        lambda files, tmp: ["--model", "resnet50", "--data", "mnist"],
        "unknown model 'resnet50'.*Pass one of",
    ),
    "train: unknown --data": (
        "zoo-train",
        lambda files, tmp: ["--model", DIGIT_MODEL, "--data", "bogus:3"],
        "unknown data spec 'bogus:3'",
    ),
    "train: --out is a file": (
        "zoo-train",
        lambda files, tmp: [
            "--model",
            DIGIT_MODEL,
            "--data",
            "mnist",
            "--out",
            str(files / "a_file"),
        ],
        "is a file, not a folder",
    ),
    "train: model and data shapes differ": (
        "zoo-train",
        lambda files, tmp: [
            "--model",
            DIGIT_MODEL,
            "--data",
            "adding:20",
            "--out",
            str(tmp / "out"),
            *TINY,
        ],
        "takes inputs of shape \\(28, 28, 1\\) but --data adding:20 gives",
    ),
    "eval: truncated .keras": (
        "zoo-eval",
        _models("truncated.keras"),
        "not a valid .keras archive",
    ),
    "eval: not a zip": (
        "zoo-eval",
        _models("not_a_zip.keras"),
        "not a valid .keras archive",
    ),
    "eval: another project's layer": (
        "zoo-eval",
        _models("foreign.keras"),
        "does not know: 'Stranger'",
    ),
    "eval: Python lambda": (
        "zoo-eval",
        _models("lambda.keras", "--out", "eval_out"),
        "Lambda.*safe_mode",
    ),
    "eval: missing file": (
        "zoo-eval",
        _models("missing.keras"),
        "model file not found",
    ),
    "export: --out is a folder": (
        "zoo-export",
        lambda files, tmp: [
            str(files / "served" / f"{DIGIT_MODEL}.keras"),
            "--out",
            str(tmp),
            "--data",
            "mnist",
        ],
        "is a folder: pass a file path",
    ),
    "export: truncated .keras": (
        "zoo-export",
        _models("truncated.keras", "--out", "model.tflite"),
        "not a valid .keras archive",
    ),
}

TOOLS = {"zoo-train": train.main, "zoo-eval": evaluate.main}
TOOLS["zoo-export"] = export.main


def _own_lines(stderr):
    return [
        line
        for line in stderr.splitlines()
        if line.strip() and not NATIVE_LOG.match(line)
    ]


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_cli_refuses_bad_input_in_one_line(
    files, tmp_path, capsys, monkeypatch, case
):
    prog, make_argv, message = CLI_CASES[case]
    monkeypatch.chdir(tmp_path)  # relative outputs land in tmp_path
    argv = make_argv(files, tmp_path)
    try:
        code = cli.run_main(prog, TOOLS[prog], argv)
    except SystemExit as exit_:  # argparse
        code = exit_.code
    stderr = capsys.readouterr().err
    assert code == 2, stderr
    assert "Traceback" not in stderr
    lines = _own_lines(stderr)
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"{prog}: error: "), lines[0]
    assert re.search(message, lines[0]), lines[0]
    # Nothing written half-way: no model, card, metrics or export anywhere.
    written = [
        p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()
    ]
    assert written == [], written
    assert not (tmp_path / "out").exists()


def _subprocess(module, argv):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.Popen(
        [sys.executable, "-m", module, *argv],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_console_scripts_print_no_traceback(files, tmp_path):
    # Both at once: most of their time is importing TensorFlow.
    out = tmp_path / "out"
    runs = {
        "zoo-train": _subprocess(
            "training.train",
            [
                "--model",
                DIGIT_MODEL,
                "--data",
                f"idx:{files / 'data' / 'magic'}",
                "--out",
                str(out),
                *TINY,
            ],
        ),
        "zoo-eval": _subprocess(
            "training.evaluate",
            [str(files / "models" / "lambda.keras"), "--data", "mnist"],
        ),
    }
    for prog, process in runs.items():
        _, stderr = process.communicate(timeout=240)
        assert process.returncode == 2, stderr
        assert "Traceback" not in stderr
        lines = _own_lines(stderr)
        assert len(lines) == 1 and lines[0].startswith(f"{prog}: error:")
    assert not out.exists()


# ---------------------------------------------------------------------------
# 4. Faults: crashes mid-save, and model files that would run code.


def _temporaries(folder):
    return [p.name for p in folder.iterdir() if io_utils.TEMP_MARKER in p.name]


@pytest.mark.parametrize("previous", [b"the previous model", None])
def test_crash_mid_model_save_leaves_the_final_name_alone(
    tmp_path, monkeypatch, previous
):
    path = tmp_path / "best.keras"
    if previous is not None:
        path.write_bytes(previous)

    def crashing_save(self, filepath, *args, **kwargs):
        pathlib.Path(filepath).write_bytes(b"PK\x03\x04 half a zip")
        raise OSError("No space left on device")

    monkeypatch.setattr(keras.Model, "save", crashing_save)
    model = zoo.create_model(DIGIT_MODEL)
    with pytest.raises(OSError, match="No space left"):
        io_utils.save_model(model, path)
    if previous is None:
        assert not path.exists()
    else:
        assert path.read_bytes() == previous
    assert _temporaries(tmp_path) == []


def test_crash_mid_card_write_keeps_the_previous_card(tmp_path, monkeypatch):
    from training import cards

    cards.write_card({"name": "m", "metrics": {"accuracy": 0.5}}, tmp_path, "m")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    original = pathlib.Path.write_text

    def crashing_write(self, text, *args, **kwargs):
        original(self, text[: len(text) // 2], *args, **kwargs)
        raise KeyboardInterrupt  # as if stopped mid-write

    monkeypatch.setattr(pathlib.Path, "write_text", crashing_write)
    with pytest.raises(KeyboardInterrupt):
        cards.write_card(
            {"name": "m", "metrics": {"accuracy": 0.9}}, tmp_path, "m"
        )
    monkeypatch.undo()
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after == before
    assert json.loads((tmp_path / "m.json").read_text())["metrics"] == {
        "accuracy": 0.5
    }


KILLED_MID_SAVE = """
import os, signal, sys
from training import io_utils
with io_utils.atomic_path(sys.argv[1]) as tmp:
    tmp.write_bytes(b"PK half written")
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_kill_9_mid_save_leaves_only_a_stale_temporary(tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes(b"previous model")
    result = subprocess.run(
        [sys.executable, "-c", KILLED_MID_SAVE, str(path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == -9
    assert path.read_bytes() == b"previous model"
    assert len(_temporaries(tmp_path)) == 1  # what zoo-train cleans up
    io_utils.remove_stale_temporaries(tmp_path)
    assert _temporaries(tmp_path) == []
    assert path.read_bytes() == b"previous model"


def test_app_skips_model_files_that_would_run_code(files, tmp_path):
    for name in ("lambda", "foreign", "truncated"):
        (tmp_path / f"{name}.keras").write_bytes(
            (files / "models" / f"{name}.keras").read_bytes()
        )
    store = ModelStore(tmp_path, warm_up=False)
    assert store.entries == {}
    problems = "\n".join(store.problems)
    assert "lambda: " in problems and "safe_mode" in problems
    assert "foreign: " in problems and "'Stranger'" in problems
    assert "truncated: " in problems
    header = classifier.App(store).header()
    assert "could not be loaded" in header and "safe_mode" in header


# ---------------------------------------------------------------------------
# 5. The app's security defaults.


def test_app_listens_on_loopback_unless_told_otherwise():
    assert classifier.parse_args([]).host == "127.0.0.1"


def test_launch_uses_the_safe_settings():
    class FakeDemo:
        def launch(self, **kwargs):
            self.kwargs = kwargs

    demo = FakeDemo()
    classifier.launch(demo)
    assert demo.kwargs["server_name"] == "127.0.0.1"
    assert demo.kwargs["share"] is False
    assert demo.kwargs["show_error"] is False
    assert demo.kwargs["max_file_size"] == "10mb"
    # Gradio's default keeps 10,000 sessions of ~250 KB each.
    assert demo.kwargs["state_session_capacity"] <= 100


def test_queue_is_bounded(tmp_path):
    demo = classifier.App(ModelStore(tmp_path)).build_queued()
    assert demo._queue.max_size == classifier.QUEUE_SIZE == 32
    assert demo._queue.default_concurrency_limit == 2
