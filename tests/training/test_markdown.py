"""`training.markdown`: the one table writer and section rewriter."""

import pytest

from training.markdown import markdown_table
from training.markdown import replace_section
from training.markdown import section_markers


def test_table_of_sequences():
    assert markdown_table(["a", "b"], [[1, 2.5], ("x", None)]) == (
        "| a | b |\n|---|---|\n| 1 | 2.5 |\n| x | None |"
    )


def test_table_of_dicts_takes_titles_in_first_seen_order():
    rows = [{"model": "cnn", "acc": 0.9}, {"model": "tcn", "mse": 1e-5}]
    table = markdown_table(None, rows, fmt=lambda v: "—" if v is None else v)
    assert table.splitlines() == [
        "| model | acc | mse |",
        "|---|---|---|",
        "| cnn | 0.9 | — |",
        "| tcn | — | 1e-05 |",
    ]


def test_table_escapes_pipes_and_checks_row_lengths():
    assert markdown_table(["x"], [["a|b"]]).endswith("| a\\|b |")
    assert markdown_table(["x"], []) == "| x |\n|---|"
    with pytest.raises(ValueError, match="Each row must have 2 cells"):
        markdown_table(["a", "b"], [[1]])
    with pytest.raises(ValueError, match="needs dict rows"):
        markdown_table(None, [[1]])


def test_replace_section_keeps_the_rest():
    start, end = section_markers("results")
    assert (start, end) == ("<!-- results:start -->", "<!-- results:end -->")
    text = f"head\n{start}\nold\n{end}\ntail\n"
    assert replace_section(text, "results", "new") == (
        f"head\n{start}\nnew\n{end}\ntail\n"
    )


@pytest.mark.parametrize(
    "text",
    [
        "no markers",
        "<!-- s:start -->\nonly the start",
        "<!-- s:end -->\n<!-- s:start -->",
        "<!-- s:start --><!-- s:end --><!-- s:start --><!-- s:end -->",
    ],
)
def test_replace_section_refuses_bad_markers(text):
    with pytest.raises(ValueError, match="must contain <!-- s:start --> once"):
        replace_section(text, "s", "new")


def test_replace_section_appends_under_a_heading_when_asked():
    assert replace_section("text\n", "s", "body", heading="## S") == (
        "text\n\n## S\n\n<!-- s:start -->\nbody\n<!-- s:end -->\n"
    )
    # A half-present section is still an error, never a second copy.
    with pytest.raises(ValueError):
        replace_section("<!-- s:start -->", "s", "body", heading="## S")
