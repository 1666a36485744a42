"""`--recursive`: a directory loads its subdirectories only when asked, and a saved plan remembers it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import Run

EXTRA = """\
folders:
  nested-extra:
    connection: author
    title: Nested extra
    ordered: false
"""


def _with_subdirectory(quickstart: Path) -> Path:
    (quickstart / "more").mkdir()
    (quickstart / "more" / "extra.yaml").write_text(EXTRA)
    return quickstart


def test_subdirectories_are_named_not_loaded_unless_recursive(cli: Run, quickstart: Path) -> None:
    root = _with_subdirectory(quickstart)
    flat = cli("validate", root)
    assert flat.exit_code == 0, flat.output
    assert "more" in flat.output  # the warning names the subdirectory it did not read
    assert "11 resources" in flat.output
    deep = cli("validate", "--recursive", root)
    assert deep.exit_code == 0, deep.output
    assert "12 resources" in deep.output
    graph = cli("graph", "-R", root)
    assert "folders.nested-extra" in graph.output


def test_a_saved_plan_is_applied_with_the_loading_it_was_made_with(cli: Run, quickstart: Path, tmp_path: Path) -> None:
    root = _with_subdirectory(quickstart)
    plan_file = tmp_path / "plan.json"
    planned = cli("plan", "--recursive", root, "-out", plan_file)
    assert planned.exit_code == 0, planned.output
    assert "folders.nested-extra" in planned.output
    assert json.loads(plan_file.read_text())["recursive"] is True
    applied = cli("apply", plan_file)  # no --recursive here: the plan file says so
    assert applied.exit_code == 0, applied.output
    assert "folders.nested-extra: Creation complete" in applied.output
    again = cli("plan", "--recursive", "--detailed-exitcode", root)
    assert again.exit_code == 0, again.output
