"""The `state` and `sandbox` commands: `state list` / `state show`, `sandbox reset`, and `sandbox serve`
on real ports in a subprocess until terminated (saved plans: test_saved_plans.py; options and exit
codes: test_options.py)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from reconciler import sandbox
from tests.helpers import Run, free_port

BIN = Path(sys.executable).parent / "reconciler"


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
    assert f"AEM author http://127.0.0.1:{ports['aem']} (admin/admin)" in banner
    assert f"Workfront http://127.0.0.1:{ports['workfront']}/attask/api/v21.0" in banner
