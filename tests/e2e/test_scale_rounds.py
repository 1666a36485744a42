"""Scale, by counts (never wall times): a no-op plan of many kinds costs a fixed number of requests
in at most 3 sequential rounds whatever the number of resources, and apply grows linearly.

Rounds are counted by ``reconciler.clients.rounds`` with a small delay inside every request, so
that requests started together are in flight together (the count then depends on the order of
the requests, not on how fast the machine is).
"""

from __future__ import annotations

import asyncio
import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

from reconciler.clients.rounds import RoundCounter, counting_transport_for
from reconciler.engine import apply_plan, make_plan
from reconciler.sandbox.workfront.seed import insert_object
from reconciler.sandbox.world import World
from reconciler.wiring import Workspace

ROOT = Path(__file__).resolve().parents[2]
#: long beside the CPU time between two requests started together, even on a loaded 2-core CI
#: machine (at 0.02 s a busy machine started a first-round read after another had returned: depth 2)
DELAY_S = 0.25


def _gen_config() -> ModuleType:
    """benchmarks/gen_config.py: the 11-kind layout of the scale benchmark."""
    spec = importlib.util.spec_from_file_location("gen_config", ROOT / "benchmarks" / "gen_config.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _many_kinds(root: Path, n: int) -> Path:
    """gen_config's configuration of ``n`` resources, with the Workfront projects it names."""
    gen = _gen_config()
    gen.write_config(n, root)
    (root / ".reconciler").mkdir(exist_ok=True)
    links = gen.counts(n)["workfront_linked_folders"]
    with World(root / ".reconciler" / "sandbox.db").tx() as conn:
        for i in range(-(-links // 50)):
            insert_object(conn, "PROJ", {"name": f"Project {i:03d}", "status": "CUR"})
    return root


async def _plan_and_apply(root: Path, *, apply: bool, delay_s: float = 0.0) -> tuple[RoundCounter, RoundCounter, int]:
    """Plan (and apply) ``root``; returns the counters of the plan and of the apply, and how many
    changes the plan had."""
    ws = Workspace(root, environ={})
    plan_count, apply_count = RoundCounter(), RoundCounter()
    active = [plan_count]

    class Switch(RoundCounter):
        def started(self, method: str = "", host: str = "", path: str = "") -> int:
            return active[0].started(method, host, path)

        def finished(self, depth: int) -> None:
            active[0].finished(depth)

    ws.ctx.transport_for = counting_transport_for(ws.ctx.transport_for, Switch(), delay_s=delay_s)
    try:
        planned = await make_plan(ws.desired, ws.state, ws.providers, config_digest=ws.loaded.digest)
        if apply:
            active[0] = apply_count
            result = await apply_plan(planned, ws.state, ws.providers)
            assert result.ok, (result.failed, result.skipped)
        return plan_count, apply_count, len(planned.plan.changes)
    finally:
        await ws.aclose()
        ws.close_state()


def _noop_plan(tmp_path: Path, n: int) -> RoundCounter:
    root = _many_kinds(tmp_path / f"n{n}", n)
    asyncio.run(_plan_and_apply(root, apply=True))
    counted, _, changes = asyncio.run(_plan_and_apply(root, apply=False, delay_s=DELAY_S))
    assert changes == 0, "the plan after apply must be a no-op"
    return counted


def test_a_no_op_plan_of_eleven_kinds_makes_a_fixed_number_of_requests_in_at_most_three_rounds(
    tmp_path: Path,
) -> None:
    small, large = _noop_plan(tmp_path, 100), _noop_plan(tmp_path, 250)
    assert small.requests == large.requests, (small.log, large.log)
    # one bulk read per kind and service (folders and agents listed once, the AEM admin check once)
    # plus one IMS token for the Console and Workfront and one for the User Management API
    assert large.requests <= 18, large.log
    tokens = [e for e in large.log if e[3] == "/ims/token/v3"]
    assert len(tokens) == 2, tokens
    # round 1: the tokens and every AEM read; round 2: what needs a token (3 when one token comes
    # back after the other token's reads did). Nothing waits for a wave of the dependency graph.
    assert large.rounds <= 3, large.log
    assert large.by_round[1] >= 8, large.log  # every AEM read and both tokens go out at once
    assert not [e for e in large.log if e[3].endswith(".1.json")], "no per-object read"


def _folders_and_shares(quickstart: Path, root: Path, n: int) -> Path:
    """The quickstart plus ``n`` folders under one new parent and an Experience Cloud share of each."""
    shutil.copytree(quickstart, root, ignore=shutil.ignore_patterns(".reconciler"))
    lines = ["version: 1", "folders:"]
    lines += [f"  b{i:03d}: {{connection: author, path: /content/dam/bench/b{i:03d}}}" for i in range(n)]
    lines += ["shares:"]
    lines += [f"  s{i:03d}: {{folder: b{i:03d}, target: experience_cloud, cloud_config: assets-sync}}" for i in range(n)]
    (root / "bench.yaml").write_text("\n".join(lines) + "\n")
    return root


def test_apply_of_folders_and_shares_costs_the_same_requests_per_create_at_any_size(
    quickstart: Path, tmp_path: Path
) -> None:
    counts = {}
    for n in (10, 20, 40):
        root = _folders_and_shares(quickstart, tmp_path / f"n{n}", n)
        _, applied, changes = asyncio.run(_plan_and_apply(root, apply=True))
        counts[n] = applied.requests
        assert changes >= 2 * n
    assert counts[40] - counts[20] == 2 * (counts[20] - counts[10]), counts
    # 10 more folders and 10 more shares: 20 creates, one request each. A folder: its POST (its
    # parent is checked and made once per apply, its look-up is one listing per apply); a share:
    # its POST (its look-up is one listing of the AEM's shares per apply, no folder query)
    assert counts[20] - counts[10] == 20, counts
