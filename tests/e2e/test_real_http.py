"""The quickstart over real HTTP: `reconciler sandbox serve` on loopback, the CLI in subprocesses."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from .conftest import QUICKSTART

BIN = Path(sys.executable).parent / "reconciler"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path):
    ports = {"aem": free_port(), "ims": free_port(), "console": free_port(), "umapi": free_port(),
             "workfront": free_port()}
    proc = subprocess.Popen(
        [str(BIN), "sandbox", "serve", "--db", str(tmp_path / "world.db"), "--aem-port", str(ports["aem"]),
         "--ims-port", str(ports["ims"]), "--console-port", str(ports["console"]),
         "--umapi-port", str(ports["umapi"]), "--workfront-port", str(ports["workfront"])],
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
        yield ports
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("AEM_PASSWORD", "ADOBE_CLIENT_SECRET")}
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=120, env=env)


def test_quickstart_over_real_http(served: dict[str, int], tmp_path: Path) -> None:
    cfg = tmp_path / "qs"
    cfg.mkdir()
    text = (QUICKSTART / "main.yaml").read_text()
    text = text.replace("sandbox://aem", f"http://127.0.0.1:{served['aem']}")
    text = text.replace("sandbox://ims", f"http://127.0.0.1:{served['ims']}")
    text = text.replace("sandbox://console", f"http://127.0.0.1:{served['console']}")
    text = text.replace("sandbox://umapi", f"http://127.0.0.1:{served['umapi']}/v2/usermanagement")
    (cfg / "main.yaml").write_text(text)

    first = run("plan", "--detailed-exitcode", str(cfg))
    assert first.returncode == 2, first.stdout + first.stderr
    applied = run("apply", "--auto-approve", str(cfg))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Health check replication_agents.mac-sync: passed" in applied.stdout
    last = run("plan", "--detailed-exitcode", str(cfg))
    assert last.returncode == 0, last.stdout + last.stderr
    assert "No changes." in last.stdout
    assert not (cfg / ".reconciler" / "sandbox.db").exists()  # nothing ran in-process


def test_csrf_enforced_for_browsers_over_http(served: dict[str, int]) -> None:
    url = f"http://127.0.0.1:{served['aem']}/content/dam/csrf-probe"
    browser = {"User-Agent": "Mozilla/5.0"}
    denied = httpx.post(url, data={"jcr:primaryType": "sling:Folder"}, auth=("admin", "admin"), headers=browser)
    assert denied.status_code == 403
    token = httpx.get(f"http://127.0.0.1:{served['aem']}/libs/granite/csrf/token.json", auth=("admin", "admin")).json()["token"]
    ok = httpx.post(url, data={"jcr:primaryType": "sling:Folder"}, auth=("admin", "admin"),
                    headers={**browser, "CSRF-Token": token, "Referer": f"http://127.0.0.1:{served['aem']}/assets.html"})
    assert ok.status_code == 201
