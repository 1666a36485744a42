"""``reconciler export`` end to end: a setup clicked together through the services' HTTP APIs is
exported, validated, planned (adopts only), applied, and planned again ("No changes"); the
request count of an export does not grow with the folders; live objects that break a seed rule are
exported with a comment and reported by ``validate``."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import httpx

from reconciler.export.write import MODELINE
from reconciler.sandbox import reset_world
from tests.helpers import SECRET, WORKFRONT_API_KEY, Run

from .clickops import ClickOpsWorld, Folder, build_world, ok
from .conftest import EXPORT_ENV, SANDBOX_CONNECTIONS, ClickOpsSetup, clicked_config, embedded_services

CHANGES = ("create", "update", "replace", "delete", "forget")


def plan_summary(cli: Run, config: Path) -> dict[str, int]:
    """The ``summary`` of ``plan -json`` on ``config`` (fails the test when the plan fails)."""
    r = cli("plan", config, "-json", env=EXPORT_ENV)
    assert r.exit_code == 0, r.output
    return dict(json.loads(r.stdout)["summary"])


def test_export_validate_plan_apply_plan(clickops_served: ClickOpsSetup, cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "exported"
    r = cli("export", clickops_served.config, "--out", out, env=EXPORT_ENV)
    assert r.exit_code == 0, r.output
    assert "The exported configuration is valid" in r.output
    # the secrets' variables are listed, never their values
    assert "AEM_PASSWORD" in r.output and "ADOBE_CLIENT_SECRET" in r.output and "WF_API_KEY" in r.output
    files = sorted(p.name for p in out.glob("*.yaml"))
    assert files == sorted(["connections.yaml", "orgs.yaml", "applications.yaml", "cloud_configs.yaml",
                            "application_keys.yaml", "replication_agents.yaml", "folders.yaml", "users.yaml",
                            "shares.yaml", "creative_cloud_connections.yaml", "workfront_integrations.yaml",
                            "workfront_linked_folders.yaml", "workfront_metadata_mappings.yaml"])
    for p in out.glob("*.yaml"):
        text = p.read_text()
        assert text.splitlines()[0] == MODELINE, p
        assert SECRET not in text and WORKFRONT_API_KEY not in text and "PRIVATE KEY" not in text, p
    assert (out / "reconciler.schema.json").is_file()
    # references instead of copied IDs
    assert "client_id: ${applications.assets-sync.application_id}" in (out / "cloud_configs.yaml").read_text()
    assert clickops_served.client_id not in (out / "cloud_configs.yaml").read_text().split("#")[0]
    assert "certificate: ${cloud_configs.acme.public_key}" in (out / "application_keys.yaml").read_text()
    assert "created_by: acme" in (out / "replication_agents.yaml").read_text()
    assert "folder: ${folders.campaigns-spring-launch.path}" in (out / "workfront_linked_folders.yaml").read_text()
    assert "api_key: ${env:WF_API_KEY}" in (out / "connections.yaml").read_text()
    assert cli("validate", out).exit_code == 0

    summary = plan_summary(cli, out)
    assert {k: summary.get(k, 0) for k in CHANGES} == dict.fromkeys(CHANGES, 0), summary
    assert summary["adopt"] >= 20

    r = cli("apply", out, "--auto-approve", env=EXPORT_ENV)
    assert r.exit_code == 0, r.output
    assert f"{summary['adopt']} adopted" in r.output
    r = cli("plan", out, env=EXPORT_ENV)
    assert r.exit_code == 0 and "No changes." in r.output, r.output


def _requests(output: str) -> int:
    m = re.search(r"(\d+) requests\)", output)
    assert m, output
    return int(m.group(1))


def _dam_with_folders(db: Path, n: int) -> None:
    """A fresh world with ``n`` folders under /content/dam/bulk, made by one Sling POST (relative
    paths), plus the seeds' application and configuration (no Workfront)."""
    reset_world(db)

    async def go() -> None:
        async with embedded_services(db) as services:
            await build_world(services, ClickOpsWorld(workfront=False), aem_url="sandbox://aem")
            data = {"jcr:primaryType": "sling:Folder"}
            data.update({f"./f{i:05d}/jcr:primaryType": "sling:Folder" for i in range(n)})
            ok(await services["aem"].post("/content/dam/bulk", data=data))

    asyncio.run(go())


def test_export_requests_do_not_grow_with_folders(cli: Run, tmp_path: Path) -> None:
    config = tmp_path / "existing"
    config.mkdir()
    (config / "main.yaml").write_text(SANDBOX_CONNECTIONS)
    db = config / ".reconciler" / "sandbox.db"
    counts = {}
    for n in (5, 5000):
        _dam_with_folders(db, n)
        out = tmp_path / f"out-{n}"
        r = cli("export", config, "--out", out, env=EXPORT_ENV)
        assert r.exit_code == 0, r.output
        assert f"folders {n + 2}," in r.output  # we-retail, the bulk folder and its children
        counts[n] = _requests(r.output)
    assert counts[5] == counts[5000], counts
    # --path-prefix narrows what is written, not what is read (one listing either way)
    out = tmp_path / "prefixed"
    r = cli("export", config, "--out", out, "--kind", "folders", "--path-prefix", "/content/dam/bulk/f00042",
            env=EXPORT_ENV)
    assert r.exit_code == 0, r.output
    assert "folders 1." in r.output and "left out by the filters: 5001 folders" in r.output
    assert _requests(r.output) < counts[5000]


def test_seed_rule_violations_are_exported_with_a_comment(cli: Run, tmp_path: Path) -> None:
    """A shared folder made ordered afterwards, and a configuration on the retired marketing.adobe.com
    tenant URL: both written as they are, with a comment, and validate reports both rules."""

    async def afterwards(s: dict[str, httpx.AsyncClient]) -> None:
        ok(await s["aem"].post("/content/dam/shared", data={"jcr:primaryType": "sling:OrderedFolder"}))
        ok(await s["aem"].post("/etc/cloudservices/marketingcloud/acme",
                               data={"jcr:content/tenantURL": "https://acme.marketing.adobe.com"}))

    world = ClickOpsWorld(folders=[Folder("/content/dam/shared", "Shared")], workfront=False,
                          ec_shares=["/content/dam/shared"])
    config = clicked_config(tmp_path / "existing", world, afterwards)
    out = tmp_path / "exported"
    r = cli("export", config, "--out", out, env=EXPORT_ENV)
    assert r.exit_code == 0, r.output
    assert "validate reports 1 problem of the live setup" in r.output  # the loader's error first
    configs = (out / "cloud_configs.yaml").read_text()
    assert "tenant_url: https://acme.marketing.adobe.com  # the retired marketing.adobe.com URL" in configs
    assert "the folder is a sling:OrderedFolder, which cannot be shared" in (out / "shares.yaml").read_text()
    r = cli("validate", out)
    assert r.exit_code == 1 and "marketing.adobe.com tenant URL was retired" in r.output
    # the user fixes the URL as the comment says: validate then reports the ordered folder's share
    (out / "cloud_configs.yaml").write_text(configs.replace("acme.marketing.adobe.com", "acme.experiencecloud.adobe.com"))
    r = cli("validate", out)
    assert r.exit_code == 1
    assert "shares.shared-experience-cloud shares folders.shared, which is ordered" in r.output


def test_export_refuses_a_directory_of_other_yaml(cli: Run, tmp_path: Path) -> None:
    config = tmp_path / "existing"
    config.mkdir()
    (config / "main.yaml").write_text(SANDBOX_CONNECTIONS)
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.yaml").write_text("version: 1\n")
    r = cli("export", config, "--out", out, "--kind", "orgs", env=EXPORT_ENV)
    assert r.exit_code == 1 and "mine.yaml, not written by an export" in r.output
    assert cli("export", config, "--out", config, env=EXPORT_ENV).exit_code == 1  # into the configuration


def test_clickops_steps_do_not_use_the_reconciler() -> None:
    """The click-ops steps speak HTTP themselves (never the reconciler's clients or kinds)."""
    source = (Path(__file__).parent / "clickops.py").read_text()
    assert "reconciler.clients" not in source and "reconciler.kinds" not in source
    assert httpx.__name__ in source


def test_kind_and_exclude_filters(cli: Run, tmp_path: Path) -> None:
    config = tmp_path / "existing"
    config.mkdir()
    (config / "main.yaml").write_text(SANDBOX_CONNECTIONS)
    reset_world(config / ".reconciler" / "sandbox.db")
    out = tmp_path / "out"
    r = cli("export", config, "--out", out, "--kind", "folders", "--kind", "replication_agents",
            "--exclude", "replication_agents.publish_*", env=EXPORT_ENV)
    assert r.exit_code == 0, r.output
    assert "replication_agents 1, folders 1." in r.output  # in the kinds' documentation order
    assert "left out by the filters: 1 replication_agents" in r.output
    assert sorted(p.name for p in out.glob("*.yaml")) == ["connections.yaml", "folders.yaml", "replication_agents.yaml"]
    assert "  publish:\n" in (out / "replication_agents.yaml").read_text()
    summary = plan_summary(cli, out)
    assert {k: summary.get(k, 0) for k in CHANGES} == dict.fromkeys(CHANGES, 0) and summary["adopt"] == 2


def test_progress_on_a_terminal_only(quickstart: Path, cli: Run, tmp_path: Path) -> None:
    from .test_progress_terminal import _on_terminal

    code, out = _on_terminal(["export", str(quickstart), "--out", str(tmp_path / "tty")])
    assert code == 0, out
    assert "aem author: reading..." in out and "adobe adobe: reading..." in out and "Export finished in" in out
    r = cli("export", quickstart, "--out", tmp_path / "pipe")
    assert r.exit_code == 0, r.output
    assert "reading..." not in r.output and "Export finished in" not in r.output
