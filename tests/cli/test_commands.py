"""CLI behaviour: saved plans, exit codes, validation messages, kinds' rules, sandbox commands."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx

from reconciler import sandbox
from tests.helpers import Run, free_port

BIN = Path(sys.executable).parent / "reconciler"


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


def test_detailed_exitcode_is_1_on_error(quickstart: Path, cli: Run) -> None:
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace("tenant_url: https://acme.experiencecloud.adobe.com",
                                             "tenant_url: https://acme.marketing.adobe.com"))
    out = cli("plan", "--detailed-exitcode", quickstart)
    assert out.exit_code == 1
    assert "main.yaml:" in out.output and "experiencecloud.adobe.com" in out.output
    assert "https://acme.experiencecloud.adobe.com" in out.output  # the fix is spelled out


def test_client_secret_pasted_as_client_id_is_caught(quickstart: Path, cli: Run) -> None:
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace("client_id: ${applications.assets-sync.application_id}",
                                             "client_id: p8e-EIRF6kY6EHLBSdw2b-pLUWKodDqJqSz3"))
    out = cli("validate", quickstart)
    assert out.exit_code == 1
    assert "client secret, not its ID" in out.output
    assert "p8e-EIRF6kY6EHLBSdw2b" not in out.output  # never echo a secret-looking value


def test_unknown_name_reference_has_did_you_mean(quickstart: Path, cli: Run) -> None:
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace("application: assets-sync", "application: assets-synk"))
    out = cli("validate", quickstart)
    assert out.exit_code == 1 and "assets-sync" in out.output and "did you mean" in out.output


def test_jwt_credential_warns_with_migration_steps(quickstart: Path, cli: Run) -> None:
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace("    title: AEM Assets sync\n",
                                             "    title: AEM Assets sync\n    credential: service_account_jwt\n"))
    out = cli("plan", quickstart)
    assert out.exit_code == 0, out.output
    assert "past end of life (2025-06-30)" in out.output and "OAuth Server-to-Server" in out.output


def test_ordered_folder_is_a_sling_ordered_folder(quickstart: Path, cli: Run) -> None:
    main = quickstart / "main.yaml"
    text = main.read_text()
    main.write_text(text.replace("folders:\n", "folders:\n  ordered-one:\n    connection: author\n    ordered: true\n", 1))
    assert cli("apply", "--auto-approve", quickstart).exit_code == 0
    nodes = sandbox.world_counts(quickstart / ".reconciler" / "sandbox.db")["nodes"]
    assert nodes["/content/dam/ordered-one"] == "sling:OrderedFolder"
    assert nodes["/content/dam/mc-demo"] == "sling:Folder"


def test_failed_health_check_keeps_the_plan_open(quickstart: Path, cli: Run) -> None:
    main = quickstart / "main.yaml"
    # without the key binding, Test Connection fails with IMS's own error
    text = main.read_text()
    text = text.replace("    depends_on: [application_keys.aem-author]   # the test only passes once the key is bound\n", "")
    text = text.replace("    depends_on: [application_keys.aem-author]\n", "")
    start, end = text.index("application_keys:"), text.index("# Step 4")
    main.write_text(text[:start] + text[end:])
    out = cli("apply", "--auto-approve", quickstart)
    assert out.exit_code == 1
    assert "Could not match JWT signature to any of the bindings" in out.output
    again = cli("plan", "--detailed-exitcode", quickstart)
    assert again.exit_code == 2 and "Health checks after apply" in again.output


def test_state_commands(quickstart: Path, cli: Run) -> None:
    assert cli("apply", "--auto-approve", quickstart).exit_code == 0
    listed = cli("state", "list", "-c", quickstart)
    assert "cloud_configs.assets-sync" in listed.output.splitlines()
    shown = cli("state", "show", "-c", quickstart, "cloud_configs.assets-sync")
    assert "output.public_key" in shown.output and "BEGIN CERTIFICATE" in shown.output
    missing = cli("state", "show", "-c", quickstart, "cloud_configs.assets-synk")
    assert missing.exit_code == 1 and "did you mean cloud_configs.assets-sync" in missing.output


def test_sandbox_reset(quickstart: Path, cli: Run) -> None:
    assert cli("apply", "--auto-approve", quickstart).exit_code == 0
    db = quickstart / ".reconciler" / "sandbox.db"
    out = cli("sandbox", "reset", "--db", db)
    assert out.exit_code == 0
    assert "/content/dam/mc-demo" not in sandbox.world_counts(db)["nodes"]


def test_version_and_help(cli: Run) -> None:
    assert "0.1.0" in cli("--version").output
    for cmd in ("validate", "plan", "apply", "show", "state", "sandbox"):
        out = cli(cmd, "--help")
        assert out.exit_code == 0 and "Usage" in out.output


def test_sandbox_serve_serves_every_service_on_the_given_ports_until_terminated(tmp_path: Path) -> None:
    ports = {service: free_port() for service in sandbox.SERVICES}
    options = [arg for service, port in ports.items() for arg in (f"--{service}-port", str(port))]
    proc = subprocess.Popen(
        [str(BIN), "sandbox", "serve", "--db", str(tmp_path / "world.db"), *options],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if all(httpx.get(f"http://127.0.0.1:{p}/_sandbox/health", timeout=1).status_code == 200
                       for p in ports.values()):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise AssertionError("sandbox did not start: " + (proc.stdout.read() if proc.poll() is not None else ""))
            time.sleep(0.2)
        for service, port in ports.items():
            health = httpx.get(f"http://127.0.0.1:{port}/_sandbox/health", timeout=5).json()
            assert health == {"status": "ok", "service": service}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, "SIGTERM must stop the servers and return"
    banner = proc.stdout.read() if proc.stdout else ""
    assert f"AEM http://127.0.0.1:{ports['aem']} (admin/admin)" in banner
    assert f"Workfront http://127.0.0.1:{ports['workfront']}/attask/api/v21.0" in banner
