"""What machine and which software produced a number.

Model cards, the README's results table and the benchmarks all record
where they were measured; this module is the one probe they share. It only
reads: it never imports TensorFlow or JAX itself (importing TensorFlow
takes seconds and would change what it reports), so frameworks that the
caller did not load are reported from their installed package metadata.

Example:

>>> summary = machine_summary()
>>> sorted(summary)[:3]
['backend', 'cores', 'cpu']
"""

import datetime
import importlib.metadata
import os
import platform
import sys

# Module name -> the distributions that may provide it.
_DISTRIBUTIONS = {
    "tensorflow": ("tensorflow", "tensorflow-cpu"),
    "jax": ("jax",),
}


def cpu_model():
    """The CPU model name from /proc/cpuinfo, else `platform.processor()`."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def usable_cores():
    """The cores this process may run on (its affinity), else all."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count()


def gpu_count():
    """GPUs TensorFlow sees, when the caller already imported it; else 0."""
    tf = sys.modules.get("tensorflow")
    if tf is None:
        return 0
    return len(tf.config.list_physical_devices("GPU"))


def hardware():
    """One line for the machine: `"<CPU model>, <N> cores[, k GPU(s)]"`."""
    text = f"{cpu_model()}, {usable_cores()} cores"
    gpus = gpu_count()
    if gpus:
        text += f", {gpus} GPU(s)"
    return text


def package_version(*names):
    """Installed version of the first of the distributions `names`, or
    None when none is installed."""
    for name in names:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def versions(installed=False):
    """Versions of Python, Keras (and its backend), NumPy and the
    frameworks.

    Args:
        installed: bool. When False (default), TensorFlow and JAX appear
            only if this process loaded them: what a result really ran on.
            When True, they appear whenever they are installed, loaded or
            not (None when not installed).

    Returns:
        dict of str.
    """
    import keras
    import numpy

    found = {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "numpy": numpy.__version__,
    }
    for module, distributions in _DISTRIBUTIONS.items():
        if module in sys.modules:
            found[module] = sys.modules[module].__version__
        elif installed:
            found[module] = package_version(*distributions)
    return found


def machine_summary():
    """Machine, software versions and load, to store next to a result.

    Returns:
        dict with `cpu`, `cores`, `usable_cores`, `load_average_1min`,
        `platform`, the `versions(installed=True)` keys and `date` (UTC,
        ISO 8601, to the second).
    """
    try:
        load = round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        load = None
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable_cores(),
        "load_average_1min": load,
        "platform": platform.platform(),
        **versions(installed=True),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
    }


def summary_line(summary=None):
    """`machine_summary()` as one sentence for a Markdown report."""
    s = machine_summary() if summary is None else summary
    parts = [f"{s['cpu']}, {s['usable_cores']} cores"]
    if s.get("load_average_1min") is not None:
        parts.append(f"load {s['load_average_1min']}")
    parts += [
        f"Python {s['python']}",
        f"keras {s['keras']} ({s['backend']} backend)",
    ]
    if s.get("tensorflow"):
        parts.append(f"tensorflow {s['tensorflow']}")
    if s.get("jax") and s["backend"] == "jax":
        parts.append(f"jax {s['jax']}")
    parts.append(s["date"])
    return "Machine: " + ", ".join(parts)
