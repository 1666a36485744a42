"""An object adopted as it exists has known outputs at plan time: references to them resolve (a
whole existing setup, as ``reconciler export`` writes it, plans as adopts only)."""

from __future__ import annotations

from pathlib import Path

from reconciler.engine import Action, StateStore

from .test_engine import World, res, run_apply, run_plan


def test_references_to_an_adopted_producer_resolve_to_its_observed_outputs(tmp_path: Path) -> None:
    state = StateStore(tmp_path / ".reconciler" / "state.db")
    world = World()
    world.objects["a"] = {"id": "id-a", "attrs": {"name": "a"}}
    world.objects["b"] = {"id": "id-b", "attrs": {"name": "b", "ref": "id-a"}}
    desired = [res("a"), res("b", {"things.a"}, ref="${things.a.id}")]
    result = run_plan(desired, state, world)
    assert {c.address: c.action for c in result.plan.changes} == {"things.a": Action.ADOPT, "things.b": Action.ADOPT}
    assert result.resolved["things.b"]["ref"] == "id-a"
    run_apply(result, state, world)
    assert world.writes == []
    assert not run_plan(desired, state, world).plan.has_changes
