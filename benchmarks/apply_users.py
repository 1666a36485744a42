"""Apply N user creates from empty through the User Management API's published per-client limits.

``python benchmarks/apply_users.py 1000``: builds a configuration of N users in a temporary
directory, plans and applies it on the embedded sandbox with the client's default limits (10
``/action`` requests and 25 user reads per minute, ``../shared/reference/adobe-umapi.md`` §4), and
prints the wall time (s) and the requests by method and endpoint. Results: benchmarks/RESULTS.md.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from reconciler.clients.umapi import UmapiClient
from reconciler.engine import apply_plan, make_plan
from reconciler.wiring import Workspace

HEADER = [
    "version: 1",
    "connections:",
    "  adobe: {type: adobe, ims_url: sandbox://ims, console_url: sandbox://console, umapi_url: sandbox://umapi,"
    " client_id: 5f0c2ab1d3e94c7a8b6d1e2f3a4b5c6d, client_secret: p8e-SandboxReconcilerSecret0123456789ab}",
    "orgs:",
    "  acme: {connection: adobe, ims_org_id: A1B2C3D4E5F6A7B8C9D0E1F2@AdobeOrg}",
    "users:",
]


def run(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        users = [
            f"  u{i:05d}: {{org: acme, email: u{i:05d}@acme.example, type: federated_id, country: US,"
            " groups: [Marketing Cloud]}"
            for i in range(n)
        ]
        (root / "main.yaml").write_text("\n".join(HEADER + users) + "\n")
        ws = Workspace(root, environ={})

        async def go() -> tuple[float, Counter[str], int]:
            try:
                planned = await make_plan(ws.desired, ws.state, ws.providers)
                client = next(c for c in ws.ctx.clients() if isinstance(c, UmapiClient))
                start, t0 = len(client.request_log), time.perf_counter()
                result = await apply_plan(planned, ws.state, ws.providers, parallelism=10)
                wall = time.perf_counter() - t0
                kinds = Counter(f"{m} /{p.strip('/').split('/')[0]}" for m, p, _ in client.request_log[start:])
                return wall, kinds, len(result.failed)
            finally:
                await ws.aclose()

        try:
            wall, kinds, failed = asyncio.run(go())
        finally:
            ws.close_state()
        print(f"N={n}: apply {wall:.1f} s, {sum(kinds.values())} requests {dict(kinds)}, {failed} failed")


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["100"]:
        run(int(arg))
