"""Saved plans on the command line: `plan -out` then `apply <file>` applies exactly that plan, and a
plan whose state, configuration, state lineage or live services changed since is refused as stale."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import Run, edit_in_aem


def test_saved_plan_applies_exactly_and_stale_plans_are_refused(quickstart: Path, cli: Run, tmp_path: Path) -> None:
    plan_file = tmp_path / "p.plan"
    assert cli("plan", quickstart, "-out", plan_file).exit_code == 0
    doc = json.loads(plan_file.read_text())
    assert doc["plan"]["format_version"] == "1.0" and doc["plan"]["summary"]["create"] == 7
    out = cli("apply", plan_file)  # a saved plan needs no confirmation
    assert out.exit_code == 0, out.output
    assert "Apply complete!" in out.output
    # the same file again: the state moved on (serial)
    stale = cli("apply", plan_file)
    assert stale.exit_code == 1 and "stale plan: the state changed" in stale.output
    # config changed since the plan
    plan2 = tmp_path / "p2.plan"
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace("title: MC Demo", "title: MC Demo 2"))
    assert cli("plan", quickstart, "-out", plan2).exit_code == 0
    main.write_text(main.read_text().replace("title: MC Demo 2", "title: MC Demo 3"))
    stale2 = cli("apply", plan2)
    assert stale2.exit_code == 1 and "the configuration changed" in stale2.output
    shown = cli("show", plan2)
    assert shown.exit_code == 0 and "folders.mc-demo" in shown.output


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
