"""The quickstart over real HTTP: the sandbox served on loopback (the shared ``served`` fixture), the
CLI in subprocesses. The ``reconciler sandbox serve`` command itself: tests/cli/test_commands.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.helpers import QUICKSTART, Served

BIN = Path(sys.executable).parent / "reconciler"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("AEM_PASSWORD", "ADOBE_CLIENT_SECRET")}
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=120, env=env)


def test_quickstart_over_real_http(served: Served, tmp_path: Path) -> None:
    cfg = tmp_path / "qs"
    cfg.mkdir()
    text = (QUICKSTART / "main.yaml").read_text()
    text = text.replace("sandbox://aem", served.url("aem"))
    text = text.replace("sandbox://ims", served.url("ims"))
    text = text.replace("sandbox://console", served.url("console"))
    text = text.replace("sandbox://umapi", f"{served.url('umapi')}/v2/usermanagement")
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


def test_csrf_enforced_for_browsers_over_http(served: Served) -> None:
    aem = served.url("aem")
    url = f"{aem}/content/dam/csrf-probe"
    browser = {"User-Agent": "Mozilla/5.0"}
    denied = httpx.post(url, data={"jcr:primaryType": "sling:Folder"}, auth=("admin", "admin"), headers=browser)
    assert denied.status_code == 403
    token = httpx.get(f"{aem}/libs/granite/csrf/token.json", auth=("admin", "admin")).json()["token"]
    ok = httpx.post(url, data={"jcr:primaryType": "sling:Folder"}, auth=("admin", "admin"),
                    headers={**browser, "CSRF-Token": token, "Referer": f"{aem}/assets.html"})
    assert ok.status_code == 201
