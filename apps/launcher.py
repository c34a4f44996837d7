"""The `zoo-app` console script: a quiet start-up, then the app's CLI."""

import sys


def main():
    from training.quiet import quiet_startup

    quiet_startup()  # before anything imports Keras
    from apps.classifier import main as run

    sys.exit(run())
