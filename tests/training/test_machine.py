"""`training.machine`: the machine and version probe behind cards and
reports."""

import sys

import keras
import numpy as np

from training import machine


def test_hardware_names_the_cpu_and_usable_cores():
    line = machine.hardware()
    assert line.startswith(machine.cpu_model() + ", ")
    assert f", {machine.usable_cores()} cores" in line


def test_versions_report_what_this_process_runs():
    found = machine.versions()
    assert found["keras"] == keras.__version__
    assert found["backend"] == keras.backend.backend()
    assert found["numpy"] == np.__version__
    for module in ("tensorflow", "jax"):
        assert (module in found) == (module in sys.modules)


def test_installed_versions_list_every_framework():
    found = machine.versions(installed=True)
    assert "tensorflow" in found and "jax" in found


def test_summary_and_its_line():
    summary = machine.machine_summary()
    assert summary["cpu"] == machine.cpu_model()
    assert summary["usable_cores"] == machine.usable_cores()
    assert summary["keras"] == keras.__version__
    assert summary["date"].endswith("+00:00")
    line = machine.summary_line(summary)
    assert line.startswith(f"Machine: {summary['cpu']}, ")
    assert f"keras {keras.__version__} ({summary['backend']} backend)" in line
    assert line.endswith(summary["date"])


def test_package_version_of_a_missing_distribution_is_none():
    assert machine.package_version("no-such-distribution-zoo") is None
    assert machine.package_version("no-such-zoo", "numpy") == np.__version__
