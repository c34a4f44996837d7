"""docs/training.md shows commands the tools accept."""

import json
import re
import shlex

import pytest

from tests.conftest import ROOT
from training import ensemble
from training import evaluate
from training import export
from training import publish
from training import train

DOC = ROOT / "docs" / "training.md"
PARSERS = {
    "zoo-train": train.build_parser,
    "zoo-eval": evaluate.build_parser,
    "zoo-export": export.build_parser,
    "python -m training.publish": publish.build_parser,
    "python -m training.ensemble": ensemble.build_parser,
}


def shell_lines():
    """The lines of the doc's bash blocks, continuations joined."""
    blocks = re.findall(r"```bash\n(.*?)```", DOC.read_text(), re.DOTALL)
    text = "\n".join(blocks).replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip()]


def commands(prog):
    return [line for line in shell_lines() if line.startswith(prog + " ")]


def test_the_doc_shows_each_tool():
    for prog in PARSERS:
        assert commands(prog), prog
    assert any("--strategy multiworker" in c for c in commands("zoo-train"))


@pytest.mark.parametrize(
    "prog, line",
    [(prog, line) for prog in PARSERS for line in commands(prog)],
)
def test_documented_command_parses(prog, line):
    # argparse exits (status 2) on an unknown flag or a bad value.
    args = PARSERS[prog]().parse_args(shlex.split(line)[len(prog.split()) :])
    for flag in re.findall(r"--[a-z][a-z-]*", line):
        assert getattr(args, flag[2:].replace("-", "_")) is not None, flag


def test_tf_config_examples_name_both_workers():
    configs = [
        json.loads(shlex.split(line.split("=", 1)[1])[0])
        for line in shell_lines()
        if line.startswith("export TF_CONFIG=")
    ]
    assert sorted(c["task"]["index"] for c in configs) == [0, 1]
    for config in configs:
        assert config["task"]["type"] == "worker"
        assert config["cluster"] == configs[0]["cluster"]
        assert len(config["cluster"]["worker"]) == 2
