"""What the command-line tools share: argument parsing that fails in one
line, and a `run_main` wrapper that turns user errors into exit code 2."""

import argparse
import contextlib
import math
import os
import re
import sys
import tempfile

from training.io_utils import UsageError

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


class ArgumentParser(argparse.ArgumentParser):
    """`argparse` that reports a bad flag in one line, not a usage dump."""

    def error(self, message):
        self.exit(
            2, f"{self.prog}: error: {message} (see {self.prog} --help)\n"
        )


def _number(text, convert, accept, expected):
    """`convert(text)` when `accept` takes it, else the one-line error
    argparse prints after the flag's name."""
    try:
        value = convert(text)
    except ValueError:
        value = None
    if value is None or not accept(value):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value


def positive_int(text):
    return _number(text, int, lambda v: v >= 1, "a positive integer")


def positive_float(text):
    # `0 < v < inf` is False for NaN too.
    return _number(
        text, float, lambda v: 0 < v < math.inf, "a positive finite number"
    )


def non_negative_float(text):
    return _number(text, float, lambda v: 0 <= v < math.inf, "a number >= 0")


def fraction(text):
    return _number(text, float, lambda v: 0 <= v < 1, "a number in [0, 1)")


def share(text):
    return _number(text, float, lambda v: 0 < v <= 1, "a number in (0, 1]")


def add_count(parser, flag, help, default=None):
    """Adds an option that takes a positive integer."""
    parser.add_argument(flag, type=positive_int, default=default, help=help)


def add_data_spec(parser, **kwargs):
    """Adds the required `--data SPEC` option, listing the spec forms."""
    from training.data import SPEC_FORMS

    parser.add_argument(
        "--data",
        required=True,
        metavar="SPEC",
        help="data spec: " + ", ".join(SPEC_FORMS),
        **kwargs,
    )


def user_errors():
    """Exception types whose message is meant for the user."""
    errors = [UsageError, FileNotFoundError]
    try:
        from training.data import DataError

        errors.append(DataError)
    except ImportError:
        pass
    return tuple(errors)


def run_main(prog, main, argv=None):
    """Runs `main(argv)`; prints user errors on one line and returns 2."""
    try:
        return main(argv)
    except user_errors() as err:
        message = str(err).strip() or type(err).__name__
        print(f"{prog}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


# absl lines TensorFlow prints while its shared libraries load, before
# TF_CPP_MIN_LOG_LEVEL is read: "I0000 00:00:... port.cc:153] oneDNN ...".
# The CUDA build also logs a failed cuInit on machines without a GPU.
_IMPORT_NOISE = re.compile(
    r"^(?:[IW]\d{4} |WARNING: All log messages before absl"
    r"|E\d{4} .*failed call to cuInit)"
)


@contextlib.contextmanager
def _stderr_into(file):
    """Points file descriptor 2 (C++ logs too) at `file` for a while."""
    sys.stderr.flush()
    saved = os.dup(2)
    os.dup2(file.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def import_tensorflow_quietly():
    """Imports TensorFlow without its start-up log lines.

    Everything else it writes to stderr (Python warnings, errors) is shown
    as usual. Set TF_CPP_MIN_LOG_LEVEL=0 to see the start-up lines too.
    """
    if "tensorflow" in sys.modules:
        return
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0") == "0":
        import tensorflow  # noqa: F401

        return
    with tempfile.TemporaryFile() as log:
        try:
            with _stderr_into(log):
                import tensorflow as tf

                # Initialises the device platforms (the cuInit line).
                tf.config.list_physical_devices("GPU")
        finally:
            log.seek(0)
            for line in log.read().decode(errors="replace").splitlines(True):
                if not _IMPORT_NOISE.match(line):
                    sys.stderr.write(line)
