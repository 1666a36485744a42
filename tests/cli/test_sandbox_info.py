"""`reconciler sandbox info` prints the seeded world; errors from a sandbox:// service point at it."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.sandbox import REGISTRY, SEED
from tests.helpers import Run


def test_sandbox_info_lists_the_seeded_world(cli: Run) -> None:
    out = cli("sandbox", "info")
    assert out.exit_code == 0
    text = out.output
    assert SEED["reconciler_credential"]["client_id"] in text
    for org in SEED["orgs"]:
        assert org["code"] in text and org["name"] in text
    for user in SEED["umapi_users"]:
        assert user["email"] in text
    assert "Spring Launch" in text and "sandbox-workfront-api-key" in text and "admin/admin" in text
    for service in REGISTRY.values():
        assert f"sandbox://{service.name}" in text and f"port {service.port}" in text
    doc = json.loads(cli("sandbox", "info", "-json").stdout)
    assert doc["client"]["client_id"] == SEED["reconciler_credential"]["client_id"]
    assert {"name": "Spring Launch", "portfolio": "Spring Campaigns", "program": "Launch 2026"} in doc["workfront"]["projects"]
    assert [s["port"] for s in doc["services"]] == [s.port for s in REGISTRY.values()]


def test_the_quickstart_uses_what_sandbox_info_lists(quickstart: Path, cli: Run) -> None:
    info = json.loads(cli("sandbox", "info", "-json").stdout)
    main = (quickstart / "main.yaml").read_text()
    assert info["client"]["client_id"] in main and info["orgs"][0]["ims_org_id"] in main


def test_sandbox_errors_suggest_sandbox_info(quickstart: Path, cli: Run) -> None:
    main = quickstart / "main.yaml"
    good = main.read_text()
    main.write_text(good.replace("client_id: 5f0c2ab1d3e94c7a8b6d1e2f3a4b5c6d", "client_id: 5f0c2ab1d3e94c7a8b6d1e2f3a4b5c6e"))
    out = cli("plan", quickstart)
    assert out.exit_code == 1 and "invalid_client" in out.output
    assert "`reconciler sandbox info` lists its client ID" in out.output
    main.write_text(good.replace("A1B2C3D4E5F6A7B8C9D0E1F2@AdobeOrg", "A1B2C3D4E5F6A7B8C9D0E1F9@AdobeOrg"))
    out = cli("plan", quickstart)
    assert out.exit_code == 1 and "reconciler sandbox info" in out.output
