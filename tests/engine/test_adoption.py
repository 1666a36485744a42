"""Adoption records what it found (issue 10 item 3): counted as its real action, observed attributes stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.engine import Action, StateStore

from .test_engine import World, res, run_apply, run_plan


@pytest.fixture
def state(tmp_path: Path) -> StateStore:
    return StateStore(tmp_path / ".reconciler" / "state.db")


def test_adopt_that_needs_an_update_is_an_update_and_stays_adopted(state: StateStore) -> None:
    world = World()
    world.objects["x"] = {"id": "id-x", "attrs": {"name": "x", "size": 1}}
    result = run_plan([res("x", size=2)], state, world)
    (change,) = result.plan.changes
    assert change.action == Action.UPDATE and "adopting it and updating size" in change.reason
    assert result.plan.counts() == {"update": 1}
    run_apply(result, state, world)
    rec = state.get("things.x")
    assert rec is not None and not rec.managed and rec.attributes == {"name": "x", "size": 2}
    again = run_plan([res("x", size=2)], state, world)
    assert not again.plan.has_changes and again.plan.drift == []


def test_adopt_stores_the_observed_attributes(state: StateStore) -> None:
    world = World()
    world.objects["x"] = {"id": "id-x", "attrs": {"name": "x", "size": 1, "colour": "red"}}
    run_apply(run_plan([res("x", size=1)], state, world), state, world)
    rec = state.get("things.x")
    assert rec is not None and rec.attributes == {"name": "x", "size": 1}  # managed keys only, as observed


def test_a_value_known_at_plan_time_stays_known_while_its_producer_is_replaced(state: StateStore) -> None:
    world = World()
    desired = [res("a", size=1), res("b", {"things.a"}, ref="${things.a.name}")]
    run_apply(run_plan(desired, state, world), state, world)
    result = run_plan(desired, state, world, force_replace=["things.a"])
    assert {c.address: c.action for c in result.plan.changes} == {"things.a": Action.REPLACE}  # b keeps its value
    assert result.resolved["things.b"]["ref"] == "a"
