"""`zoo-eval` and `zoo-export` on small trained models: metrics checked
against numpy, TFLite / SavedModel parity, and one-line errors for broken
model files."""

import json
import re
import zipfile

import keras
import numpy as np
import pytest

import zoo
from tests.training.cli_utils import assert_one_line_error
from tests.training.cli_utils import data_dir
from tests.training.cli_utils import per_step_model
from tests.training.cli_utils import run_in_process
from tests.training.cli_utils import run_subprocess
from training import evaluate
from training import export
from training.data import load_arrays


@pytest.fixture(scope="module")
def digit_model(tmp_path_factory):
    """The tutorial CNN after a few steps on real digits, saved as .keras."""
    data = data_dir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZOO_DATA_DIR", str(data))
        x, y = load_arrays("mnist", "train", limit=256)
    keras.utils.set_random_seed(7)
    model = zoo.create_model("mnist_seed_cnn")
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x.astype("float32"), y, batch_size=64, epochs=1, verbose=0)
    path = tmp_path_factory.mktemp("digits") / "digits.keras"
    model.save(path)
    return path


@pytest.fixture(autouse=True)
def _real_data(monkeypatch):
    monkeypatch.setenv("ZOO_DATA_DIR", str(data_dir()))


def test_eval_classification_metrics_match_numpy(digit_model, tmp_path, capsys):
    out = tmp_path / "eval"
    argv = [str(digit_model), "--data", "mnist", "--limit", "120"]
    argv += ["--top-k", "3", "--out", str(out)]
    code, stdout, stderr = run_in_process(
        "zoo-eval", evaluate.main, argv, capsys
    )
    assert code == 0, stderr
    report = json.loads((out / "metrics.json").read_text())

    x, y = load_arrays("mnist", "test", limit=120)
    model = keras.models.load_model(digit_model)
    probabilities = model.predict(x.astype("float32"), verbose=0)
    predicted = probabilities.argmax(axis=1)
    top3 = np.argsort(probabilities, axis=1)[:, -3:]
    matrix = np.zeros((10, 10), dtype=int)
    for true, guess in zip(y, predicted):
        matrix[true, guess] += 1
    metrics = report["metrics"]
    assert metrics["test_examples"] == 120
    assert metrics["test_accuracy"] == pytest.approx(np.mean(predicted == y))
    assert metrics["test_top3_accuracy"] == pytest.approx(
        np.mean([label in row for label, row in zip(y, top3)])
    )
    assert report["confusion_matrix"] == matrix.tolist()
    for digit, row in enumerate(report["per_class"]):
        hits = matrix[digit, digit]
        precision = (
            hits / matrix[:, digit].sum() if matrix[:, digit].sum() else 0
        )
        recall = hits / matrix[digit].sum() if matrix[digit].sum() else 0
        f1 = (
            2 * precision * recall / (precision + recall)
            if precision + recall
            else 0
        )
        assert row["class"] == str(digit)
        assert row["support"] == matrix[digit].sum()
        assert row["precision"] == pytest.approx(precision)
        assert row["recall"] == pytest.approx(recall)
        assert row["f1"] == pytest.approx(f1)

    assert (out / "confusion.png").stat().st_size > 1000
    markdown = (out / "metrics.md").read_text()
    assert markdown == stdout.rstrip("\n") + "\n" or markdown in stdout
    assert "| class | precision | recall | F1 | support |" in markdown
    assert "| true \\ pred | 0 | 1 |" in markdown
    assert len(re.findall(r"^\| \d \| \d", markdown, re.MULTILINE)) == 20


@pytest.mark.parametrize("split", ["val", "train"])
def test_eval_names_metrics_after_the_split(
    digit_model, tmp_path, capsys, split
):
    out = tmp_path / "eval"
    argv = [str(digit_model), "--data", "mnist", "--split", split]
    argv += ["--limit", "200", "--out", str(out)]
    code, stdout, stderr = run_in_process(
        "zoo-eval", evaluate.main, argv, capsys
    )
    assert code == 0, stderr
    metrics = json.loads((out / "metrics.json").read_text())["metrics"]
    assert 0.0 <= metrics[f"{split}_accuracy"] <= 1.0
    assert metrics[f"{split}_examples"] > 0
    assert not [key for key in metrics if key.startswith("test_")]
    assert f"| {split}_accuracy |" in stdout


def test_eval_regression_reports_mse_and_mae(tmp_path, capsys):
    # Any regressor will do; a small dense one keeps the test fast.
    keras.utils.set_random_seed(3)
    model = keras.Sequential(
        [keras.Input((32, 2)), keras.layers.Flatten(), keras.layers.Dense(1)]
    )
    path = tmp_path / "adding.keras"
    model.save(path)
    argv = [str(path), "--data", "adding:32", "--limit", "40"]
    argv += ["--batch-size", "40", "--out", str(tmp_path / "eval")]
    code, _, stderr = run_in_process("zoo-eval", evaluate.main, argv, capsys)
    assert code == 0, stderr

    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())[
        "metrics"
    ]
    x, y = load_arrays("adding:32", "test", limit=40)
    error = model.predict(x, verbose=0).reshape(-1) - y.reshape(-1)
    assert metrics["test_examples"] == 40
    assert metrics["test_mse"] == pytest.approx(np.mean(error**2), rel=1e-4)
    assert metrics["test_mae"] == pytest.approx(np.mean(np.abs(error)), 1e-4)
    assert not (tmp_path / "eval" / "confusion.png").exists()


def tflite_outputs(path, inputs):
    """Runs a .tflite file on `inputs`, one example at a time."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter
    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    source = interpreter.get_input_details()[0]["index"]
    target = interpreter.get_output_details()[0]["index"]
    outputs = []
    for example in inputs:
        interpreter.set_tensor(source, example[None])
        interpreter.invoke()
        outputs.append(interpreter.get_tensor(target)[0])
    return np.stack(outputs)


def test_export_tflite_matches_keras(digit_model, tmp_path, capsys):
    out = tmp_path / "digits.tflite"
    argv = [str(digit_model), "--format", "tflite", "--out", str(out)]
    argv += ["--data", "mnist", "--samples", "64"]
    code, stdout, stderr = run_in_process(
        "zoo-export", export.main, argv, capsys
    )

    assert code == 0, stderr
    size = out.stat().st_size
    assert f"({size:,} bytes" in stdout
    printed = re.search(r"max \|keras - tflite\| = (\S+)", stdout)
    assert printed and float(printed.group(1)) < 1e-4
    # An independent check of the file on other real digits.
    x, _ = load_arrays("mnist", "test", limit=80)
    x = x[64:].astype("float32")
    expected = keras.models.load_model(digit_model).predict(x, verbose=0)
    np.testing.assert_allclose(tflite_outputs(out, x), expected, atol=1e-4)


def test_export_saved_model_takes_data_from_the_card(
    digit_model, tmp_path, capsys
):
    model_path = tmp_path / "digits.keras"
    model_path.write_bytes(digit_model.read_bytes())
    model_path.with_suffix(".json").write_text('{"dataset": "mnist"}')
    out = tmp_path / "saved"
    argv = [str(model_path), "--format", "saved_model", "--out", str(out)]
    argv += ["--samples", "32"]
    code, stdout, stderr = run_in_process(
        "zoo-export", export.main, argv, capsys
    )

    assert code == 0, stderr
    assert "parity on 32 mnist test inputs" in stdout
    assert (out / "saved_model.pb").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    import tensorflow as tf

    x, _ = load_arrays("mnist", "test", limit=8)
    x = x.astype("float32")
    loaded = tf.saved_model.load(str(out))  # must outlive the call
    served = loaded.serve(tf.constant(x)).numpy()
    expected = keras.models.load_model(digit_model).predict(x, verbose=0)
    np.testing.assert_allclose(served, expected, atol=1e-5)


# Broken model files and bad arguments: one line, exit code 2.


def truncated(source, folder):
    path = folder / "truncated.keras"
    path.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    return path


def not_a_zip(source, folder):
    path = folder / "text.keras"
    path.write_text("this is not a model")
    return path


def unknown_layer(source, folder):
    """A valid archive whose config names a layer nobody registered."""
    path = folder / "foreign.keras"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename == "config.json":
                config = json.loads(data)
                layer = next(
                    layer
                    for layer in config["config"]["layers"]
                    if layer["class_name"] == "Conv2D"
                )
                layer.update(
                    module="mystery",
                    class_name="MysteryConv",
                    registered_name="mystery>MysteryConv",
                )
                data = json.dumps(config).encode()
            new.writestr(item, data)
    return path


def missing(source, folder):
    return folder / "nowhere.keras"


def wrong_suffix(source, folder):
    path = folder / "model.h5"
    path.write_bytes(source.read_bytes())
    return path


@pytest.mark.parametrize(
    "make_file, words",
    [
        (truncated, ["truncated.keras", "truncated"]),
        (not_a_zip, ["text.keras", "not a valid .keras"]),
        (unknown_layer, ["MysteryConv"]),
        (missing, ["nowhere.keras", "not found"]),
        (wrong_suffix, ["model.h5", ".keras"]),
    ],
)
@pytest.mark.parametrize(
    "prog, main, extra",
    [
        ("zoo-eval", evaluate.main, ["--data", "mnist"]),
        ("zoo-export", export.main, ["--data", "mnist", "--out", "m.tflite"]),
    ],
)
def test_broken_model_file(
    digit_model, tmp_path, capsys, make_file, words, prog, main, extra
):
    path = make_file(digit_model, tmp_path)
    extra = [str(tmp_path / e) if e.endswith(".tflite") else e for e in extra]
    code, _, stderr = run_in_process(prog, main, [str(path), *extra], capsys)
    assert_one_line_error(code, stderr, prog, *words)


@pytest.mark.parametrize(
    "prog, argv, words",
    [
        ("zoo-eval", ["--data", "adding:50"], ["(50, 2)", "--data"]),
        ("zoo-eval", ["--data", "nope:1"], ["nope:1"]),
        ("zoo-eval", ["--data", "mnist", "--top-k", "0"], ["--top-k"]),
        ("zoo-eval", [], ["--data"]),
        ("zoo-export", ["--out", "OUT", "--format", "onnx"], ["onnx"]),
        ("zoo-export", ["--out", "OUT"], ["--data"]),
        (
            "zoo-export",
            ["--out", "OUT", "--data", "adding:50"],
            ["(50, 2)", "(28, 28, 1)"],
        ),
        ("zoo-export", ["--out", "FOLDER", "--data", "mnist"], ["folder"]),
        (
            "zoo-export",
            ["--out", "FOLDER", "--format", "saved_model", "--data", "mnist"],
            ["exists"],
        ),
    ],
)
def test_bad_eval_and_export_arguments(
    digit_model, tmp_path, capsys, prog, argv, words
):
    main = {"zoo-eval": evaluate.main, "zoo-export": export.main}[prog]
    (tmp_path / "FOLDER").mkdir()
    names = {
        "OUT": str(tmp_path / "m.tflite"),
        "FOLDER": str(tmp_path / "FOLDER"),
    }
    argv = [names.get(arg, arg) for arg in argv]
    code, _, stderr = run_in_process(
        prog, main, [str(digit_model), *argv], capsys
    )
    assert_one_line_error(code, stderr, prog, *words)
    assert not (tmp_path / "m.tflite").exists()


@pytest.mark.large
def test_broken_model_file_in_a_real_process(digit_model, tmp_path):
    path = unknown_layer(digit_model, tmp_path)
    result = run_subprocess(
        "training.evaluate", [str(path), "--data", "mnist"], timeout=120
    )
    assert_one_line_error(
        result.returncode, result.stderr, "zoo-eval", "MysteryConv"
    )


# zoo-eval: a missing or broken model creates no --out folder.


def _missing(folder):
    return folder / "nowhere.keras"


def _not_a_zip(folder):
    path = folder / "text.keras"
    path.write_text("this is not a model")
    return path


@pytest.mark.parametrize(
    "make_file, words",
    [
        (_missing, ["nowhere.keras", "not found"]),
        (_not_a_zip, ["text.keras", "not a valid .keras"]),
    ],
)
def test_eval_of_a_broken_model_leaves_no_out_folder(
    tmp_path, capsys, make_file, words
):
    out = tmp_path / "deep" / "eval"
    argv = [str(make_file(tmp_path)), "--data", "adding:20", "--out", str(out)]
    code, _, stderr = run_in_process("zoo-eval", evaluate.main, argv, capsys)
    assert_one_line_error(code, stderr, "zoo-eval", *words)
    assert not (tmp_path / "deep").exists()


def test_eval_with_a_wrong_data_spec_leaves_no_out_folder(tmp_path, capsys):
    model = keras.Sequential(
        [keras.Input((20, 2)), keras.layers.Flatten(), keras.layers.Dense(1)]
    )
    path = tmp_path / "adding.keras"
    model.save(path)
    out = tmp_path / "eval"
    argv = [str(path), "--data", "adding:30", "--out", str(out)]
    code, _, stderr = run_in_process("zoo-eval", evaluate.main, argv, capsys)
    assert_one_line_error(code, stderr, "zoo-eval", "(20, 2)", "(30, 2)")
    assert not out.exists()


# zoo-export: --out only ever holds an export that passed parity.


def _off_by(delta, predict):
    def shifted(path, inputs):
        return predict(path, inputs) + delta

    return shifted


@pytest.mark.parametrize("previous", [None, b"an older, checked export"])
def test_export_that_fails_parity_never_reaches_out(
    digit_model, tmp_path, capsys, monkeypatch, previous
):
    # A converter bug, simulated: the TFLite file answers 2e-3 off.
    monkeypatch.setattr(
        export, "tflite_predict", _off_by(2e-3, export.tflite_predict)
    )
    out = tmp_path / "digits.tflite"
    if previous is not None:
        out.write_bytes(previous)
    argv = [str(digit_model), "--format", "tflite", "--out", str(out)]
    argv += ["--data", "mnist", "--samples", "8"]
    code, stdout, stderr = run_in_process(
        "zoo-export", export.main, argv, capsys
    )

    assert code == 1, stderr
    assert "Traceback" not in stderr
    measured = float(stderr.split("| = ")[1].split()[0])
    assert measured == pytest.approx(2e-3, rel=1e-2)
    assert "check failed" in stderr and "wrote" not in stdout
    if previous is None:
        assert not out.exists()
    else:
        assert out.read_bytes() == previous
    rejected = tmp_path / "digits.tflite.rejected"
    assert str(rejected) in stderr
    assert rejected.read_bytes()[4:8] == b"TFL3"  # a complete flatbuffer
    names = {p.name for p in tmp_path.iterdir()}
    assert names == {"digits.tflite.rejected"} | (
        {"digits.tflite"} if previous else set()
    )


def test_export_that_passes_replaces_out_and_leaves_no_temporary(
    digit_model, tmp_path, capsys, monkeypatch
):
    out = tmp_path / "digits.tflite"
    out.write_bytes(b"stale")
    argv = [str(digit_model), "--format", "tflite", "--out", str(out)]
    argv += ["--data", "mnist", "--samples", "8"]
    code, stdout, stderr = run_in_process(
        "zoo-export", export.main, argv, capsys
    )
    assert code == 0, stderr
    assert out.read_bytes()[4:8] == b"TFL3"
    assert f"({out.stat().st_size:,} bytes" in stdout
    assert [p.name for p in tmp_path.iterdir()] == ["digits.tflite"]


def test_export_help_explains_the_rejected_file():
    text = export.build_parser().format_help()
    assert "<out>.rejected" in text.replace("\n", " ")
    assert "<out>.rejected" in export.__doc__


# copy:T has one class per step.


def test_eval_scores_every_step_of_copy(tmp_path, capsys):
    keras.utils.set_random_seed(5)
    model = per_step_model(40)
    path = tmp_path / "copy.keras"
    model.save(path)
    argv = [str(path), "--data", "copy:20", "--limit", "30"]
    argv += ["--out", str(tmp_path / "eval")]
    code, _, stderr = run_in_process("zoo-eval", evaluate.main, argv, capsys)

    assert code == 0, stderr
    report = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    x, y = load_arrays("copy:20", "test", limit=30)
    predicted = model.predict(x.astype("float32"), verbose=0).argmax(-1)
    matrix = np.zeros((10, 10), dtype=int)
    np.add.at(matrix, (y.reshape(-1), predicted.reshape(-1)), 1)
    assert report["confusion_matrix"] == matrix.tolist()
    assert report["metrics"]["test_accuracy"] == pytest.approx(
        np.mean(predicted == y)
    )
    assert report["metrics"]["test_examples"] == 30


def test_eval_of_a_last_step_model_on_copy_is_refused(tmp_path, capsys):
    model = keras.Sequential(
        [
            keras.Input((40, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    path = tmp_path / "last.keras"
    model.save(path)
    argv = [str(path), "--data", "copy:20", "--out", str(tmp_path / "eval")]
    code, _, stderr = run_in_process("zoo-eval", evaluate.main, argv, capsys)
    assert_one_line_error(
        code, stderr, "zoo-eval", "(None, 40, 10)", "one class per step"
    )
    assert not (tmp_path / "eval").exists()
