"""Benchmark: a no-op plan over N folders (plus the quickstart's resources) on the embedded sandbox.

Usage: ``python benchmarks/noop_plan.py [N ...]`` (default 100 1000). For each N it writes a
configuration with N folders into a temporary directory, applies it once, then measures a no-op
``plan``: wall time (median of 3) and HTTP requests by service. The point is the request count:
listing is bulk (one Query Builder request for all folders), so it must not grow with N.
Results are recorded in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from reconciler.engine import apply_plan, make_plan
from reconciler.wiring import Workspace

ROOT = Path(__file__).resolve().parent.parent


def write_config(dest: Path, n: int) -> None:
    shutil.copytree(ROOT / "examples" / "quickstart", dest, ignore=shutil.ignore_patterns(".reconciler"))
    lines = ["version: 1", "folders:"]
    lines += [f"  bench-{i:05d}:\n    connection: author\n    title: Bench folder {i}" for i in range(n)]
    (dest / "bench.yaml").write_text("\n".join(lines) + "\n")


async def plan_once(path: Path) -> tuple[float, Counter[str], bool, int]:
    ws = Workspace(path)
    try:
        start = time.perf_counter()
        result = await make_plan(ws.desired, ws.state, ws.providers, config_digest=ws.loaded.digest)
        elapsed = time.perf_counter() - start
        counts: Counter[str] = Counter()
        for client in ws.ctx.clients():
            counts[client.service] += client.request_count
        return elapsed, counts, result.plan.has_changes, len(ws.desired)
    finally:
        await ws.aclose()
        ws.close_state()


async def apply_all(path: Path) -> None:
    ws = Workspace(path)
    try:
        result = await make_plan(ws.desired, ws.state, ws.providers, config_digest=ws.loaded.digest)
        out = await apply_plan(result, ws.state, ws.providers)
        assert out.ok, out.failed
    finally:
        await ws.aclose()
        ws.close_state()


def main(sizes: list[int]) -> None:
    print("| folders | resources | no-op plan wall (median of 3) | requests | requests by service |")
    print("|---:|---:|---:|---:|---|")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "cfg"
            write_config(path, n)
            asyncio.run(apply_all(path))
            runs = [asyncio.run(plan_once(path)) for _ in range(3)]
            assert not any(r[2] for r in runs), "the plan after apply must be a no-op"
            wall = statistics.median(r[0] for r in runs)
            counts = runs[-1][1]
            detail = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
            print(f"| {n} | {runs[-1][3]} | {wall:.2f} s | {sum(counts.values())} | {detail} |")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 1000])
