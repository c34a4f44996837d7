"""The concept guide, generated from the project's own code.

`python -m tools.concepts` writes `docs/concepts.md` and `docs/img/*.png`:
convolution, output sizes, channels and layouts, parameter sharing,
receptive fields, padding, dilation, TCNs, separable convs, pooling and
activations, losses and optimizers, evaluation. Every snippet in the
guide is executed by the generator, and every number that a formula and
Keras both give is recorded (`build_guide(...)["checks"]`) so that a test
fails when they disagree.
"""
