"""docs/config-loading.md names the commands that take -R/--recursive: the list is what the CLI has."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "config-loading.md"


def test_the_commands_the_doc_says_take_recursive_take_it() -> None:
    text = " ".join(DOC.read_text().split())
    assert "no `--recursive` flag" not in text
    sentence = text.split("On the command line that is `-R`/`--recursive`", 1)[1].split("(e.g.", 1)[0]
    named = re.findall(r"`([a-z]+)`", sentence)
    assert len(named) >= 5, sentence
    runner = CliRunner()
    for command in named:
        shown = runner.invoke(main, [command, "--help"])
        assert shown.exit_code == 0, (command, shown.output)
        assert re.search(r"-R, (-recursive, )?--recursive", shown.output), command
    commands = [c for c in main.commands if c not in named]
    for command in commands:
        shown = runner.invoke(main, [command, "--help"])
        assert "--recursive" not in shown.output, f"{command} takes --recursive: name it in the doc"
