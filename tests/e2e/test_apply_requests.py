"""Apply stays linear in requests: the lookup before each write does not list the whole kind again."""

from __future__ import annotations

import asyncio
from pathlib import Path

from reconciler.clients.workfront import WorkfrontClient
from reconciler.engine import apply_plan, make_plan
from reconciler.wiring import Workspace
from tests.helpers import WORKFRONT_SCALE_HEADER

MAPPINGS_PATH = "/metadata-mappings"


def mappings_config(root: Path, n: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    lines = [*WORKFRONT_SCALE_HEADER, "workfront_metadata_mappings:"]
    lines += [f"  m{i:03d}: {{integration: scale, source: name, target: 'wm:target{i:03d}'}}" for i in range(n)]
    (root / "main.yaml").write_text("\n".join(lines) + "\n")
    return root


def apply_listings(root: Path) -> tuple[int, int]:
    """Apply from empty; returns (mapping listings during apply, mappings created)."""
    ws = Workspace(root, environ={})
    try:
        async def go() -> tuple[int, int]:
            try:
                planned = await make_plan(ws.desired, ws.state, ws.providers)
                clients = [c for c in ws.ctx.clients() if isinstance(c, WorkfrontClient)]
                before = sum(1 for c in clients for m, p, _ in c.request_log if m == "GET" and p.endswith(MAPPINGS_PATH))
                result = await apply_plan(planned, ws.state, ws.providers, parallelism=8)
                assert not result.failed, result.failed
                clients = [c for c in ws.ctx.clients() if isinstance(c, WorkfrontClient)]
                after = sum(1 for c in clients for m, p, _ in c.request_log if m == "GET" and p.endswith(MAPPINGS_PATH))
                created = sum(1 for a in result.done if a.startswith("workfront_metadata_mappings."))
                return after - before, created
            finally:
                await ws.aclose()

        return asyncio.run(go())
    finally:
        ws.close_state()


def test_metadata_mapping_creates_list_each_integration_once_whatever_n(tmp_path: Path) -> None:
    small = apply_listings(mappings_config(tmp_path / "small", 3))
    large = apply_listings(mappings_config(tmp_path / "large", 40))
    assert small[1] == 3 and large[1] == 40
    assert large[0] == small[0] <= 1, (small, large)


def users_config(root: Path, n: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    lines = [
        "version: 1", "connections:",
        "  adobe: {type: adobe, ims_url: sandbox://ims, console_url: sandbox://console, umapi_url: sandbox://umapi,"
        " client_id: 5f0c2ab1d3e94c7a8b6d1e2f3a4b5c6d, client_secret: p8e-SandboxReconcilerSecret0123456789ab}",
        "orgs:", "  acme: {connection: adobe, ims_org_id: A1B2C3D4E5F6A7B8C9D0E1F2@AdobeOrg}",
        "users:",
    ]
    lines += [f"  u{i:03d}: {{org: acme, email: u{i:03d}@acme.example, type: federated_id, country: US,"
              f" groups: [Marketing Cloud]}}" for i in range(n)]
    (root / "main.yaml").write_text("\n".join(lines) + "\n")
    return root


def test_user_creates_share_action_requests_and_read_the_org_once(tmp_path: Path) -> None:
    from reconciler.clients.umapi import UmapiClient

    root = users_config(tmp_path / "users", 35)
    ws = Workspace(root, environ={})
    try:
        async def go() -> list[tuple[str, str, int]]:
            try:
                planned = await make_plan(ws.desired, ws.state, ws.providers)
                client = next(c for c in ws.ctx.clients() if isinstance(c, UmapiClient))
                start = len(client.request_log)
                result = await apply_plan(planned, ws.state, ws.providers, parallelism=10)
                assert not result.failed, result.failed
                assert sum(1 for a in result.done if a.startswith("users.")) == 35
                ids = {ws.state.get(f"users.u{i:03d}").outputs.get("user_id") for i in range(35)}
                assert "" not in ids and None not in ids and len(ids) == 35, ids  # each one's own, read back
                return client.request_log[start:]
            finally:
                await ws.aclose()

        log = asyncio.run(go())
    finally:
        ws.close_state()
    posts = [p for m, p, _ in log if m == "POST"]
    reads = [p for m, p, _ in log if m == "GET"]
    assert len(posts) == 4, posts  # 35 users' commands in ceil(35/10) /action requests, not 35
    assert not any("/organizations/" in p for p in reads), reads  # no per-user GET before each create
    # one paged listing of the org's users before the writes, and one per /action request that created
    # users to read their ids back (the /action answer carries none), never one read per user
    assert len(reads) <= 2 + len(posts), reads
    assert not any("/groups/" in p for p in reads), reads
