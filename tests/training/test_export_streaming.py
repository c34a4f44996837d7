"""`zoo-export --format tflite --streaming`: the TCN's streaming step (state
in, state out) as a TFLite file, checked at every step of a real
sequential-MNIST digit."""

import re

import keras
import numpy as np
import pytest

from tests.training.cli_utils import data_dir
from tests.training.cli_utils import run_in_process
from training import export
from training.data import load_arrays
from zoo.models import tcn_classifier


@pytest.fixture(autouse=True)
def _real_data(monkeypatch):
    monkeypatch.setenv("ZOO_DATA_DIR", str(data_dir()))


@pytest.fixture(scope="module")
def sequence_model(tmp_path_factory):
    keras.utils.set_random_seed(3)
    model = tcn_classifier(
        input_shape=(784, 1), nb_filters=6, kernel_size=3, dilations=(1, 4, 16)
    )
    path = tmp_path_factory.mktemp("seq") / "seq.keras"
    model.save(path)
    return path


def test_streaming_export_matches_keras_at_every_step(
    sequence_model, tmp_path, capsys
):
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the TFLite converter traces TensorFlow functions")
    out = tmp_path / "step.tflite"
    argv = [str(sequence_model), "--format", "tflite", "--streaming"]
    argv += ["--out", str(out), "--data", "seqmnist"]
    code, stdout, stderr = run_in_process(
        "zoo-export", export.main, argv, capsys
    )

    assert code == 0, stderr
    printed = re.search(r"max \|keras - tflite\| = (\S+)", stdout)
    assert printed and float(printed.group(1)) < 1e-4
    assert "every step of 1 seqmnist test sequence" in stdout
    assert re.search(r"LiteRT streaming step: \d+\.\d+ ms/sample", stdout)
    # Independently: the file's last step is the model's prediction.
    x, _ = load_arrays("seqmnist", "test", limit=1)
    x = x.astype("float32")
    model = keras.models.load_model(sequence_model)
    _, tcn, _ = export.streaming_parts(model)
    shapes = [tuple(s.shape[1:]) for s in tcn.get_initial_state(1)]
    streamed, _ = export.tflite_stream(out, x[0], shapes)
    expected = model.predict(x, verbose=0)[0]
    np.testing.assert_allclose(streamed[-1], expected, atol=1e-4)


@pytest.mark.parametrize(
    "extra, message",
    [(["--format", "saved_model"], "--format tflite")],
)
def test_streaming_export_usage_errors(
    sequence_model, tmp_path, capsys, extra, message
):
    argv = [str(sequence_model), "--streaming", "--out", str(tmp_path / "o")]
    argv += ["--data", "seqmnist", *extra]
    code, _, stderr = run_in_process("zoo-export", export.main, argv, capsys)
    assert code != 0 and message in stderr
    assert not (tmp_path / "o").exists()
