"""The concept guide (`python -m tools.concepts`): every value it prints
from a formula equals what Keras (or a measurement) gives, it shows both,
its code blocks are the code that ran, and its figures exist."""

import ast
import math
import os
import pathlib
import re
import subprocess
import sys

import keras
import numpy as np
import pytest

from tools.concepts import build
from tools.concepts import guide as guide_lib
from tools.concepts import samples

# The optimizer comparison and the batch-size sweep train 7 small models:
# they run in the large test only. On JAX, building a model compiles the
# initializer for every new weight shape (~0.3 s each), so the sections
# that build whole zoo models also wait for the large test there.
FAST_SECTIONS = [name for name in build.SECTIONS if name != "learning"]
if keras.backend.backend() != "tensorflow":
    FAST_SECTIONS = [
        name
        for name in FAST_SECTIONS
        if name not in ("receptive_fields", "tcn", "separable", "evaluation")
    ]
FAST_NUMBERS = {
    str(number)
    for number, name in enumerate(build.SECTIONS, start=1)
    if name in FAST_SECTIONS
}


def shown(value):
    """How the guide prints a checked value (floats: 6 significant
    digits)."""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def image_links(markdown):
    return re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)


def assert_guide_is_consistent(result, out_dir):
    markdown = (out_dir / "concepts.md").read_text()
    checks = result["checks"]
    assert len(checks) >= 50
    for check in checks:
        formula, measured = check["formula"], check["measured"]
        label = f"{check['section']}: {check['quantity']}"
        if check["tolerance"] is None:
            assert formula == measured, label
        else:
            assert abs(formula - measured) <= check["tolerance"], label
        assert check["agree"], label
        assert shown(formula) in markdown, label
        assert shown(measured) in markdown, label
    assert result["failed"] == []
    assert "**NO**" not in markdown

    links = image_links(markdown)
    assert links and sorted(links) == sorted(result["images"])
    for link in links:
        path = out_dir / link
        assert path.is_file(), link
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", link
        assert path.stat().st_size < 400_000, link

    blocks = re.findall(r"```python\n(.*?)\n```", markdown, flags=re.S)
    assert len(blocks) >= 10
    for block in blocks:
        ast.parse(block)  # shown code is real, complete Python
    assert "$" not in "".join(blocks), "a template field was not filled in"
    return markdown


@pytest.fixture(scope="module")
def fast_guide(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("concepts_fast")
    result = build.build_guide(out_dir, quick=True, sections=FAST_SECTIONS)
    return result, out_dir


def test_fast_sections_agree_with_keras(fast_guide):
    result, out_dir = fast_guide
    markdown = assert_guide_is_consistent(result, out_dir)
    sections = {check["section"].split(".")[0] for check in result["checks"]}
    # Every section written contributes checks, numbered as in the full
    # guide (12, evaluation, checks only with MNIST present).
    assert FAST_NUMBERS - {"12"} <= sections <= FAST_NUMBERS
    assert "## 11." not in markdown
    assert "## 10. Pooling" in markdown


def test_fast_guide_covers_the_key_formulas(fast_guide):
    result, _ = fast_guide
    by_quantity = {check["quantity"]: check for check in result["checks"]}
    # Spot values a reader can verify by hand.
    assert by_quantity["Conv2D(32, 3) params"]["formula"] == 320
    assert by_quantity["output width W=28 K=3 S=2 P=1 D=1"]["measured"] == 14
    gridding = by_quantity[
        "dilations [2, 2, 2]: has_gridding vs holes in the measured field"
    ]
    assert gridding["formula"] is True and gridding["measured"] is True
    if "tcn" not in FAST_SECTIONS:
        return
    assert by_quantity["seed_cnn block2_pool RF"]["measured"] == (10, 10)
    tcn = by_quantity[
        "TCN k=3 d=[1, 2, 4, 8] stacks=2: receptive_field vs gradient"
    ]
    assert tcn["formula"] == tcn["measured"] == 1 + 2 * 2 * 2 * 15
    ratio = by_quantity["FLOPs ratio C=64: 1/C + 1/9 vs zoo.arithmetic"]
    assert math.isclose(ratio["measured"], 1 / 64 + 1 / 9)


@pytest.mark.large
def test_full_quick_guide_agrees_with_keras(tmp_path):
    result = build.build_guide(tmp_path, quick=True)
    markdown = assert_guide_is_consistent(result, tmp_path)
    if samples.has_data("mnist"):
        assert "img/11_optimizers.png" in result["images"]
        assert any("steps per epoch" in c["quantity"] for c in result["checks"])
        assert "## 11. Losses" in markdown


def test_a_wrong_number_is_flagged(tmp_path):
    guide = guide_lib.Guide(tmp_path)
    guide.section("Demo")
    ns = guide.run(
        """
        import keras
        conv = keras.layers.Conv2D($filters, 3)
        conv.build((None, 8, 8, 1))
        print("params:", conv.count_params())
        """,
        filters=4,
    )
    assert guide.check("right", 40, ns["conv"].count_params())
    assert not guide.check("wrong", 41, ns["conv"].count_params())
    assert guide.check("close", 0.5, 0.5 + 1e-9, tolerance=1e-6)
    assert not guide.check("far", 0.5, 0.6, tolerance=1e-6)
    markdown = guide.markdown()
    # The shown code is the filled-in code that ran, with its output.
    assert "keras.layers.Conv2D(4, 3)" in markdown
    assert "params: 40" in markdown
    assert [c["agree"] for c in guide.checks] == [True, False, True, False]


def test_unknown_section_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="Unknown guide sections"):
        build.build_guide(tmp_path, quick=True, sections=["convolutions"])


def test_synthetic_fallback_when_data_is_missing(monkeypatch):
    monkeypatch.setattr(samples, "has_data", lambda name: False)
    import_line, load_line, note = samples.load_lines("mnist", "digits", 3)
    namespace = {}
    exec(f"{import_line}\n{load_line}", namespace)  # noqa: S102
    digits = namespace["digits"]
    assert digits.shape == (3, 28, 28, 1) and digits.dtype == np.uint8
    assert digits.max() > 200 and digits[:, 0, 0, 0].max() == 0
    assert "synthetic" in note


def test_real_data_lines(datasets_dir):
    import_line, load_line, note = samples.load_lines("fashion_mnist", "x", 2)
    namespace = {}
    exec(f"{import_line}\n{load_line}", namespace)  # noqa: S102
    assert namespace["x"].shape == (2, 28, 28, 1)
    assert note == ""


def test_guide_without_data_uses_synthetic_images(tmp_path, monkeypatch):
    monkeypatch.setattr(samples, "has_data", lambda name: False)
    result = build.build_guide(
        tmp_path, quick=True, sections=["convolution", "heads", "evaluation"]
    )
    markdown = (tmp_path / "concepts.md").read_text()
    assert "synthetic_images(" in markdown
    assert "synthetic stand-in" in markdown
    assert "MNIST was not found" in markdown
    assert result["failed"] == []
    for link in image_links(markdown):
        assert (tmp_path / link).is_file()


def test_the_library_stands_alone_and_the_tool_keeps_the_backend():
    # In a fresh interpreter: `import zoo` loads none of the tools above
    # it, and importing the guide leaves matplotlib's backend as the user
    # chose it (figures are drawn without pyplot). keras itself may import
    # matplotlib, so the backend, not sys.modules, tells.
    code = (
        "import sys, zoo\n"
        "above = {'training', 'apps', 'bench', 'tools'}\n"
        "print(sorted(above & {m.split('.')[0] for m in sys.modules}))\n"
        "import tools.concepts.build, matplotlib\n"
        "print(matplotlib.get_backend())\n"
    )
    printed = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=pathlib.Path(__file__).resolve().parents[1],
        env={**os.environ, "MPLBACKEND": "svg"},
    ).stdout.split("\n")
    assert printed[:2] == ["[]", "svg"]
