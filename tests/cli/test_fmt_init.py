"""`fmt` (layout normalised, comments kept, `-check` for CI) and `init [--sandbox]`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import EXAMPLES, Run

MESSY = """\
# top comment
version: 1
folders:
    demo:       # the demo folder
        connection: author
        tags:
        - a
        - "b"
"""
# comments keep their column
TIDY = """\
# top comment
version: 1
folders:
  demo:         # the demo folder
    connection: author
    tags:
      - a
      - "b"
"""


def test_fmt_rewrites_keeping_comments_and_check_fails_in_ci(tmp_path: Path, cli: Run) -> None:
    (tmp_path / "main.yaml").write_text(MESSY)
    (tmp_path / "docker-compose.yaml").write_text("services:\n    db:\n        image: x\n")  # not ours
    check = cli("fmt", "-check", tmp_path)
    assert check.exit_code == 3 and str(tmp_path / "main.yaml") in check.output
    assert (tmp_path / "main.yaml").read_text() == MESSY  # -check changes nothing
    diff = cli("fmt", "--check", "-diff", tmp_path)
    assert diff.exit_code == 3 and "-    demo:" in diff.output and "+  demo:" in diff.output
    done = cli("fmt", tmp_path)
    assert done.exit_code == 0
    assert (tmp_path / "main.yaml").read_text() == TIDY
    assert (tmp_path / "docker-compose.yaml").read_text().startswith("services:\n    db:")
    again = cli("fmt", "-check", tmp_path)
    assert again.exit_code == 0 and again.output == ""


def test_fmt_reports_one_error_per_broken_file(tmp_path: Path, cli: Run) -> None:
    (tmp_path / "a.yaml").write_text("version: 1\nfolders:\n\tx: 1\n")
    (tmp_path / "b.yaml").write_text(MESSY)
    out = cli("fmt", tmp_path)
    assert out.exit_code == 1
    assert out.output.count(f"{tmp_path / 'a.yaml'}:3:1: error: ") == 1 and out.output.count(": error: ") == 1
    assert "1 file is not valid YAML" in out.output
    assert (tmp_path / "b.yaml").read_text() == TIDY  # the others are still formatted


@pytest.mark.parametrize("broken", ["version: 1\nfolders:\n\tx: 1\n", "version: 1\nfolders:\n  a: [1, 2\n",
                                    "version: 1\nfolders: {a: 1\n"])
def test_fmt_reports_a_yaml_error_as_validate_does(tmp_path: Path, cli: Run, broken: str) -> None:
    """The same `file:line:col: error: ...` diagnostic, with its detail and hint lines."""
    (tmp_path / "main.yaml").write_text(broken)
    formatted, validated = cli("fmt", tmp_path), cli("validate", tmp_path)
    assert formatted.exit_code == validated.exit_code == 1
    diagnostic = validated.stderr.split("\nError: ", 1)[0]
    assert diagnostic.startswith(f"{tmp_path / 'main.yaml'}:") and ": error: YAML syntax error: " in diagnostic
    assert formatted.stderr.split("\nError: ", 1)[0] == diagnostic


def test_the_examples_are_formatted(tmp_path: Path, cli: Run) -> None:
    copy = tmp_path / "examples"
    shutil.copytree(EXAMPLES, copy, ignore=shutil.ignore_patterns(".reconciler"))
    out = cli("fmt", "-check", "-recursive", copy)
    assert out.exit_code == 0, out.output


def test_init_sandbox_plans_and_applies(tmp_path: Path, cli: Run) -> None:
    where = tmp_path / "new"
    out = cli("init", "--sandbox", where)
    assert out.exit_code == 0 and "reconciler validate" in out.output
    text = (where / "main.yaml").read_text()
    assert "sandbox://aem" in text and text.startswith("# yaml-language-server: $schema=./reconciler.schema.json")
    assert (where / "reconciler.schema.json").read_text().lstrip().startswith("{")
    assert cli("validate", where).exit_code == 0
    assert cli("plan", "-detailed-exitcode", where).exit_code == 2
    assert cli("apply", "-auto-approve", where).exit_code == 0
    assert cli("plan", "-detailed-exitcode", where).exit_code == 0
    assert cli("fmt", "-check", where).exit_code == 0
    again = cli("init", "--sandbox", where)
    assert again.exit_code == 1 and "exists" in again.output


def test_init_for_a_real_org_validates_with_its_variables_unset(tmp_path: Path, cli: Run) -> None:
    assert cli("init", tmp_path).exit_code == 0
    text = (tmp_path / "main.yaml").read_text()
    assert "sandbox://" not in text and "${env:AEM_URL}" in text and "${env:ADOBE_CLIENT_ID}" in text
    out = cli("validate", tmp_path)
    assert out.exit_code == 0 and "AEM_URL is not set" in out.output
