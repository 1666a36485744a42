"""`version [-json]`, `output [ADDR[.ATTR]] [-json]`, `destroy` and `plan -destroy`."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler import __version__
from tests.helpers import Run


def test_version(cli: Run) -> None:
    out = cli("version")
    assert out.exit_code == 0 and out.output.startswith(f"reconciler v{__version__}\n")
    doc = json.loads(cli("version", "-json").stdout)
    assert doc["reconciler_version"] == __version__ and doc["plan_format_version"] == "1.0"
    assert set(doc) == {"reconciler_version", "platform", "python_version", "plan_format_version"}


def test_output(quickstart: Path, cli: Run) -> None:
    assert cli("output", "-c", quickstart).exit_code == 1  # nothing applied yet: no state
    assert cli("apply", "-auto-approve", quickstart).exit_code == 0
    key = cli("output", "-c", quickstart, "cloud_configs.assets-sync.public_key")
    assert key.exit_code == 0
    assert key.output.startswith("-----BEGIN CERTIFICATE-----\n")
    assert key.output.endswith("-----END CERTIFICATE-----\n")
    one = json.loads(cli("output", "-json", "-c", quickstart, "cloud_configs.assets-sync").stdout)
    assert one["path"] == "/etc/cloudservices/marketingcloud/assets-sync" and one["public_key"].startswith("-----")
    every = json.loads(cli("output", "-json", "-c", quickstart).stdout)
    assert every["cloud_configs.assets-sync"] == one and "folders.mc-demo" in every
    text = cli("output", "-c", quickstart).output
    assert 'folders.mc-demo.path = "/content/dam/mc-demo"' in text
    assert 'cloud_configs.assets-sync.public_key = "-----BEGIN CERTIFICATE----- ..."' in text
    assert json.loads(cli("output", "-json", "-c", quickstart, "folders.mc-demo.path").stdout) == "/content/dam/mc-demo"
    bad_attr = cli("output", "-c", quickstart, "cloud_configs.assets-sync.nope")
    assert bad_attr.exit_code == 1 and "has no output 'nope'" in bad_attr.output
    assert "outputs of cloud_configs.assets-sync: connection, name, path, public_key" in bad_attr.output
    bad_addr = cli("output", "-c", quickstart, "folders.mc-dem")
    assert bad_addr.exit_code == 1 and "did you mean folders.mc-demo?" in bad_addr.output


def test_plan_destroy_and_destroy(quickstart: Path, cli: Run) -> None:
    assert cli("apply", "-auto-approve", quickstart).exit_code == 0
    plan = cli("plan", "-destroy", "-detailed-exitcode", quickstart)
    assert plan.exit_code == 2
    assert "  - folders.mc-demo" in plan.output and "  - cloud_configs.assets-sync" in plan.output
    assert "  / orgs.acme" in plan.output and "  / users.dana" in plan.output  # adopted: forgotten, never deleted
    # created by this tool, but without remove_from_org the account stays: only its memberships go
    assert "  / users.jane" in plan.output and "  - users.jane" not in plan.output
    assert "# users.jane will lose the memberships this tool added (Marketing Cloud); the account stays" in plan.output
    assert "to create" in plan.output and "0 to create" in plan.output
    assert "deleted outside the reconciler" not in plan.output  # the org is read through its record
    assert "destroy requested (plan -destroy)" in plan.output
    assert "removed from the configuration" not in plan.output  # it is still declared
    assert cli("state", "list", "-c", quickstart).output.strip()  # plan changed nothing
    assert cli("plan", "-destroy", "-target=folders.mc-demo", quickstart).exit_code == 1

    unattended = cli("destroy", quickstart)
    assert unattended.exit_code == 1 and "-auto-approve" in unattended.output
    assert "will be DELETED" not in unattended.output  # refused before planning

    done = cli("destroy", "-auto-approve", quickstart)
    assert done.exit_code == 0, done.output
    assert "folders.mc-demo: Destruction complete" in done.output
    assert "orgs.acme: Forgotten (left in place)" in done.output
    assert cli("state", "list", "-c", quickstart).output.strip() == ""
    again = cli("plan", quickstart).output
    assert "# folders.mc-demo will be created" in again  # it was deleted
    # adopted before: left in place (only the membership this tool added was removed), so adopted again
    assert "# users.dana will be updated in place: already exists (this state has no record of it)" in again
    # created by this tool and kept by destroy: adopted again, and the plan says why it has no record
    assert "# users.jane will be updated in place: already exists" in again
    assert "jane.doe@acme.example has no record in this state, so it is adopted as an account this tool did not" \
        " create (one it created before stays in the org after destroy" in again
    assert "# orgs.acme will be read" in again
    assert "No changes" in cli("plan", "-destroy", quickstart).output


def test_a_plan_that_only_reads_an_org_is_applied_and_recorded(quickstart: Path, cli: Run) -> None:
    assert cli("apply", "-auto-approve", quickstart).exit_code == 0
    assert cli("state", "rm", "-c", quickstart, "orgs.acme").exit_code == 0
    plan = cli("plan", "-detailed-exitcode", quickstart)
    assert plan.exit_code == 2 and "1 to read" in plan.output  # listed and counted as a change
    done = cli("apply", "-auto-approve", quickstart)
    assert done.exit_code == 0 and "Apply complete! 1 read." in done.output, done.output
    assert "orgs.acme" in cli("state", "list", "-c", quickstart).output.split()
    assert cli("plan", "-detailed-exitcode", quickstart).exit_code == 0


def test_show_of_a_saved_destroy_plan_counts_what_it_forgets(quickstart: Path, cli: Run, tmp_path: Path) -> None:
    assert cli("apply", "-auto-approve", quickstart).exit_code == 0
    saved = tmp_path / "destroy.json"
    assert cli("plan", "-destroy", "-out", saved, quickstart).exit_code == 0
    shown = cli("show", saved).output
    summary = next(line for line in shown.splitlines() if line.startswith("Plan: "))
    planned = next(line for line in cli("plan", "-destroy", quickstart).output.splitlines() if line.startswith("Plan: "))
    assert summary == planned and "to forget" in summary  # the same line as the plan printed
