"""Saved plans on the command line: `plan -out` then `apply <file>` applies exactly that plan, and a
plan whose state, configuration, state lineage or live services changed since is refused as stale."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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
    assert stale.exit_code == 1 and "stale plan: since the plan was made, the state changed (serial" in stale.output
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


def test_stale_plan_says_which_files_and_addresses_changed(quickstart: Path, cli: Run, tmp_path: Path) -> None:
    assert cli("apply", "-auto-approve", quickstart).exit_code == 0
    plan_file = tmp_path / "p.plan"
    assert cli("plan", quickstart, "-out", plan_file).exit_code == 0
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace("title: MC Demo", "title: MC Demo 2"))
    (quickstart / "extra.yaml").write_text("version: 1\n")
    assert cli("state", "rm", "-c", quickstart, "users.dana").exit_code == 0
    assert cli("state", "mv", "-c", quickstart, "folders.mc-demo", "folders.renamed").exit_code == 0
    out = cli("apply", plan_file)
    assert out.exit_code == 1
    assert ("stale plan: since the plan was made, the configuration changed (extra.yaml added, main.yaml changed),"
            " and the state changed (serial ") in out.output
    assert "folders.mc-demo removed, folders.renamed added, users.dana removed)" in out.output
    assert "make a new plan with `reconciler plan -out FILE`" in out.output
    assert "Apply complete" not in out.output


def test_stale_plan_state_only_names_the_changed_address(quickstart: Path, cli: Run, tmp_path: Path) -> None:
    assert cli("apply", "-auto-approve", quickstart).exit_code == 0
    plan_file = tmp_path / "p.plan"
    assert cli("plan", quickstart, "-out", plan_file).exit_code == 0
    assert cli("state", "rm", "-c", quickstart, "users.jane").exit_code == 0
    out = cli("apply", plan_file)
    assert out.exit_code == 1 and "the configuration changed" not in out.output
    assert "another apply or state command ran; users.jane removed)" in out.output


def test_saved_destroy_plan_applies(quickstart: Path, cli: Run, tmp_path: Path) -> None:
    assert cli("apply", "-auto-approve", quickstart).exit_code == 0
    plan_file = tmp_path / "destroy.plan"
    made = cli("plan", "-destroy", "-out", plan_file, quickstart)
    assert made.exit_code == 0, made.output
    # users.jane (created here) keeps its account: shown and counted as a forget
    assert "6 to delete, 5 to forget" in made.output and f"run: reconciler apply {plan_file}" in made.output
    assert json.loads(plan_file.read_text())["destroy"] is True
    wrong = cli("destroy", plan_file)
    assert wrong.exit_code == 1 and f"is a saved plan: carry it out with `reconciler apply {plan_file}`" in wrong.output
    notes = tmp_path / "notes.txt"
    notes.write_text("not a configuration\n")
    other = cli("destroy", "-auto-approve", notes)
    assert other.exit_code == 1 and "plan file" not in other.output
    assert f"{notes} is not a configuration: destroy takes a .yaml/.yml file" in other.output
    assert len(cli("state", "list", "-c", quickstart).output.split()) == 11  # planning changed nothing
    done = cli("apply", plan_file)  # no confirmation, no -auto-approve: the saved plan is the approval
    assert done.exit_code == 0, done.output
    assert "folders.mc-demo: Destruction complete" in done.output and "orgs.acme: Forgotten" in done.output
    assert "users.jane: Forgotten (left in place) after " in done.output  # said from the saved plan too
    assert "Apply complete! 6 deleted, 5 forgotten." in done.output
    assert cli("state", "list", "-c", quickstart).output.strip() == ""
    again = cli("apply", plan_file)
    assert again.exit_code == 1 and "stale plan" in again.output


PUBLISH = """replication_agents:
  publish:
    connection: author
    name: publish
    transport_uri: http://publish.example:4503/bin/receive?sling:authRequestLogin=1
    transport_user: replication-receiver
    transport_password: ${env:TPW}
"""


def test_a_secret_changed_between_plan_and_apply_makes_the_plan_stale(
    quickstart: Path, cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace("replication_agents:\n", PUBLISH, 1))
    monkeypatch.setenv("TPW", "first-value-111")
    assert cli("apply", "-auto-approve", quickstart).exit_code == 0
    monkeypatch.setenv("TPW", "planned-value-333")  # rotated: the plan updates the agent's password
    plan_file = tmp_path / "p.plan"
    made = cli("plan", "-out", plan_file, quickstart)
    assert made.exit_code == 0 and "transport_password" in made.output, made.output
    saved = plan_file.read_text()
    assert "planned-value-333" not in saved and "first-value-111" not in saved
    assert set(json.loads(saved)["secret_digests"]) == {"replication_agents.publish"}  # the one with a secret

    monkeypatch.setenv("TPW", "other-value-444")  # the apply job reads another value
    stale = cli("apply", plan_file)
    assert stale.exit_code == 1, stale.output
    assert ("stale plan: since the plan was made, the secret value of replication_agents.publish.transport_password"
            " changed") in stale.output
    assert "other-value-444" not in stale.output and "Apply complete" not in stale.output

    monkeypatch.setenv("TPW", "planned-value-333")  # the values the plan was made with: applied
    done = cli("apply", plan_file)
    assert done.exit_code == 0 and "Apply complete! 1 updated." in done.output, done.output
    assert cli("plan", "-detailed-exitcode", quickstart).exit_code == 0

    nothing = tmp_path / "nothing.plan"  # a plan without changes, then the secret is rotated
    assert cli("plan", "-out", nothing, quickstart).exit_code == 0
    monkeypatch.setenv("TPW", "rotated-value-555")
    rotated = cli("apply", nothing)
    assert rotated.exit_code == 1 and "the services changed" not in rotated.output, rotated.output
    assert "the secret value of replication_agents.publish.transport_password changed" in rotated.output
