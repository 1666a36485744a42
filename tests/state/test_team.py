"""Team use on a real PostgreSQL server (the ``pg_url`` fixture; never a mock): two runner
checkouts sharing one database, concurrent applies, a killed lock holder, SQLite -> PostgreSQL.

The services are the sandbox served over real HTTP (``served``), so both checkouts see one world.
Each runner is a separate ``python -m reconciler.cli`` process.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import QUICKSTART, ROOT, Served

KEY = "team-shared-secret-hash-key-0123456789"


def checkout(base: Path, served: Served) -> Path:
    """A fresh "checkout" at ``base``: infra/main.yaml = the quickstart on the served sandbox."""
    text = (QUICKSTART / "main.yaml").read_text()
    for service in ("aem", "ims", "console"):
        text = text.replace(f"sandbox://{service}", served.url(service))
    text = text.replace("sandbox://umapi", f"{served.url('umapi')}/v2/usermanagement")
    (base / "infra").mkdir(parents=True)
    (base / "infra" / "main.yaml").write_text(text)
    return base


def env_for(pg_url: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECONCILER_")}
    env.update(NO_COLOR="1", PYTHONPATH=str(ROOT), RECONCILER_SECRET_KEY=KEY)
    if pg_url:
        env["RECONCILER_BACKEND"] = pg_url
    env.update(extra)
    return env


def cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "reconciler.cli", *args]


def run(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd(*args), cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def projects(served: Served) -> list[str]:
    with sqlite3.connect(served.db) as db:
        return [r[0] for r in db.execute("SELECT name FROM projects ORDER BY name")]


def test_runner_a_plans_runner_b_applies_then_a_sees_no_changes(tmp_path: Path, served: Served, pg_url: str) -> None:
    a, b = checkout(tmp_path / "a", served), checkout(tmp_path / "b", served)
    env = env_for(pg_url)
    planned = run(a, env, "plan", "infra", "-out", "plan.json")
    assert planned.returncode == 0, planned.stderr
    doc = json.loads((a / "plan.json").read_text())
    assert doc["config_path"] == "infra" and str(tmp_path) not in json.dumps({k: v for k, v in doc.items() if k != "plan"})
    assert doc["backend"].startswith("postgresql://127.0.0.1:") and "postgres@" not in doc["backend"]

    (b / "plan.json").write_text((a / "plan.json").read_text())  # the artifact, downloaded on runner B
    applied = run(b, env, "apply", "plan.json")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete!" in applied.stdout
    assert not (a / "infra" / ".reconciler").exists() and not (b / "infra" / ".reconciler" / "state.db").exists()

    again = run(a, env, "plan", "infra", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes" in again.stdout


def test_two_applies_at_once_one_waits_nothing_created_twice(tmp_path: Path, served: Served, pg_url: str) -> None:
    a, b = checkout(tmp_path / "a", served), checkout(tmp_path / "b", served)
    env = env_for(pg_url)
    before = projects(served)
    procs = [
        subprocess.Popen(cmd("apply", "infra", "--auto-approve", "-lock-timeout=120s"), cwd=d, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for d in (a, b)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    codes = [p.returncode for p in procs]
    assert codes == [0, 0], outs
    # exactly one did the work: the other, once it got the lock, found nothing to do
    did_work = [o for o, _ in outs if "Apply complete!" in o and "No changes" not in o]
    assert len(did_work) == 1, outs
    after = projects(served)
    assert len(after) == len(set(after)) and len(after) == len(before) + 1
    assert "No changes" in run(a, env, "plan", "infra").stdout


def test_second_apply_without_wait_is_refused_naming_the_holder(tmp_path: Path, served: Served, pg_url: str) -> None:
    a = checkout(tmp_path / "a", served)
    env = env_for(pg_url)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, pg_url], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        refused = run(a, env, "apply", "infra", "--auto-approve")
        assert refused.returncode == 1
        assert "is locked by" in refused.stderr and "apply" in refused.stderr and f"pid {holder.pid}" in refused.stderr
        plan_refused = run(a, env, "plan", "infra", "-lock-timeout=1s")
        assert plan_refused.returncode == 1 and "waited 1s" in plan_refused.stderr
        assert run(a, env, "plan", "infra", "-lock=false").returncode == 0
    finally:
        holder.kill()
        holder.wait()


HOLD_LOCK = """
import sys, time
from reconciler.engine.pgstate import PostgresStateStore
st = PostgresStateStore(sys.argv[1])
st.acquire_lock("apply")
print("locked", flush=True)
time.sleep(600)
"""


def test_kill_9_of_the_lock_holder_frees_the_lock(tmp_path: Path, served: Served, pg_url: str) -> None:
    a = checkout(tmp_path / "a", served)
    env = env_for(pg_url)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, pg_url], env=env, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    assert run(a, env, "apply", "infra", "--auto-approve").returncode == 1  # held
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    deadline = time.monotonic() + 30
    applied = run(a, env, "apply", "infra", "--auto-approve", "-lock-timeout=30s")  # no `state unlock`
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete!" in applied.stdout and time.monotonic() < deadline + 300


def test_state_migrate_sqlite_to_postgresql_then_no_changes(tmp_path: Path, served: Served, pg_url: str) -> None:
    a = checkout(tmp_path / "a", served)
    local = env_for(None)
    del local["RECONCILER_SECRET_KEY"]  # the local default: .reconciler/secret.key
    assert run(a, local, "apply", "infra", "--auto-approve").returncode == 0
    pulled_local = run(a, local, "state", "pull", "-c", "infra")
    assert pulled_local.returncode == 0 and pulled_local.stdout.startswith("{"), pulled_local.stdout + pulled_local.stderr
    pulled = json.loads(pulled_local.stdout)
    migrated = run(a, local, "state", "migrate", "-c", "infra", "--to", pg_url)
    assert migrated.returncode == 0, migrated.stderr
    assert f"serial {pulled['serial']}" in migrated.stdout

    key_file = a / "infra" / ".reconciler" / "secret.key"
    shared = env_for(pg_url, RECONCILER_SECRET_KEY_FILE=str(key_file))
    del shared["RECONCILER_SECRET_KEY"]
    b = checkout(tmp_path / "b", served)  # another checkout: only the database and the key are shared
    pulled_pg = run(b, shared, "state", "pull", "-c", "infra")
    assert pulled_pg.returncode == 0 and pulled_pg.stdout.startswith("{"), pulled_pg.stdout + pulled_pg.stderr
    on_pg = json.loads(pulled_pg.stdout)
    assert (on_pg["lineage"], on_pg["serial"]) == (pulled["lineage"], pulled["serial"])
    plan = run(b, shared, "plan", "infra", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "No changes" in plan.stdout

    wrong = run(b, env_for(pg_url), "plan", "infra")  # another key: refused, not "every secret changed"
    assert wrong.returncode == 1 and "secret-hash key does not match" in wrong.stderr
    missing = env_for(pg_url)
    del missing["RECONCILER_SECRET_KEY"]
    nokey = run(b, missing, "plan", "infra")
    assert nokey.returncode == 1 and "RECONCILER_SECRET_KEY" in nokey.stderr
