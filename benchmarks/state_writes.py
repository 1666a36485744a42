"""Benchmark: 1,000 per-action state record writes (``StateBackend.put``) on each backend.

Usage: ``python benchmarks/state_writes.py [N]`` (default 1000). SQLite: a fresh file in a
temporary directory (WAL, synchronous=NORMAL, as the tool runs). PostgreSQL: a throw-away local
cluster started by ``scripts/pg_throwaway.py`` (``fsync`` off there, so this measures the round
trip and the statement, not the disk), or the server named by ``RECONCILER_BACKEND``. Each write
is what the applier does after one action: one record (a realistic one: outputs, attributes, two
secret hashes, dependencies) upserted and the serial incremented, atomically. Results are recorded
in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from reconciler.engine import StateBackend, StateRecord, StateStore  # noqa: E402
from reconciler.engine.pgstate import PostgresStateStore  # noqa: E402


def record(i: int) -> StateRecord:
    return StateRecord(
        address=f"folders.bench-{i:05d}",
        kind="folders",
        remote_id=f"/content/dam/bench/bench-{i:05d}",
        managed=True,
        secret_hashes={"password": "ab" * 32, "token": "cd" * 32},
        outputs={"path": f"/content/dam/bench/bench-{i:05d}", "uuid": f"{i:032x}"},
        attributes={"title": f"Bench folder {i}", "ordered": True, "metadata_schema": "/conf/global/dam"},
        dependencies=["connections.author"],
    )


def measure(state: StateBackend, n: int) -> float:
    recs = [record(i) for i in range(n)]
    start = time.perf_counter()
    for r in recs:
        state.put(r)
    elapsed = time.perf_counter() - start
    assert state.serial == n and len(state.records()) == n
    return elapsed


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = StateStore(Path(tmp) / "state.db", key=b"bench")
        t = measure(sqlite, n)
        print(f"sqlite      {n} writes: {t:.3f} s ({t / n * 1000:.3f} ms per write)")
        sqlite.close()
    url = os.environ.get("RECONCILER_BACKEND")
    cluster = None
    if not url:
        import pg_throwaway

        cluster = pg_throwaway.start()
        url = cluster.url
    try:
        pg = PostgresStateStore(url, workspace=f"bench-{os.getpid()}-{time.time_ns()}", key=b"bench")
        t = measure(pg, n)
        print(f"postgresql  {n} writes: {t:.3f} s ({t / n * 1000:.3f} ms per write)")
        pg.close()
    finally:
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
