"""``reconciler`` with its requests and rounds counted, for benchmarks/bench_scale.py.

Usage: ``BENCH_COUNTS=out.json python benchmarks/counted_cli.py plan DIR`` runs exactly the
``reconciler`` command line (``reconciler.cli:main``, same process: interpreter start, imports,
loading, planning), with one addition: every request to the embedded sandbox goes through a
``reconciler.clients.rounds.CountingTransport``, and at exit the counts are written to the file
named by ``BENCH_COUNTS`` as JSON: ``{"requests": int, "rounds": int, "by_round": {depth: n},
"by_service": {host: n}}``. Nothing else changes (latency comes from the sandbox's own fault
setting, ``reconciler.sandbox.world.set_faults``).
"""

from __future__ import annotations

import atexit
import json
import os
from collections import Counter
from typing import Any

import httpx

from reconciler import wiring
from reconciler.clients.rounds import RoundCounter

COUNTER = RoundCounter()
_inner = wiring.SandboxTransport.handle_async_request


async def _counted(self: Any, request: httpx.Request) -> httpx.Response:
    depth = COUNTER.started(request.method, request.url.host, request.url.path)
    try:
        return await _inner(self, request)
    finally:
        COUNTER.finished(depth)


def _write() -> None:
    dest = os.environ.get("BENCH_COUNTS")
    if not dest:
        return
    by_service = Counter(host.split(".", 1)[0] for _, _, host, _ in COUNTER.log)
    with open(dest, "w", encoding="utf-8") as fh:
        json.dump(
            {
                "requests": COUNTER.requests,
                "rounds": COUNTER.rounds,
                "by_round": dict(sorted(COUNTER.by_round.items())),
                "by_service": dict(sorted(by_service.items())),
            },
            fh,
        )


if __name__ == "__main__":
    setattr(wiring.SandboxTransport, "handle_async_request", _counted)  # noqa: B010 (mypy: no method assignment)
    atexit.register(_write)
    from reconciler.cli import main

    main()
