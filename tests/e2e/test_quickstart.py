"""The quickstart end to end through the CLI on the embedded sandbox: plan, apply, plan again; one field
changed, a rename, a removal, a wrong password, and no secret anywhere in output, plans, state or logs."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

from reconciler import sandbox
from tests.helpers import SECRETS, Run

SHARING = [  # the quickstart's last steps (seed 000): the shared folder, its users and its shares
    "folders.mc-demo",
    "users.jane",
    "users.dana",
    "shares.mc-demo-experience-cloud",
    "shares.mc-demo-creative-cloud",
]
ORDER = [
    "orgs.acme",
    "applications.assets-sync",
    "cloud_configs.assets-sync",
    "application_keys.aem-author",
    "replication_agents.mac-sync",
    "replication_agents.mac-sync-1",
]


def planned(output: str) -> list[tuple[str, str]]:
    """(address, verb) of each '# <address> will be ...' / 'must be' line, in order."""
    return re.findall(r"^  # (\S+) (?:will be|must be) (\w+)", output, re.M)


def test_plan_apply_plan(quickstart: Path, cli: Run) -> None:
    first = cli("plan", quickstart, "--detailed-exitcode")
    assert first.exit_code == 2, first.output
    steps = planned(first.output)
    addresses = [a for a, _ in steps]
    assert set(addresses) == {*ORDER, *SHARING}
    # dependency order: each resource after what it references
    for before, after in itertools.pairwise(ORDER[:4]):
        assert addresses.index(before) < addresses.index(after)
    assert addresses.index("application_keys.aem-author") < addresses.index("replication_agents.mac-sync")
    verbs = dict(steps)
    assert verbs["orgs.acme"] == "read"
    assert verbs["applications.assets-sync"] == "created"
    assert verbs["replication_agents.mac-sync"] == "adopted"
    assert "(known after apply)" in first.output
    # users.dana exists without the group: adopting it is an update (issue 10: counted as what apply does)
    assert "Plan: 7 to create, 2 to adopt, 1 to update" in first.output

    applied = cli("apply", "--auto-approve", quickstart)
    assert applied.exit_code == 0, applied.output
    for addr in (*ORDER, *SHARING):
        assert re.search(rf"^{re.escape(addr)}: \w+ complete", applied.output, re.M), addr
    assert "Health check replication_agents.mac-sync: passed" in applied.output
    assert "Replication test succeeded" in applied.output
    assert "Apply complete!" in applied.output

    last = cli("plan", quickstart, "--detailed-exitcode")
    assert last.exit_code == 0, last.output
    assert "No changes." in last.output

    again = cli("apply", "--auto-approve", quickstart)  # apply twice is a no-op
    assert again.exit_code == 0 and "No changes." in again.output


def _apply(cli: Run, path: Path) -> None:
    out = cli("apply", "--auto-approve", path)
    assert out.exit_code == 0, out.output


def test_one_field_change_plans_one_update(quickstart: Path, cli: Run) -> None:
    _apply(cli, quickstart)
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace("title: MC Demo", "title: MC Demo 2"))
    out = cli("plan", quickstart, "--detailed-exitcode")
    assert out.exit_code == 2
    assert planned(out.output) == [("folders.mc-demo", "updated")]
    assert '~ title = "MC Demo" -> "MC Demo 2"' in out.output
    assert "Plan: 0 to create, 0 to adopt, 1 to update, 0 to replace, 0 to delete." in out.output


def test_renaming_a_cloud_config_plans_a_replace(quickstart: Path, cli: Run) -> None:
    _apply(cli, quickstart)
    main = quickstart / "main.yaml"
    text = main.read_text().replace("    title: Assets sync\n", "    name: assets-sync-v2\n    title: Assets sync\n")
    # the agents AEM creates for the renamed configuration are named after it (rules.agents)
    text = text.replace("name: mac-sync-assets-sync", "name: mac-sync-assets-sync-v2")
    main.write_text(text)
    out = cli("plan", quickstart)
    assert out.exit_code == 0, out.output
    steps = dict(planned(out.output))
    assert steps["cloud_configs.assets-sync"] == "REPLACED"
    assert "forces replacement" in out.output


def test_removing_a_resource_deletes_only_what_was_created_here(quickstart: Path, cli: Run) -> None:
    _apply(cli, quickstart)
    main = quickstart / "main.yaml"
    text = main.read_text()
    # drop the folder (created here) and one adopted agent (made by AEM)
    text = text[: text.index("# Step 5")]
    text = text.replace(text[text.index("  mac-sync-1:"): text.index("# Step 5") if "# Step 5" in text else None], "")
    main.write_text(text)
    out = cli("plan", quickstart)
    assert out.exit_code == 0, out.output
    steps = dict(planned(out.output))
    assert steps == {
        "folders.mc-demo": "DELETED",
        "replication_agents.mac-sync-1": "forgotten",
        "shares.mc-demo-experience-cloud": "DELETED",
        "shares.mc-demo-creative-cloud": "DELETED",
    }
    # users, created here (jane) or adopted (dana): only the memberships added here are removed
    lose = "will lose the memberships this tool added (Marketing Cloud); the account stays"
    assert f"  # users.jane {lose}: removed from the configuration\n" in out.output
    assert f"  # users.dana {lose}: removed from the configuration; not created by this tool" in out.output
    assert "every asset in it" in out.output
    _apply(cli, quickstart)
    world = sandbox.world_counts(quickstart / ".reconciler" / "sandbox.db")
    text = json.dumps(world)
    assert "/content/dam/mc-demo" not in text
    assert "mac-sync-assets-sync-1" in text


def test_wrong_aem_password_is_one_line_naming_the_connection(quickstart: Path, cli: Run) -> None:
    out = cli("plan", quickstart, env={"AEM_PASSWORD": "wrong"})
    assert out.exit_code == 1
    errors = [line for line in out.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, out.output
    assert "'author'" in errors[0] and "401" in errors[0]
    assert "Traceback" not in out.output and "wrong" not in out.output


def test_no_secret_in_output_plan_files_state_or_logs(quickstart: Path, cli: Run, tmp_path: Path) -> None:
    plan_file = tmp_path / "quickstart.plan"
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace(
        "    username: admin\n    password: ${env:AEM_PASSWORD:-admin}\n", "    token: ${env:AEM_TOKEN}\n"))
    (token,) = sandbox.SEED["aem"]["bearer_tokens"]
    env = {"AEM_TOKEN": token}
    outputs = [cli("-vv", "plan", quickstart, "-out", plan_file, env=env)]
    outputs.append(cli("-vv", "apply", plan_file, env=env))
    outputs.append(cli("-vv", "plan", "-json", quickstart, env=env))
    outputs.append(cli("show", "-c", quickstart, "-json"))
    outputs.append(cli("state", "show", "-c", quickstart, "cloud_configs.assets-sync"))
    assert outputs[1].exit_code == 0, outputs[1].output
    blobs = [o.output for o in outputs] + [plan_file.read_text()]
    for f in (quickstart / ".reconciler").glob("state.db*"):  # the database and any WAL file
        blobs.append(f.read_bytes().decode("latin-1"))
    for secret in (*SECRETS, token):
        for blob in blobs:
            assert secret not in blob
    assert "reconciler.http" in outputs[0].output  # the trace was on, and redacted
