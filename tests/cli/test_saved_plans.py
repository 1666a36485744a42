"""Saved plans on the command line: `plan -out` then `apply <file>` applies exactly that plan, and a
plan whose state, configuration, state lineage or live services changed since is refused as stale."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import Run, edit_in_aem


def test_stale_plan_lineage_mismatch(quickstart: Path, cli: Run, tmp_path: Path) -> None:
    plan_file = tmp_path / "p.plan"
    assert cli("plan", quickstart, "-out", plan_file).exit_code == 0
    for f in (quickstart / ".reconciler").glob("state.db*"):
        f.unlink()
    out = cli("apply", plan_file)
    assert out.exit_code == 1 and "another state (lineage" in out.output


def test_stale_plan_when_services_changed(quickstart: Path, cli: Run, tmp_path: Path) -> None:
    assert cli("apply", "--auto-approve", quickstart).exit_code == 0
    plan_file = tmp_path / "p.plan"
    assert cli("plan", quickstart, "-out", plan_file).exit_code == 0  # nothing to do
    edit_in_aem(quickstart / ".reconciler" / "sandbox.db", "/content/dam/mc-demo/jcr:content", **{"jcr:title": "Edited"})
    out = cli("apply", plan_file)
    assert out.exit_code == 1 and "the services changed since the plan was made" in out.output
