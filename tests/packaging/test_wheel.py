"""The wheel as a layer user installs it: built with `python -m build`,
installed with the `jax` extra only (no TensorFlow) into a fresh venv, and
used from a folder outside the checkout. `import zoo` works, every layer
runs, and `zoo.load_pretrained` finds the models the wheel carries.

Building and installing take about a minute (pip's cache makes reruns
faster), hence `large`. The install reaches the package registry, as any
install does; nothing is downloaded at run time.
"""

import json
import os
import subprocess
import sys
import venv

import pytest

from tests.conftest import ROOT
from tests.conftest import SAMPLE

pytestmark = pytest.mark.large


def _run(argv, **kwargs):
    result = subprocess.run(
        argv, capture_output=True, text=True, timeout=900, **kwargs
    )
    assert result.returncode == 0, (
        argv,
        result.stdout[-2000:],
        result.stderr[-4000:],
    )
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    pytest.importorskip("build")
    out = tmp_path_factory.mktemp("dist")
    _run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--outdir",
            str(out),
            str(ROOT),
        ]
    )
    (path,) = out.glob("keras_conv_zoo-*.whl")
    return path


@pytest.fixture(scope="module")
def jax_venv(tmp_path_factory, wheel):
    pytest.importorskip("jax")  # the version the project's venv resolves
    import jax

    directory = tmp_path_factory.mktemp("venv")
    venv.create(directory, with_pip=True)
    python = directory / "bin" / "python"
    _run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            f"{wheel}[jax]",
            f"jax=={jax.__version__}",
        ]
    )
    return python


def test_wheel_carries_the_models_and_no_tests(wheel):
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    shipped = sorted((ROOT / "saved_models").glob("*.keras"))
    assert shipped
    for path in shipped:
        assert f"zoo/saved_models/{path.name}" in names
    assert not [n for n in names if n.startswith("tests/")]


def test_installed_wheel_on_jax_without_tensorflow(jax_venv, tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ZOO_", "PYTHON", "KERAS_"))
    }
    env["KERAS_BACKEND"] = "jax"
    result = _run(
        [
            str(jax_venv),
            str(ROOT / "tests" / "packaging" / "check_installed.py"),
            str(SAMPLE),
        ],
        cwd=tmp_path,  # outside the checkout: only the installed zoo
        env=env,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["backend"] == "jax"
    assert not report["tensorflow_installed"]
    assert not report["tensorflow_imported"]
    site = str(jax_venv.parent.parent)
    assert report["zoo_file"].startswith(site), report["zoo_file"]
    assert report["models_dir"].startswith(site), report["models_dir"]
    assert report["pretrained"] == sorted(
        p.stem for p in (ROOT / "saved_models").glob("*.keras")
    )
    assert report["mnist_cnn_accuracy"] >= 0.97, report
    assert report["layer_output_shapes"]["TCN"] == [2, 4]
    assert report["streaming_max_abs_diff"] < 1e-5, report
