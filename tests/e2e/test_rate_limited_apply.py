"""An apply behind a server rate limit (the sandbox's ``rate_limit_rps`` fault) ends without a 429 storm.

The AEM connection is configured with the server's rate; the client-side limiter keeps under it, so
200 folder creates behind 20 requests per second finish with no failed action and almost no 429
(counted at the sandbox and by the clients: counts, not times).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from reconciler import sandbox
from reconciler.engine import apply_plan, make_plan
from reconciler.wiring import Workspace, state_dir

SERVER_RPS = 20
FOLDERS = 200


def folders_config(root: Path, n: int, rate: float | None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    rate_line = [] if rate is None else [f"    rate_limit_per_s: {rate}"]
    lines = [
        "version: 1",
        "connections:",
        "  author:",
        "    type: aem",
        "    url: sandbox://aem",
        "    username: admin",
        "    password: admin",
        *rate_line,
        "folders:",
    ]
    lines += [f"  limited-{i:04d}: {{connection: author, title: Limited {i}}}" for i in range(n)]
    (root / "main.yaml").write_text("\n".join(lines) + "\n")
    return root


def apply_behind_limit(root: Path) -> tuple[list[str], int, int, int, int]:
    """Plan and apply ``root`` with the sandbox limited to SERVER_RPS per service. Returns
    (failed actions, creates done, requests sent, 429s seen by the clients, 429s the sandbox counted)."""
    db = state_dir(root) / "sandbox.db"
    sandbox.reset_world(db)
    sandbox.set_faults(db, rate_limit_rps=SERVER_RPS)
    ws = Workspace(root, environ={})
    try:
        async def go() -> tuple[list[str], int, int, int]:
            try:
                planned = await make_plan(ws.desired, ws.state, ws.providers)
                result = await apply_plan(planned, ws.state, ws.providers)
                log = [entry for c in ws.ctx.clients() for entry in c.request_log]
                done = sum(1 for a in result.done if a.startswith("folders."))
                return list(result.failed), done, len(log), sum(1 for _, _, status in log if status == 429)
            finally:
                await ws.aclose()

        failed, done, sent, seen = asyncio.run(go())
    finally:
        ws.close_state()
    return failed, done, sent, seen, int(sandbox.get_faults(db)["rate_limited"])


def test_200_creates_behind_20_requests_per_second_without_a_429_storm(tmp_path: Path) -> None:
    failed, done, sent, seen, counted = apply_behind_limit(folders_config(tmp_path / "cfg", FOLDERS, SERVER_RPS))
    assert failed == []
    assert done == FOLDERS
    assert sent >= FOLDERS  # every create went to the server, behind the limit
    assert counted == seen  # the sandbox and the clients agree on the 429s
    assert counted <= 2, f"{counted} answers 429 out of {sent} requests"
