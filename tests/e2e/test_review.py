"""Pull-request review and GitOps: JSON plans against the schema, drift made in AEM, Markdown for a pull
request (exit codes, targeting and graphs: tests/cli/test_options.py; stale plans: tests/cli/test_saved_plans.py)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from tests.helpers import ROOT, SECRETS, Run, edit_in_aem

PLAN_SCHEMA = json.loads((ROOT / "schemas" / "plan.schema.json").read_text())


def test_plan_json_validates_against_the_schema(quickstart: Path, cli: Run, tmp_path: Path) -> None:
    first = cli("plan", "-json", quickstart, "-out", tmp_path / "saved.plan")
    doc = json.loads(first.stdout)
    jsonschema.validate(doc, PLAN_SCHEMA)
    shown = json.loads(cli("show", "-json", tmp_path / "saved.plan").stdout)
    jsonschema.validate(shown, PLAN_SCHEMA)
    assert shown == doc
    assert doc["summary"]["create"] >= 4 and doc["summary"]["has_changes"]
    keys = {c["address"]: c for c in doc["resource_changes"]}
    assert keys["cloud_configs.assets-sync"]["after_unknown"] == ["client_id"]
    assert cli("apply", "--auto-approve", quickstart).exit_code == 0
    edit_in_aem(quickstart / ".reconciler" / "sandbox.db", "/content/dam/mc-demo/jcr:content", **{"jcr:title": "Edited"})
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace("title: Assets sync", "title: Assets sync v2"))
    second = json.loads(cli("plan", "--format", "json", quickstart).stdout)
    jsonschema.validate(second, PLAN_SCHEMA)
    refresh = json.loads(cli("plan", "-json", "--refresh-only", quickstart).stdout)
    jsonschema.validate(refresh, PLAN_SCHEMA)
    assert refresh["refresh_only"] and refresh["resource_changes"] == []


def test_drift_made_in_the_sandbox_is_reported_as_drift(quickstart: Path, cli: Run) -> None:
    assert cli("apply", "--auto-approve", quickstart).exit_code == 0
    assert cli("drift", "--detailed-exitcode", quickstart).exit_code == 0
    db = quickstart / ".reconciler" / "sandbox.db"
    edit_in_aem(db, "/etc/cloudservices/marketingcloud/assets-sync/jcr:content",
                 tenantURL="https://other.experiencecloud.adobe.com")

    plan = cli("plan", "--detailed-exitcode", quickstart)
    assert plan.exit_code == 2
    drift_at = plan.output.index("Objects have changed outside of the reconciler")
    action_at = plan.output.index("# cloud_configs.assets-sync will be updated in place: drift")
    assert drift_at < action_at
    assert '~ tenant_url = "https://acme.experiencecloud.adobe.com" -> "https://other.experiencecloud.adobe.com"' in plan.output

    doc = json.loads(cli("plan", "-json", quickstart).stdout)
    (change,) = doc["resource_changes"]
    assert change["drift"] is True and change["reason"].startswith("drift")
    assert [d["address"] for d in doc["resource_drift"]] == ["cloud_configs.assets-sync"]

    refresh = cli("drift", "--detailed-exitcode", quickstart)
    assert refresh.exit_code == 2 and "refresh-only plan" in refresh.output

    accepted = cli("drift", "--accept", quickstart)
    assert accepted.exit_code == 0 and "Accepted the drift of 1 resource(s)" in accepted.output
    assert cli("drift", "--detailed-exitcode", quickstart).exit_code == 0
    # the YAML still wins on the next plan, now as a configuration change
    after = cli("plan", quickstart)
    assert "will be updated in place: configuration changed" in after.output
    assert cli("apply", "--auto-approve", quickstart).exit_code == 0
    assert cli("plan", "--detailed-exitcode", quickstart).exit_code == 0


def test_markdown_plan_for_a_pull_request(quickstart: Path, cli: Run) -> None:
    md = cli("plan", "--format", "markdown", quickstart).output
    assert md.startswith("<!-- aem-assets-reconciler plan -->")
    assert "### Reconciler plan: 7 to create, 2 to adopt, 1 to update" in md  # users.dana: adopted and updated
    assert "```mermaid" in md
    for secret in SECRETS:
        assert secret not in md
