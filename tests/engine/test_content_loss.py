"""Content-loss protection (issue 10 item 2): counted at plan time, refused at apply without an opt-in."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reconciler.engine import Action, DesiredResource, Observed, StateRecord, StateStore, apply_plan, make_plan

from .test_engine import Things, World, res, run_apply, run_plan


class Boxes(Things):
    content_unit = "asset"

    async def content_loss(self, observed: Observed, record: StateRecord | None) -> int:
        return 5


@pytest.fixture
def state(tmp_path: Path) -> StateStore:
    return StateStore(tmp_path / ".reconciler" / "state.db")


def _plan(desired: list[DesiredResource], state: StateStore, world: World):  # type: ignore[no-untyped-def]
    return asyncio.run(make_plan({d.address: d for d in desired}, state, {"things": Boxes(world)}))


def test_a_delete_that_loses_content_is_counted_and_refused(state: StateStore) -> None:
    world = World()
    run_apply(run_plan([res("box")], state, world), state, world)
    result = _plan([], state, world)
    (gone,) = result.plan.changes
    assert gone.action == Action.DELETE and gone.content_loss == 5
    assert any("deletes box and its 5 assets; apply refuses it" in n for n in gone.notes)
    out = asyncio.run(apply_plan(result, state, {"things": Boxes(world)}))
    assert "refused" in out.failed["things.box"] and "box" in world.objects
    out = asyncio.run(apply_plan(_plan([], state, world), state, {"things": Boxes(world)}, allow_content_loss=True))
    assert out.ok and "box" not in world.objects


def test_the_resource_opt_in_allows_a_replacement(state: StateStore) -> None:
    world = World()
    run_apply(run_plan([res("box", name="a")], state, world), state, world)
    allowed = DesiredResource("things.box", "things", "box", {"name": "b"}, allow_content_loss=True)
    result = _plan([allowed], state, world)
    (change,) = result.plan.changes
    assert change.action == Action.REPLACE and change.content_loss == 5
    assert not any("refuses" in n for n in change.notes)
    assert asyncio.run(apply_plan(result, state, {"things": Boxes(world)})).ok
