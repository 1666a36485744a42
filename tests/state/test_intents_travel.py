"""Create intents travel with the state: ``state pull`` prints them, ``state push`` and ``state
migrate`` write them, so an apply interrupted between a create and its record still records the
object as managed after the state was moved (not adopted, which would make it undeletable)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler import sandbox
from reconciler.engine import Intent, StateStore
from reconciler.engine.pgstate import PostgresStateStore
from reconciler.engine.state import StateRecord, snapshot_from_pull
from tests.helpers import Run

FOLDER = """version: 1
connections:
  author:
    type: aem
    url: sandbox://aem
    username: admin
    password: ${env:AEM_PASSWORD:-admin}
folders:
  kept:
    connection: author
"""


def _rec(address: str) -> StateRecord:
    return StateRecord(address=address, kind="folders", remote_id=f"/content/dam/{address}", managed=True)


def _local(root: Path) -> StateStore:
    return StateStore(root / ".reconciler" / "state.db")


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_SECRET_KEY", "k")


def test_pull_prints_intents_and_push_writes_them(tmp_path: Path, cli: Run, key: None) -> None:
    src, dst = tmp_path / "a", tmp_path / "b"
    for d in (src, dst):
        d.mkdir()
        (d / "main.yaml").write_text("version: 1\n")
    st = StateStore(src / ".reconciler" / "state.db", key=b"k")
    st.put(_rec("folders.x"))
    st.put_intent(Intent("folders.y", "folders", "author:/content/dam/y"))
    st.close()
    pulled = cli("state", "pull", "-c", src)
    assert pulled.exit_code == 0, pulled.output
    doc = json.loads(pulled.stdout)
    assert doc["intents"] == [{"address": "folders.y", "kind": "folders", "natural_key": "author:/content/dam/y"}]
    (tmp_path / "s.json").write_text(pulled.output)
    pushed = cli("state", "push", tmp_path / "s.json", "-c", dst)
    assert pushed.exit_code == 0, pushed.output
    back = StateStore(dst / ".reconciler" / "state.db", key=b"k")
    assert back.intents() == {"folders.y": Intent("folders.y", "folders", "author:/content/dam/y")}
    assert back.snapshot().intents == back.intents() and list(back.records()) == ["folders.x"]
    back.close()


def test_a_pushed_state_without_intents_clears_them(tmp_path: Path) -> None:
    st = StateStore(tmp_path / "s.db", key=b"k")
    st.put_intent(Intent("folders.y", "folders", None))
    older = {"lineage": st.lineage, "serial": 5, "resources": []}  # pulled before intents were exported
    st.replace_all(snapshot_from_pull(older))
    assert st.intents() == {} and st.serial == 5
    with pytest.raises(ValueError, match=r"^intents\[0\] is malformed: intent entries hold strings"):
        snapshot_from_pull({**older, "intents": [{"address": 1, "kind": "folders"}]})
    st.close()


def test_migrate_to_postgres_keeps_intents(tmp_path: Path, pg_url: str, cli: Run, key: None) -> None:
    (tmp_path / "main.yaml").write_text("version: 1\n")
    st = StateStore(tmp_path / ".reconciler" / "state.db", key=b"k")
    st.put(_rec("folders.x"))
    st.put_intent(Intent("folders.y", "folders", "author:/content/dam/y"))
    st.close()
    out = cli("state", "migrate", "--to", pg_url, "-c", tmp_path)
    assert out.exit_code == 0, out.output
    pg = PostgresStateStore(pg_url, key=b"k")
    assert pg.intents() == {"folders.y": Intent("folders.y", "folders", "author:/content/dam/y")}
    assert pg.snapshot().intents == pg.intents()
    pg.replace_all(snapshot_from_pull({"lineage": pg.lineage, "serial": 9, "resources": []}))
    assert pg.intents() == {} and pg.records() == {}
    pg.close()


def test_an_interrupted_create_is_managed_after_the_state_was_pulled_and_pushed(
    tmp_path: Path, cli: Run
) -> None:
    work = tmp_path / "w"
    work.mkdir()
    (work / "main.yaml").write_text(FOLDER)
    assert cli("validate", work).exit_code == 0
    db = work / ".reconciler" / "sandbox.db"
    assert cli("plan", work).exit_code == 0  # makes the sandbox world
    sandbox.set_faults(db, crash_after_writes=1)  # the folder's create lands; its answer is lost
    assert cli("apply", "--auto-approve", work).exit_code == 1
    sandbox.clear_faults(db)
    st = _local(work)
    assert st.get("folders.kept") is None and "folders.kept" in st.intents()
    st.close()
    pulled = cli("state", "pull", "-c", work)
    (tmp_path / "s.json").write_text(pulled.output)
    (work / ".reconciler" / "state.db").unlink()  # the state moves; the folder stays in AEM
    assert cli("state", "push", tmp_path / "s.json", "-c", work).exit_code == 0
    applied = cli("apply", "--auto-approve", work)
    assert applied.exit_code == 0, applied.output
    doc = json.loads(cli("state", "pull", "-c", work).stdout)
    (kept,) = doc["resources"]
    assert kept["managed"] is True and doc["intents"] == []
