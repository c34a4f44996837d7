"""`zoo-describe NAME`: the per-layer arithmetic of a registered model.

Prints each layer's output shape, parameters, FLOPs and receptive field
(`zoo.arithmetic.layer_table`) with totals, for any name from
`zoo-describe --list`. Nothing is trained or downloaded.

Example:

    zoo-describe mnist_seed_cnn
    zoo-describe mnist_mobilenet_v1 --input-shape 32,32,1
"""

import argparse
import sys


class _ArgumentParser(argparse.ArgumentParser):
    """`argparse` that reports a bad flag in one line, not a usage dump."""

    def error(self, message):
        self.exit(
            2, f"{self.prog}: error: {message} (see {self.prog} --help)\n"
        )


def parse_shape(text):
    """`"28,28,1"` or `"28x28x1"` -> `(28, 28, 1)`."""
    parts = text.replace("x", ",").split(",")
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        shape = ()
    if not shape or any(d < 1 for d in shape):
        raise argparse.ArgumentTypeError(
            f"expected positive integers such as 28,28,1, got {text!r}"
        )
    return shape


def build_parser():
    parser = _ArgumentParser(
        prog="zoo-describe",
        description="Print the per-layer output shapes, parameters, FLOPs "
        "and receptive fields of a registered model.",
    )
    parser.add_argument("name", nargs="?", help="registered model name")
    parser.add_argument(
        "--input-shape",
        type=parse_shape,
        default=None,
        help="build for another input shape, e.g. 32,32,1 (default: the "
        "model's own)",
    )
    parser.add_argument(
        "--list", action="store_true", help="list the registered models"
    )
    return parser


def main(argv=None):
    """Runs the command; returns the exit code (2 for a user error)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return exit_.code
    # Imported late so `--help` and argument errors answer at once.
    from zoo import arithmetic
    from zoo import registry

    if args.list:
        for name in registry.list_models():
            print(f"{name:24s} {registry.model_info(name)['description']}")
        return 0
    if args.name is None:
        print(
            f"{parser.prog}: error: give a model name (see "
            f"{parser.prog} --list)",
            file=sys.stderr,
        )
        return 2
    try:
        model = registry.create_model(args.name, input_shape=args.input_shape)
    except ValueError as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 2
    info = registry.model_info(args.name)
    print(f"{args.name}: {info['description']}")
    print(f"input shape {tuple(model.input.shape[1:])}")
    print(arithmetic.format_table(arithmetic.layer_table(model)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
