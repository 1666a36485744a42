"""Moves (issue 10 item 1): a renamed resource keeps its state record; ``state mv`` / ``state rm``."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.engine import Action, DesiredResource, StateError, StateRecord, StateStore, forget_address, move_address
from reconciler.engine.state import StateBackend
from reconciler.render.jsonplan import plan_json
from reconciler.render.markdown import render_markdown
from reconciler.render.text import TextRenderer

from .test_engine import World, res, run_apply, run_plan


@pytest.fixture
def state(tmp_path: Path) -> StateStore:
    return StateStore(tmp_path / ".reconciler" / "state.db")


def test_same_natural_key_under_a_new_name_is_a_move(state: StateStore) -> None:
    world = World()
    run_apply(run_plan([res("old", name="x")], state, world), state, world)
    world.writes.clear()
    result = run_plan([res("new", name="x")], state, world)
    (change,) = result.plan.changes
    assert (change.address, change.previous_address, change.action) == ("things.new", "things.old", Action.NOOP)
    assert result.plan.has_changes and result.plan.counts() == {"move": 1}
    assert "things.old has moved to things.new" in TextRenderer().plan(result.plan)
    assert "1 to move" in TextRenderer().plan(result.plan)
    assert plan_json(result.plan)["resource_changes"][0]["previous_address"] == "things.old"
    assert "`things.old` has moved to `things.new`" in render_markdown(result.plan)
    run_apply(result, state, world)
    assert world.writes == []  # no API call
    assert set(state.records()) == {"things.new"} and state.records()["things.new"].managed
    assert not run_plan([res("new", name="x")], state, world).plan.has_changes


def test_a_move_with_an_update_counts_as_an_update(state: StateStore) -> None:
    world = World()
    run_apply(run_plan([res("old", name="x", size=1)], state, world), state, world)
    result = run_plan([res("new", name="x", size=2)], state, world)
    (change,) = result.plan.changes
    assert change.action == Action.UPDATE and change.previous_address == "things.old"
    assert result.plan.counts() == {"update": 1, "move": 1}
    run_apply(result, state, world)
    assert world.objects["x"]["attrs"]["size"] == 2 and set(state.records()) == {"things.new"}


def test_explicit_moved_from_renames_the_record_before_planning(state: StateStore) -> None:
    world = World()
    run_apply(run_plan([res("old", name="x")], state, world), state, world)
    moved = DesiredResource("things.new", "things", "new", {"name": "x"}, moved_from=["things.old"])
    result = run_plan([moved], state, world)
    assert [(c.address, c.previous_address) for c in result.plan.changes] == [("things.new", "things.old")]
    run_apply(result, state, world)
    assert set(state.records()) == {"things.new"}
    # once applied, the moved block is history: nothing more to do
    assert not run_plan([moved], state, world).plan.has_changes


def test_a_different_object_is_not_a_move(state: StateStore) -> None:
    world = World()
    run_apply(run_plan([res("old", name="x")], state, world), state, world)
    result = run_plan([res("new", name="y")], state, world)
    assert {c.address: c.action for c in result.plan.changes} == {"things.new": Action.CREATE, "things.old": Action.DELETE}
    assert all(c.previous_address is None for c in result.plan.changes)


def _backends(tmp_path: Path, request: pytest.FixtureRequest) -> StateBackend:
    if request.param == "sqlite":
        return StateStore(tmp_path / "s.db")
    from reconciler.engine.pgstate import PostgresStateStore

    return PostgresStateStore(request.getfixturevalue("pg_url"), key=b"k")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(tmp_path: Path, request: pytest.FixtureRequest) -> StateBackend:
    return _backends(tmp_path, request)


def test_state_mv_and_rm_on_both_backends(backend: StateBackend) -> None:
    backend.put(StateRecord("things.a", "things", "rid-a", True, outputs={"id": "1"}))
    backend.put(StateRecord("things.b", "things", "rid-b", False))
    serial = backend.serial
    moved = move_address(backend, "things.a", "things.c")
    assert moved.address == "things.c" and moved.remote_id == "rid-a" and moved.outputs == {"id": "1"}
    assert set(backend.records()) == {"things.b", "things.c"} and backend.serial == serial + 1
    with pytest.raises(StateError, match="already in the state"):
        move_address(backend, "things.c", "things.b")
    with pytest.raises(StateError, match=r"no resource things\.zz"):
        move_address(backend, "things.zz", "things.y")
    with pytest.raises(StateError, match="keeps the kind"):
        move_address(backend, "things.c", "folders.c")
    with pytest.raises(StateError, match="not a resource address"):
        move_address(backend, "things.c", "nope")
    gone = forget_address(backend, "things.b")
    assert gone.remote_id == "rid-b" and set(backend.records()) == {"things.c"}
    with pytest.raises(StateError, match=r"no resource things\.b"):
        forget_address(backend, "things.b")
    backend.close()
