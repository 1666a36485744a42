"""Benchmark: apply N folder creates behind a server rate limit (the sandbox's ``rate_limit_rps`` fault).

Usage: ``python benchmarks/apply_rate_limited.py [N] [--rps R] [--client RATE ...]``
(defaults: N=1000, R=20, client rates ``20`` and ``default``). For each client rate it writes a
configuration of one AEM connection (``rate_limit_per_s: RATE``; ``default`` leaves it out, so the
client starts at AEM's default of 200 per second and has to find the server's limit from the
429s) and N folders, sets ``rate_limit_rps=R`` on a fresh embedded sandbox world, then plans and
applies in this process. Prints one Markdown table row per client rate: wall (plan + apply),
requests sent, 429 answers (counted by the sandbox), failed actions, the two ideal walls
N/R and requests/R, and the limiter's slow-downs and pause time. Recorded in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from reconciler import sandbox
from reconciler.engine import apply_plan, make_plan
from reconciler.wiring import Workspace, state_dir


def write_config(root: Path, n: int, rate: str) -> None:
    """One AEM connection on the embedded sandbox (``rate_limit_per_s: rate`` unless ``default``)
    and ``n`` folders."""
    root.mkdir(parents=True, exist_ok=True)
    lines = ["version: 1", "connections:", "  author:", "    type: aem", "    url: sandbox://aem",
             "    username: admin", "    password: admin"]
    if rate != "default":
        lines.append(f"    rate_limit_per_s: {rate}")
    lines.append("folders:")
    lines += [f"  bench-{i:05d}: {{connection: author, title: Bench folder {i}}}" for i in range(n)]
    (root / "main.yaml").write_text("\n".join(lines) + "\n")


async def plan_and_apply(root: Path) -> dict[str, float]:
    """Plan and apply ``root``; the figures of the run (wall in seconds, counts)."""
    ws = Workspace(root, environ={})
    try:
        start = time.perf_counter()
        planned = await make_plan(ws.desired, ws.state, ws.providers)
        result = await apply_plan(planned, ws.state, ws.providers)
        wall = time.perf_counter() - start
        clients = ws.ctx.clients()
        limiters = [c.limiter for c in clients if c.limiter is not None]
        return {
            "wall": wall,
            "requests": sum(c.request_count for c in clients),
            "failed": len(result.failed),
            "done": len(result.done),
            "decreases": sum(lim.stats.decreases for lim in limiters),
            "paused": sum(lim.stats.paused_s for lim in limiters),
        }
    finally:
        await ws.aclose()
        ws.close_state()


def run_one(n: int, rps: int, rate: str) -> str:
    """One run in a fresh directory and world; its Markdown table row."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "cfg"
        write_config(root, n, rate)
        db = state_dir(root) / "sandbox.db"
        sandbox.reset_world(db)
        sandbox.set_faults(db, rate_limit_rps=rps)
        figures = asyncio.run(plan_and_apply(root))
        limited = int(sandbox.get_faults(db)["rate_limited"])
    requests = int(figures["requests"])
    wall = figures["wall"]
    return (
        f"| {n} | {rps} | {rate} | {wall:.1f} s | {requests} | {limited} ({100 * limited / requests:.2f}%) "
        f"| {int(figures['failed'])} | {n / rps:.0f} s ({wall / (n / rps):.2f}x) "
        f"| {requests / rps:.1f} s ({wall / (requests / rps):.2f}x) | {int(figures['decreases'])} "
        f"| {figures['paused']:.1f} s |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=1000, help="folders to create")
    parser.add_argument("--rps", type=int, default=20, help="the sandbox's requests-per-second limit")
    parser.add_argument("--client", nargs="+", default=["20", "default"],
                        help="client rate_limit_per_s values to try ('default': none configured)")
    args = parser.parse_args()
    print("| creates | server limit (rps) | client rate_limit_per_s | wall | requests | 429s | failed "
          "| N/limit | requests/limit | slow-downs | pause |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for rate in args.client:
        print(run_one(args.n, args.rps, rate), flush=True)


if __name__ == "__main__":
    main()
