"""What the command-line tools share: argument parsing that fails in one
line, and a `run_main` wrapper that turns user errors into exit code 2."""

import argparse
import os
import sys

from training.io_utils import UsageError

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


class ArgumentParser(argparse.ArgumentParser):
    """`argparse` that reports a bad flag in one line, not a usage dump."""

    def error(self, message):
        self.exit(
            2, f"{self.prog}: error: {message} (see {self.prog} --help)\n"
        )


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer, got {text!r}"
        )
    return value


def positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive number, got {text!r}"
        ) from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(
            f"expected a positive finite number, got {text!r}"
        )
    return value


def fraction(text):
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(
            f"expected a number in [0, 1), got {text!r}"
        )
    return value


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
