"""Benchmark: validate, first plan, apply and no-op plan of N resources as separate processes (issue 12).

Usage::

    python benchmarks/bench_scale.py 1000 5000 10000            # the whole run
    python benchmarks/bench_scale.py 1000 5000 10000 --skip-apply-above 5000
    python benchmarks/bench_scale.py 1000 --latency-ms 100 --json out.json --tmpdir /dev/shm

For each N it writes the configuration of :mod:`gen_config` (11 kinds; for N=10,000: 7,483 folders,
1,000 Workfront linked folders, 600 metadata mappings, 500 shares, 402 replication agents, ...)
into a temporary directory, adds the Workfront projects the linked folders name to the embedded
sandbox's world, and runs, each as its own process on the embedded sandbox (``sandbox://`` URLs):

=============  ======================================================================================
``validate``   ``reconciler validate DIR``
``plan``       ``reconciler plan DIR`` on an empty state (everything to create), at 0 ms and at the
               injected latency
``apply``      ``reconciler apply -auto-approve DIR`` at 0 ms (skipped above ``--skip-apply-above``,
               and with it the no-op plans and the baseline, which need the applied state)
``noop``       ``reconciler plan -detailed-exitcode DIR`` after the apply (must exit 0: no changes),
               at 0 ms and at the injected latency
``baseline``   a per-resource refresh, as Terraform refreshes: after loading the configuration, one
               GET of one object per resource in state, 10 at a time (``_baseline``), at 0 ms and at
               the injected latency
=============  ======================================================================================

Latency is the sandbox's own fault (``set_faults(db, latency_ms=...)``: a sleep before every answer).
Each ``reconciler`` process runs through ``benchmarks/counted_cli.py`` (the same ``reconciler.cli``
entry point, plus request and round counting; see :mod:`reconciler.clients.rounds`). Recorded per
process: wall seconds, CPU seconds (user + system, from ``wait4``), peak RSS (MiB), requests and
rounds (sequential request rounds). At the end: the baseline ratio (baseline wall / no-op plan wall,
same latency) and a growth fit per step (``wall = a + b N`` by least squares, and the exponent ``k``
of ``wall ~ N^k`` between the smallest and largest N). Tables are printed as Markdown for
benchmarks/RESULTS.md; ``--json FILE`` also writes the raw rows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from gen_config import counts, write_config  # noqa: E402

LINKS_PER_PROJECT = 50  # gen_config names "Project 000", "Project 001", ... one per 50 links
BASELINE_CONCURRENCY = 10


@dataclass
class Row:
    """One measured process."""

    n: int
    step: str
    latency_ms: int
    wall_s: float
    cpu_s: float
    rss_mib: float
    exit: int
    requests: int | None = None
    rounds: int | None = None
    by_service: dict[str, int] = field(default_factory=dict)


def _run(argv: list[str], cwd: Path, counted: bool) -> tuple[float, float, float, int, dict[str, Any], str]:
    """Run ``argv`` (through counted_cli.py when ``counted``): (wall s, CPU s, peak RSS MiB, exit code,
    counts, output)."""
    counts_file = cwd / "counts.json"
    counts_file.unlink(missing_ok=True)
    env = dict(os.environ, BENCH_COUNTS=str(counts_file), NO_COLOR="1")
    exe = (
        [sys.executable, str(HERE / "counted_cli.py")]
        if counted
        else [str(Path(sys.executable).with_name("reconciler"))]
    )
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(exe + argv, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        text = out.read()
    got = json.loads(counts_file.read_text()) if counts_file.exists() else {}
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), got, text


def _latency(db: Path, ms: int) -> None:
    from reconciler.sandbox.world import set_faults

    set_faults(db, latency_ms=ms)


def _add_projects(db: Path, n: int) -> None:
    """The Workfront projects the linked folders of gen_config name, in the sandbox's world."""
    from reconciler.sandbox.workfront.seed import insert_object
    from reconciler.sandbox.world import World

    links = counts(n)["workfront_linked_folders"]
    with World(db).tx() as conn:
        for i in range(math.ceil(links / LINKS_PER_PROJECT)):
            insert_object(conn, "PROJ", {"name": f"Project {i:03d}", "status": "CUR"})


def measure(n: int, latency_ms: int, skip_apply: bool, tmpdir: Path | None = None) -> list[Row]:
    """Every step for one N (see the module docstring), in a temporary directory under ``tmpdir``."""
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(dir=tmpdir) as tmp:
        cfg = Path(tmp) / "cfg"
        write_config(n, cfg)
        (cfg / ".reconciler").mkdir(exist_ok=True)
        db = cfg / ".reconciler" / "sandbox.db"
        _add_projects(db, n)

        def step(name: str, argv: list[str], ms: int, *, counted: bool = True, ok: tuple[int, ...] = (0,)) -> None:
            _latency(db, ms)
            wall, cpu, rss, code, got, text = _run(argv, Path(tmp), counted)
            if code not in ok:
                raise SystemExit(f"N={n} {name} at {ms} ms exited {code}:\n{text[-3000:]}")
            row = Row(
                n, name, ms, wall, cpu, rss, code, got.get("requests"), got.get("rounds"), got.get("by_service", {})
            )
            rows.append(row)
            print(f"  N={n:>6} {name:<9} {ms:>4} ms  wall {wall:7.2f} s  cpu {cpu:7.2f} s  rss {rss:5.0f} MiB"
                  f"  requests {row.requests}  rounds {row.rounds}", file=sys.stderr, flush=True)  # fmt: skip

        step("validate", ["validate", str(cfg)], 0, counted=False)
        step("plan", ["plan", str(cfg)], 0)
        step("plan", ["plan", str(cfg)], latency_ms)
        if not skip_apply:
            step("apply", ["apply", "-auto-approve", str(cfg)], 0)
            step("noop", ["plan", "-detailed-exitcode", str(cfg)], 0)
            step("noop", ["plan", "-detailed-exitcode", str(cfg)], latency_ms)
            baseline = [sys.executable, str(HERE / "bench_scale.py"), "--baseline", str(cfg)]
            for ms in (0, latency_ms):
                _latency(db, ms)
                wall, cpu, rss, code, got, text = _run_py(baseline, Path(tmp))
                if code != 0:
                    raise SystemExit(f"N={n} baseline at {ms} ms exited {code}:\n{text[-3000:]}")
                rows.append(Row(n, "baseline", ms, wall, cpu, rss, code, got.get("requests"), got.get("rounds")))
                print(f"  N={n:>6} baseline  {ms:>4} ms  wall {wall:7.2f} s  requests {got.get('requests')}",
                      file=sys.stderr, flush=True)  # fmt: skip
        _latency(db, 0)
    return rows


def _compile_bytecode() -> None:
    """Compile the package's modules to bytecode first, as ``pip install`` does: with
    ``PYTHONDONTWRITEBYTECODE`` set (as on the project's machine) an editable install would
    otherwise compile its ~100 modules from source in every measured process (about 0.2 s each)."""
    import compileall

    import reconciler

    compileall.compile_dir(str(Path(reconciler.__file__).parent), quiet=1)


def _run_py(argv: list[str], cwd: Path) -> tuple[float, float, float, int, dict[str, Any], str]:
    """``argv`` (a python command line writing its counts to ``BENCH_COUNTS``), measured as ``_run``."""
    counts_file = cwd / "counts.json"
    counts_file.unlink(missing_ok=True)
    env = dict(os.environ, BENCH_COUNTS=str(counts_file))
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        text = out.read()
    got = json.loads(counts_file.read_text()) if counts_file.exists() else {}
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), got, text


async def _baseline(cfg: Path) -> dict[str, int]:
    """The per-resource refresh: load the configuration and the state, then one GET of one object
    per resource in state, ``BASELINE_CONCURRENCY`` at a time (an AEM node for the kinds whose
    remote id is a JCR path, the ``DOCFDR`` for a Workfront linked folder, else the DAM root node:
    each one request, the cost model of a Terraform refresh)."""
    from reconciler.clients.rounds import RoundCounter, counting_transport_for
    from reconciler.wiring import Workspace

    ws = Workspace(cfg)
    counter = RoundCounter()
    ws.ctx.transport_for = counting_transport_for(ws.ctx.transport_for, counter)
    sem = asyncio.Semaphore(BASELINE_CONCURRENCY)
    aem = next(name for name, c in ws.loaded.connections.items() if getattr(c, "type", "") == "aem")
    wf = next((name for name, c in ws.loaded.connections.items() if getattr(c, "type", "") == "workfront"), None)

    async def one(kind: str, remote_id: str) -> None:
        async with sem:
            if remote_id.startswith("/"):
                await ws.ctx.aem(aem).get_json(remote_id.split("#", 1)[0])
            elif kind == "workfront_linked_folders" and wf is not None:
                await ws.ctx.workfront(wf).get("DOCFDR", remote_id, fields=["ID"])
            else:
                await ws.ctx.aem(aem).get_json("/content/dam")

    try:
        records = ws.state.records()
        await asyncio.gather(*(one(r.kind, r.remote_id) for r in records.values()))
    finally:
        await ws.aclose()
        ws.close_state()
    return {"requests": counter.requests, "rounds": counter.rounds}


def _fit(points: list[tuple[int, float]]) -> str:
    """``a + b N`` (least squares, b per 1,000) and the exponent between the smallest and largest N."""
    if len(points) < 2:
        return "-"
    xs, ys = [p[0] / 1000 for p in points], [p[1] for p in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    a = my - b * mx
    (x0, y0), (x1, y1) = min(points), max(points)
    k = math.log(y1 / y0) / math.log(x1 / x0) if y0 > 0 and y1 > 0 else float("nan")
    return f"{a:.2f} s + {b:.2f} s per 1,000; k = {k:.2f}"


def _or_dash(value: int | None) -> str:
    return "-" if value is None else str(value)


def report(rows: list[Row]) -> str:
    """The Markdown tables: one row per process, the baseline ratios, the growth fits."""
    lines = [
        "| N | step | latency | wall | CPU | peak RSS | requests | requests per resource | rounds |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        per = f"{r.requests / r.n:.4f}" if r.requests is not None else "-"
        lines.append(
            f"| {r.n:,} | {r.step} | {r.latency_ms} ms | {r.wall_s:.2f} s | {r.cpu_s:.2f} s | {r.rss_mib:.0f} MiB"
            f" | {_or_dash(r.requests)} | {per} | {_or_dash(r.rounds)} |"
        )
    lines += [
        "",
        "| N | latency | no-op plan wall | per-resource refresh wall | baseline / no-op |",
        "|---:|---:|---:|---:|---:|",
    ]
    for n in sorted({r.n for r in rows}):
        for ms in sorted({r.latency_ms for r in rows if r.n == n and r.step == "noop"}):
            noop = next(r for r in rows if (r.n, r.step, r.latency_ms) == (n, "noop", ms))
            base = next((r for r in rows if (r.n, r.step, r.latency_ms) == (n, "baseline", ms)), None)
            if base is not None:
                lines.append(
                    f"| {n:,} | {ms} ms | {noop.wall_s:.2f} s | {base.wall_s:.2f} s"
                    f" | {base.wall_s / noop.wall_s:.1f}x |"
                )
    lines += ["", "| step | latency | wall growth | CPU growth |", "|---|---:|---|---|"]
    for step, ms in sorted({(r.step, r.latency_ms) for r in rows}):
        sel = sorted((r.n, r) for r in rows if (r.step, r.latency_ms) == (step, ms))
        wall = _fit([(n, r.wall_s) for n, r in sel])
        cpu = _fit([(n, r.cpu_s) for n, r in sel])
        lines.append(f"| {step} | {ms} ms | {wall} | {cpu} |")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    if argv[:1] == ["--baseline"]:  # the baseline's own process (see measure)
        got = asyncio.run(_baseline(Path(argv[1])))
        Path(os.environ["BENCH_COUNTS"]).write_text(json.dumps(got))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 5000, 10000], help="the Ns")
    parser.add_argument("--latency-ms", type=int, default=100, help="injected latency per request (default 100)")
    parser.add_argument(
        "--skip-apply-above", type=int, default=None, metavar="N",
        help="no apply (nor no-op plan, nor baseline) above N resources, to bound the run's time",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write the rows as JSON")
    parser.add_argument(
        "--tmpdir", type=Path, default=None, metavar="DIR",
        help="where the configuration, state and sandbox world go (default: the system's; /dev/shm keeps"
        " the sandbox's per-transaction disk syncs out of the figures)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    _compile_bytecode()
    rows: list[Row] = []
    for n in args.sizes:
        skip = args.skip_apply_above is not None and n > args.skip_apply_above
        rows += measure(n, args.latency_ms, skip, args.tmpdir)
    print(report(rows))
    if args.json is not None:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
