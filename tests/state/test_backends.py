"""The two state backends behind one interface (SQLite and a real PostgreSQL server), and the
``state pull``/``push`` commands."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.engine import LockError, StateBackend, StateError, StateRecord, StateStore, open_state
from reconciler.engine.pgstate import PostgresStateStore
from reconciler.engine.state import KEY_ENV, KEY_FILE_ENV, secret_key_from


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> StateBackend:
    if request.param == "sqlite":
        return StateStore(tmp_path / "state.db", key=b"k")
    return PostgresStateStore(request.getfixturevalue("pg_url"), key=b"k")


def rec(addr: str, **kw: object) -> StateRecord:
    return StateRecord(addr, "folders", f"/content/dam/{addr}", True, **kw)  # type: ignore[arg-type]


def test_records_serial_lineage_and_snapshot(backend: StateBackend) -> None:
    assert backend.serial == 0 and len(backend.lineage) == 36
    backend.put(rec("folders.a", outputs={"path": "/a"}, secret_hashes={"pw": "hash-of-pw-123"}))
    backend.put(rec("folders.b"))
    backend.set_check_status("folders.a", "passed")
    backend.remove("folders.b")
    snap = backend.snapshot()
    assert snap.serial == 4 == backend.serial
    assert list(snap.records) == ["folders.a"]
    got = backend.get("folders.a")
    assert got is not None and got.outputs == {"path": "/a"} and got.check_status == "passed"
    assert backend.get("folders.b") is None
    assert "hash-of-pw-123" not in json.dumps(backend.dump())
    backend.close()


def test_lock_names_holder_and_waits(backend: StateBackend, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    other = (
        StateStore(tmp_path / "state.db", key=b"k") if isinstance(backend, StateStore)
        else PostgresStateStore(backend._url)  # type: ignore[attr-defined]
    )
    lock_id = backend.acquire_lock("apply")
    info = other.lock_info()
    assert info is not None and info.lock_id == lock_id and info.operation == "apply"
    with pytest.raises(LockError, match=r"locked by .*apply.*waited 0.3s"):
        other.acquire_lock("plan", timeout_s=0.3)
    backend.release_lock(lock_id)
    assert other.lock_info() is None
    with other.locked("plan"):
        assert backend.lock_info() is not None
    backend.close()
    other.close()


def test_workspaces_are_independent_states(pg_url: str) -> None:
    a, b = PostgresStateStore(pg_url, workspace="a", key=b"k"), PostgresStateStore(pg_url, workspace="b", key=b"k")
    a.put(rec("folders.x"))
    assert b.records() == {} and a.lineage != b.lineage
    with a.locked("apply"):
        b.acquire_lock("apply")  # another workspace's lock is another lock
    a.close()
    b.close()


def test_wrong_key_refused_and_postgres_needs_a_key(pg_url: str, tmp_path: Path) -> None:
    PostgresStateStore(pg_url, key=b"right").close()
    with pytest.raises(StateError, match="secret-hash key does not match"):
        PostgresStateStore(pg_url, key=b"wrong")
    with pytest.raises(StateError, match="RECONCILER_SECRET_KEY"):
        open_state(pg_url, root=tmp_path, environ={})
    st = open_state(pg_url, root=tmp_path, environ={"RECONCILER_SECRET_KEY": "right"})
    assert st.identity.endswith("#default") and "postgres@" not in st.identity
    st.close()


def test_pull_push_refusals(pg_url: str, tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "main.yaml").write_text("version: 1\n")
    monkeypatch.setenv("RECONCILER_BACKEND", pg_url)
    monkeypatch.setenv("RECONCILER_SECRET_KEY", "k")
    st = PostgresStateStore(pg_url, key=b"k")
    st.put(rec("folders.a"))
    pulled = cli("state", "pull", "-c", tmp_path)
    assert pulled.exit_code == 0, pulled.output
    doc = json.loads(pulled.stdout)
    assert doc["serial"] == 1 and doc["resources"][0]["address"] == "folders.a"
    st.put(rec("folders.b"))  # the state moved on: the pulled copy is older
    (tmp_path / "old.json").write_text(json.dumps(doc))
    older = cli("state", "push", tmp_path / "old.json", "-c", tmp_path)
    assert older.exit_code == 1 and "newer (serial 2 > 1)" in older.output
    other = dict(doc, lineage="00000000-0000-0000-0000-000000000000", serial=9)
    (tmp_path / "other.json").write_text(json.dumps(other))
    assert "another lineage" in cli("state", "push", tmp_path / "other.json", "-c", tmp_path).output
    forced = cli("state", "push", tmp_path / "old.json", "-c", tmp_path, "--force")
    assert forced.exit_code == 0, forced.output
    assert list(st.records()) == ["folders.a"] and st.serial == 3
    st.close()


def test_backend_block_in_the_configuration(pg_url: str, tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "main.yaml").write_text("version: 1\nbackend:\n  url: ${env:STATE_DB}\n  workspace: prod\n")
    monkeypatch.setenv("STATE_DB", pg_url)
    monkeypatch.setenv("RECONCILER_SECRET_KEY", "k")
    assert cli("apply", tmp_path, "--auto-approve").exit_code == 0
    doc = json.loads(cli("state", "pull", "-c", tmp_path).stdout)
    assert doc["backend"].endswith("#prod") and not (tmp_path / ".reconciler" / "state.db").exists()


def test_thousand_writes_fast_on_both(backend: StateBackend) -> None:
    import time

    start = time.perf_counter()
    for i in range(1000):
        backend.put(rec(f"folders.f{i}"))
    assert time.perf_counter() - start < 20  # benchmarks/RESULTS.md: about 0.1 s on the dev box
    assert backend.serial == 1000
    backend.close()


def test_offline_read_hands_its_records_to_the_next_identical_read_only(tmp_path: Path) -> None:
    """A plan decodes the state's records once: the offline rule's read, then the plan's under the
    lock, reuse the decoded records only while the rows are exactly the same."""
    from reconciler.engine.state import read_records_offline

    store = StateStore(tmp_path / "state.db", key=b"k")
    store.put(rec("folders.a", outputs={"path": "/a"}, attributes={"title": "A"}))
    offline = read_records_offline(tmp_path / "state.db")
    assert offline is not None and offline["folders.a"].attributes == {"title": "A"}
    handed = store.records()
    assert handed["folders.a"] is offline["folders.a"]  # decoded once
    assert store.records()["folders.a"] is not offline["folders.a"]  # handed over once only

    offline = read_records_offline(tmp_path / "state.db")
    assert offline is not None
    store.put(rec("folders.a", outputs={"path": "/a"}, attributes={"title": "B"}))  # a write in between
    fresh = store.records()
    assert fresh["folders.a"] is not offline["folders.a"]
    assert fresh["folders.a"].attributes == {"title": "B"} and offline["folders.a"].attributes == {"title": "A"}
    store.close()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(min_size=1, max_size=40))
def test_a_key_file_gives_the_same_key_to_the_local_default_and_to_the_key_file_variable(
    tmp_path: Path, raw: bytes
) -> None:
    """The local ``secret.key`` shared as RECONCILER_SECRET_KEY_FILE opens the state it keyed, for any
    file bytes: including an older binary key whose first or last byte is a whitespace byte."""
    work = Path(tempfile.mkdtemp(dir=tmp_path))
    (work / "secret.key").write_bytes(raw)
    try:
        local = StateStore(work / "state.db")
    except StateError as exc:  # only a file of whitespace alone holds no key
        assert raw.decode("utf-8", "replace").strip() == "" and "is empty" in str(exc)
        return
    local.close()
    shared = StateStore(work / "state.db", key=secret_key_from({KEY_FILE_ENV: str(work / "secret.key")}))
    assert shared.secret_hash("folders.a", "pw", "x") == local.secret_hash("folders.a", "pw", "x")
    shared.close()


def test_a_new_local_key_is_text_that_also_works_as_the_key_variable(tmp_path: Path) -> None:
    StateStore(tmp_path / "state.db").close()
    text = (tmp_path / "secret.key").read_text()
    assert len(text.strip()) == 64 and text.strip() == text.strip().lower() and int(text, 16) >= 0
    again = StateStore(tmp_path / "state.db", key=secret_key_from({KEY_ENV: text}))  # as `$(cat secret.key)`
    assert again.stored_key_check() is not None
    again.close()
    with pytest.raises(StateError, match="does not match"):
        StateStore(tmp_path / "state.db", key=b"another key")


def test_a_state_written_with_a_binary_key_read_stripped_still_opens_with_the_file(tmp_path: Path) -> None:
    """Before 2026-12, RECONCILER_SECRET_KEY_FILE stripped whitespace bytes from a binary key: a team
    state keyed that way still opens with the same file, and keeps its hashes."""
    raw = b"\n\x9f" + bytes(range(128, 158)) + b" "
    key_file = tmp_path / "secret.key"
    key_file.write_bytes(raw)
    old = StateStore(tmp_path / "team.db", key=raw.strip())  # as the variable read it then
    old_hash = old.secret_hash("folders.a", "pw", "x")
    old.close()
    now = StateStore(tmp_path / "team.db", key=secret_key_from({KEY_FILE_ENV: str(key_file)}))
    assert now.secret_hash("folders.a", "pw", "x") == old_hash
    now.close()
    with pytest.raises(StateError, match="does not match"):
        StateStore(tmp_path / "team.db", key=b"\x9f another binary key")
