"""Progress lines on a terminal (a pseudo-terminal), and none off a terminal.

Apply of the quickstart with 100 ms of latency on every sandbox request: on a terminal, each kind's
bulk refresh is announced ("Refreshing N resources..."), actions still running get heartbeats
("Still creating... [0.2s elapsed]", every 0.2 s here through RECONCILER_HEARTBEAT_S), and a final
timing line closes the run; through pipes (as in CI) none of these lines appear.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from reconciler.sandbox import set_faults
from tests.helpers import Run

PROGRESS = ("Refreshing", "Still creating...", "Apply finished in")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("AEM_PASSWORD", "ADOBE_CLIENT_SECRET")}
    env.update(RECONCILER_HEARTBEAT_S="0.2", NO_COLOR="1")
    return env


def _on_terminal(args: list[str]) -> tuple[int, str]:
    """Run ``reconciler ARGS`` with stdin, stdout and stderr on a pseudo-terminal; (exit code, output)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "reconciler.cli", *args], stdin=slave, stdout=slave,
                            stderr=slave, env=_env(), close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=120), b"".join(chunks).decode(errors="replace").replace("\r\n", "\n")


def _slow(quickstart: Path, cli: Run) -> None:
    assert cli("validate", quickstart).exit_code == 0
    set_faults(quickstart / ".reconciler" / "sandbox.db", latency_ms=100)


def test_progress_lines_on_a_terminal(quickstart: Path, cli: Run) -> None:
    _slow(quickstart, cli)
    code, out = _on_terminal(["apply", "-auto-approve", str(quickstart)])
    assert code == 0, out
    assert "folders: Refreshing 1 resource..." in out
    assert "users: Refreshing 2 resources..." in out
    assert "applications.assets-sync: Still creating... [" in out and " elapsed]" in out
    assert "Apply finished in" in out and "Refresh and plan" not in out
    # the heartbeat comes while the action runs: between its start and its completion
    start = out.index("applications.assets-sync: Creating...")
    beat = out.index("applications.assets-sync: Still creating...")
    done = out.index("applications.assets-sync: Creation complete")
    assert start < beat < done
    code, out = _on_terminal(["plan", str(quickstart)])
    assert code == 0 and "Refresh and plan finished in" in out and "Refreshing" in out


def test_no_progress_lines_off_a_terminal(quickstart: Path, cli: Run) -> None:
    _slow(quickstart, cli)
    done = subprocess.run([sys.executable, "-m", "reconciler.cli", "apply", "-auto-approve", str(quickstart)],
                          capture_output=True, text=True, env=_env(), timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert "applications.assets-sync: Creation complete" in done.stdout  # line-oriented events stay
    for word in PROGRESS:
        assert word not in done.stdout + done.stderr
