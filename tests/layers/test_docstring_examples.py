"""Every `Example:` in the library's docstrings runs and prints what it
says, on the backend of the pass (the JAX and PyTorch passes run this
file too).

Examples are written as Keras writes its own: with `keras`, `np` and the
zoo's layers in scope, and shapes shown as tuples. TensorFlow and PyTorch
print a shape as `TensorShape([2, 7])` or `torch.Size([2, 7])`; the checker
reads those as the tuple `(2, 7)` and compares nothing else loosely.
"""

import doctest
import importlib
import pkgutil
import re

import keras
import numpy as np
import pytest

import zoo
import zoo.layers

SHAPE = re.compile(r"(?:TensorShape|torch\.Size)\(\[([^\]]*)\]\)")


def _as_tuple(match):
    items = [item.strip() for item in match.group(1).split(",") if item]
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


class ShapeAsTupleChecker(doctest.OutputChecker):
    def check_output(self, want, got, optionflags):
        return super().check_output(
            want, SHAPE.sub(_as_tuple, got), optionflags
        )


def _module_names():
    names = []
    for info in pkgutil.walk_packages(zoo.__path__, prefix="zoo."):
        names.append(info.name)
    return sorted(names)


def _examples():
    finder = doctest.DocTestFinder(exclude_empty=True)
    for name in _module_names():
        module = importlib.import_module(name)
        for test in finder.find(module, name):
            if test.examples:
                yield pytest.param(test, id=test.name)


def test_the_shape_checker_reads_backend_shapes_as_tuples():
    checker = ShapeAsTupleChecker()
    for got in ("TensorShape([2, 7])\n", "torch.Size([2, 7])\n", "(2, 7)\n"):
        assert checker.check_output("(2, 7)\n", got, 0)
    assert checker.check_output("(5,)\n", "TensorShape([5])\n", 0)
    assert checker.check_output("(None, 10)\n", "TensorShape([None, 10])\n", 0)
    assert not checker.check_output("(2, 8)\n", "TensorShape([2, 7])\n", 0)


def test_the_library_has_examples():
    assert len(list(_examples())) >= 20


@pytest.mark.parametrize("test", list(_examples()))
def test_docstring_example(test):
    names = {"keras": keras, "np": np, "zoo": zoo}
    names.update({n: getattr(zoo.layers, n) for n in zoo.layers.__all__})
    test.globs = {**names, **test.globs}
    runner = doctest.DocTestRunner(
        checker=ShapeAsTupleChecker(),
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    output = []
    runner.run(test, out=output.append)
    failed = runner.summarize(verbose=False).failed
    assert not failed, "".join(output)
