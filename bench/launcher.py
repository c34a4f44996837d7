"""The `zoo-bench` console script: a quiet start-up, then the benchmarks'
CLI."""

import sys


def main():
    from training.quiet import quiet_startup

    quiet_startup()  # before anything imports Keras
    from bench.cli import main as run

    sys.exit(run())
