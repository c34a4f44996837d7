"""Packaging details pyproject.toml cannot express: the trained models.

The wheel carries `saved_models/` (the trained `.keras` files and their
cards) as the package data `zoo/saved_models/`, so `zoo.load_pretrained`
works in an installed package with no checkout and no download. In a source
checkout (including editable installs) `zoo.registry.default_models_dir`
reads the top-level `saved_models/` directly.
"""

from setuptools import find_packages
from setuptools import setup

MODELS_PACKAGE = "zoo.saved_models"

setup(
    packages=[
        *find_packages(include=["zoo*", "training*", "apps*", "bench*"]),
        MODELS_PACKAGE,
    ],
    package_dir={MODELS_PACKAGE: "saved_models"},
    package_data={MODELS_PACKAGE: ["*.keras", "*.json", "*.md", "*.png"]},
)
