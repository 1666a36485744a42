"""Pull-request review and GitOps: JSON plans against the schema, Markdown, drift, exit codes, graph."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import jsonschema

from reconciler import sandbox

from .conftest import ROOT, SECRETS, Run

PLAN_SCHEMA = json.loads((ROOT / "schemas" / "plan.schema.json").read_text())


def _edit_in_aem(db: Path, path: str, **props: str) -> None:
    """Someone edits AEM directly (the Sling POST servlet, as the UI's dialog does)."""

    async def go() -> None:
        app = sandbox.create_app("aem", db)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://aem") as client:
            r = await client.post(path, data=props, auth=("admin", "admin"))
            assert r.status_code in (200, 201), r.text

    asyncio.run(go())


def test_plan_json_validates_against_the_schema(quickstart: Path, cli: Run, tmp_path: Path) -> None:
    first = cli("plan", "-json", quickstart, "-out", tmp_path / "saved.plan")
    doc = json.loads(first.output)
    jsonschema.validate(doc, PLAN_SCHEMA)
    shown = json.loads(cli("show", "-json", tmp_path / "saved.plan").output)
    jsonschema.validate(shown, PLAN_SCHEMA)
    assert shown == doc
    assert doc["summary"]["create"] >= 4 and doc["summary"]["has_changes"]
    keys = {c["address"]: c for c in doc["resource_changes"]}
    assert keys["cloud_configs.assets-sync"]["after_unknown"] == ["client_id"]
    assert cli("apply", "--auto-approve", quickstart).exit_code == 0
    _edit_in_aem(quickstart / ".reconciler" / "sandbox.db", "/content/dam/mc-demo/jcr:content", **{"jcr:title": "Edited"})
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace("title: Assets sync", "title: Assets sync v2"))
    second = json.loads(cli("plan", "--format", "json", quickstart).output)
    jsonschema.validate(second, PLAN_SCHEMA)
    refresh = json.loads(cli("plan", "-json", "--refresh-only", quickstart).output)
    jsonschema.validate(refresh, PLAN_SCHEMA)
    assert refresh["refresh_only"] and refresh["resource_changes"] == []


def test_drift_made_in_the_sandbox_is_reported_as_drift(quickstart: Path, cli: Run) -> None:
    assert cli("apply", "--auto-approve", quickstart).exit_code == 0
    assert cli("drift", "--detailed-exitcode", quickstart).exit_code == 0
    db = quickstart / ".reconciler" / "sandbox.db"
    _edit_in_aem(db, "/etc/cloudservices/marketingcloud/assets-sync/jcr:content",
                 tenantURL="https://other.experiencecloud.adobe.com")

    plan = cli("plan", "--detailed-exitcode", quickstart)
    assert plan.exit_code == 2
    drift_at = plan.output.index("Objects have changed outside of the reconciler")
    action_at = plan.output.index("# cloud_configs.assets-sync will be updated in place: drift")
    assert drift_at < action_at
    assert '~ tenant_url = "https://acme.experiencecloud.adobe.com" -> "https://other.experiencecloud.adobe.com"' in plan.output

    doc = json.loads(cli("plan", "-json", quickstart).output)
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
    assert "### Reconciler plan: 7 to create, 3 to adopt" in md
    assert "```mermaid" in md
    for secret in SECRETS:
        assert secret not in md


def test_exit_codes(quickstart: Path, cli: Run) -> None:
    assert cli("plan", "--detailed-exitcode", quickstart).exit_code == 2
    assert cli("apply", "--auto-approve", quickstart).exit_code == 0
    assert cli("plan", "--detailed-exitcode", quickstart).exit_code == 0
    (quickstart / "main.yaml").write_text("version: 1\nfolders: {x: {connection: nowhere}}\n")
    assert cli("plan", "--detailed-exitcode", quickstart).exit_code == 1


def test_targeting_warns(quickstart: Path, cli: Run) -> None:
    out = cli("plan", "--target", "cloud_configs.assets-sync", quickstart)
    assert "resource targeting is in effect" in out.output
    assert "folders.mc-demo" not in out.output
    assert "applications.assets-sync" in out.output
    bad = cli("plan", "--target", "folders.nope", quickstart)
    assert bad.exit_code == 1 and "no such resource to target" in bad.output


def test_replace_flag(quickstart: Path, cli: Run) -> None:
    assert cli("apply", "--auto-approve", quickstart).exit_code == 0
    out = cli("plan", "--replace", "folders.mc-demo", quickstart)
    assert "# folders.mc-demo must be REPLACED" in out.output and "--replace" in out.output


def test_graph_dot_and_mermaid(quickstart: Path, cli: Run) -> None:
    dot = cli("graph", quickstart).output
    assert dot.startswith("digraph reconciler {")
    assert '"cloud_configs.assets-sync" -> "applications.assets-sync";' in dot
    mermaid = cli("graph", "--format", "mermaid", quickstart).output
    assert mermaid.startswith("graph LR") and "n_cloud_configs_assets_sync --> n_applications_assets_sync" in mermaid


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
    _edit_in_aem(quickstart / ".reconciler" / "sandbox.db", "/content/dam/mc-demo/jcr:content", **{"jcr:title": "Edited"})
    out = cli("apply", plan_file)
    assert out.exit_code == 1 and "the services changed since the plan was made" in out.output
