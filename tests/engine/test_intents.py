"""Ownership survives a crash (issue 10 item 7): create intents, on both state backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.engine import Action, Intent, Observed, StateStore, forget_address
from reconciler.engine.state import StateBackend, StateRecord

from .test_engine import Things, World, res, run_apply, run_plan


class CrashAfterCreate(Things):
    """Creates the object, then dies before the engine can write its record."""

    async def create(self, address: str, spec: dict[str, Any]) -> Observed:
        await super().create(address, spec)
        raise RuntimeError("connection dropped after the create")


def test_an_interrupted_create_is_recorded_as_managed_on_the_rerun(tmp_path: Path) -> None:
    import asyncio

    from reconciler.engine import apply_plan

    state, world = StateStore(tmp_path / "s.db"), World()
    result = run_plan([res("x")], state, world)
    out = asyncio.run(apply_plan(result, state, {"things": CrashAfterCreate(world)}))
    assert "things.x" in out.failed and "x" in world.objects and state.get("things.x") is None
    assert state.intents() == {"things.x": Intent("things.x", "things", None)}
    again = run_plan([res("x")], state, world)
    (change,) = again.plan.changes
    assert change.action == Action.ADOPT and change.owned and "interrupted apply" in change.reason
    run_apply(again, state, world)
    rec = state.get("things.x")
    assert rec is not None and rec.managed and state.intents() == {}
    removal = run_plan([], state, world)
    assert [c.action for c in removal.plan.changes] == [Action.DELETE]  # it is ours: deleted, not forgotten


def test_an_object_found_without_an_intent_is_adopted_unmanaged(tmp_path: Path) -> None:
    state, world = StateStore(tmp_path / "s.db"), World()
    world.objects["x"] = {"id": "id-x", "attrs": {"name": "x"}}
    state.put_intent(Intent("things.y", "things", None))  # another address's intent does not count
    result = run_plan([res("x")], state, world)
    assert not result.plan.changes[0].owned
    run_apply(result, state, world)
    rec = state.get("things.x")
    assert rec is not None and not rec.managed


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(tmp_path: Path, request: pytest.FixtureRequest) -> StateBackend:
    if request.param == "sqlite":
        return StateStore(tmp_path / "s.db")
    from reconciler.engine.pgstate import PostgresStateStore

    return PostgresStateStore(request.getfixturevalue("pg_url"), key=b"k")


def test_intents_on_both_backends(backend: StateBackend) -> None:
    serial = backend.serial
    backend.put_intent(Intent("folders.a", "folders", "author:/content/dam/a"))
    backend.put_intent(Intent("folders.a", "folders", "author:/content/dam/a2"))  # replaced
    backend.put_intent(Intent("users.b", "users", None))
    assert backend.intents() == {
        "folders.a": Intent("folders.a", "folders", "author:/content/dam/a2"),
        "users.b": Intent("users.b", "users", None),
    }
    assert backend.serial == serial and backend.records() == {}  # intents are not records
    backend.clear_intent("folders.a")
    assert set(backend.intents()) == {"users.b"}
    backend.put(StateRecord("users.b", "users", "rid", True))
    forget_address(backend, "users.b")
    assert backend.intents() == {}
    backend.close()
