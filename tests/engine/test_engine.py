"""Engine semantics on an in-memory provider: graph, plan, apply, state, failures, ownership."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import pytest

from reconciler.engine import (
    UNKNOWN,
    Action,
    CycleError,
    DependencyGraph,
    DesiredResource,
    LockError,
    Observed,
    PlanError,
    Provider,
    RefreshItem,
    SpecError,
    StateRecord,
    StateStore,
    TemporaryError,
    apply_plan,
    make_plan,
)


class World:
    """A fake service: objects by name, with a write log and an optional failure switch."""

    def __init__(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.ids = itertools.count(1)
        self.writes: list[tuple[str, str]] = []
        self.fail_on: set[str] = set()
        self.refresh_calls = 0


class Things(Provider):
    kind = "things"
    replace_fields = frozenset({"name"})

    def __init__(self, world: World) -> None:
        self.world = world

    def parse(self, address: str, data: Any) -> dict[str, Any]:
        if "bad" in data:
            raise SpecError(["bad: not allowed"])
        out = dict(data)
        out.setdefault("name", address.split(".", 1)[1])
        return out

    def desired(self, spec: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in spec.items() if k not in ("password",)}

    def secrets(self, spec: dict[str, Any]) -> dict[str, str]:
        return {"password": spec["password"]} if "password" in spec else {}

    async def refresh(self, items: list[RefreshItem]) -> dict[str, Observed | None]:
        self.world.refresh_calls += 1
        out: dict[str, Observed | None] = {}
        for item in items:
            # the convention: a resource in state is read by its remote id, a new one by its natural key
            name = item.record.remote_id if item.record else item.spec["name"]  # type: ignore[index]
            obj = self.world.objects.get(name)
            out[item.address] = None if obj is None else Observed(name, dict(obj["attrs"]), {"id": obj["id"]})
        return out

    async def create(self, address: str, spec: dict[str, Any]) -> Observed:
        name = spec["name"]
        if name in self.world.fail_on:
            raise RuntimeError("boom")
        assert name not in self.world.objects, "duplicate create"
        obj = {"id": f"id-{next(self.world.ids)}", "attrs": self.desired(spec)}
        self.world.objects[name] = obj
        self.world.writes.append(("create", name))
        return Observed(name, dict(obj["attrs"]), {"id": obj["id"]})

    async def update(self, address: str, spec: dict[str, Any], observed: Observed, changes: Any) -> Observed:
        obj = self.world.objects[spec["name"]]
        obj["attrs"] = self.desired(spec)
        self.world.writes.append(("update", spec["name"]))
        return Observed(spec["name"], dict(obj["attrs"]), {"id": obj["id"]})

    async def delete(self, record: StateRecord) -> None:
        self.world.objects.pop(record.remote_id, None)
        self.world.writes.append(("delete", record.remote_id))


def res(key: str, deps: set[str] | None = None, **data: Any) -> DesiredResource:
    return DesiredResource(f"things.{key}", "things", key, data, deps or set())


def run_plan(desired: list[DesiredResource], state: StateStore, world: World, **kw: Any) -> Any:
    return asyncio.run(make_plan({d.address: d for d in desired}, state, {"things": Things(world)}, **kw))


def run_apply(result: Any, state: StateStore, world: World) -> Any:
    return asyncio.run(apply_plan(result, state, {"things": Things(world)}))


@pytest.fixture
def state(tmp_path: Path) -> StateStore:
    return StateStore(tmp_path / ".reconciler" / "state.db")


def test_cycle_is_an_error_that_prints_the_cycle(state: StateStore) -> None:
    desired = [res("a", {"things.b"}), res("b", {"things.c"}), res("c", {"things.a"})]
    with pytest.raises(CycleError) as exc:
        run_plan(desired, state, World())
    assert exc.value.cycle[0] == exc.value.cycle[-1]
    assert set(exc.value.cycle) == {"things.a", "things.b", "things.c"}
    assert "things.a -> things.b -> things.c -> things.a" in str(exc.value)


def test_topological_order_is_dependencies_first_and_deterministic() -> None:
    g = DependencyGraph()
    g.add_edge("c", "b")
    g.add_edge("b", "a")
    g.add_node("z")
    assert g.topological_order() == ["a", "b", "c", "z"]
    assert g.generations() == [["a", "z"], ["b"], ["c"]]


def test_create_in_order_with_known_after_apply_then_noop(state: StateStore) -> None:
    world = World()
    desired = [res("a", value="x"), res("b", {"things.a"}, parent="${things.a.id}")]
    result = run_plan(desired, state, world)
    plan = result.plan
    assert [(c.address, c.action) for c in plan.changes] == [("things.a", Action.CREATE), ("things.b", Action.CREATE)]
    b = plan.by_address()["things.b"]
    assert b.after["parent"] is UNKNOWN and b.unknown == ["parent"]
    assert b.waits_for == ["things.a"]
    out = run_apply(result, state, world)
    assert out.ok, out.failed
    assert world.objects["b"]["attrs"]["parent"] == world.objects["a"]["id"]
    again = run_plan(desired, state, world)
    assert not again.plan.has_changes and again.plan.unchanged == 2
    writes = list(world.writes)
    run_apply(again, state, world)
    assert world.writes == writes  # apply twice is a no-op


def test_one_field_change_plans_exactly_one_update(state: StateStore) -> None:
    world = World()
    desired = [res("a", value="x"), res("b", value="y")]
    run_apply(run_plan(desired, state, world), state, world)
    changed = [res("a", value="x2"), res("b", value="y")]
    plan = run_plan(changed, state, world).plan
    assert [(c.address, c.action) for c in plan.changes] == [("things.a", Action.UPDATE)]
    (fc,) = plan.changes[0].changes
    assert (fc.path, fc.before, fc.after) == ("value", "x", "x2")


def test_identity_change_plans_replace_and_dependents_become_unknown(state: StateStore) -> None:
    world = World()
    desired = [res("a", name="one"), res("b", {"things.a"}, parent="${things.a.id}")]
    run_apply(run_plan(desired, state, world), state, world)
    renamed = [res("a", name="two"), res("b", {"things.a"}, parent="${things.a.id}")]
    result = run_plan(renamed, state, world)
    actions = {c.address: c.action for c in result.plan.changes}
    assert actions == {"things.a": Action.REPLACE, "things.b": Action.UPDATE}
    assert "name" in result.plan.by_address()["things.a"].reason
    assert run_apply(result, state, world).ok
    assert "one" not in world.objects and world.objects["b"]["attrs"]["parent"] == world.objects["two"]["id"]


def test_removed_resource_deleted_only_if_created_here(state: StateStore) -> None:
    world = World()
    world.objects["pre"] = {"id": "id-pre", "attrs": {"name": "pre"}}
    desired = [res("pre"), res("mine")]
    result = run_plan(desired, state, world)
    assert {c.address: c.action for c in result.plan.changes} == {"things.pre": Action.ADOPT, "things.mine": Action.CREATE}
    run_apply(result, state, world)
    result = run_plan([], state, world)
    assert {c.address: c.action for c in result.plan.changes} == {"things.pre": Action.FORGET, "things.mine": Action.DELETE}
    run_apply(result, state, world)
    assert "pre" in world.objects and "mine" not in world.objects
    assert state.records() == {}


def test_prevent_destroy_is_kept_in_state(state: StateStore) -> None:
    world = World()
    keep = res("keep")
    keep.prevent_destroy = True
    run_apply(run_plan([keep], state, world), state, world)
    with pytest.raises(PlanError) as exc:
        run_plan([], state, world)
    assert "prevent_destroy" in str(exc.value)


def test_failure_skips_dependents_and_independent_branches_finish(state: StateStore) -> None:
    world = World()
    world.fail_on.add("a")
    desired = [res("a"), res("b", {"things.a"}, parent="${things.a.id}"), res("c")]
    out = run_apply(run_plan(desired, state, world), state, world)
    assert not out.ok
    assert out.failed == {"things.a": "RuntimeError: boom"}
    assert "things.b" in out.skipped and out.done == {"things.c": Action.CREATE}
    assert set(state.records()) == {"things.c"}  # recorded per action, not at the end
    world.fail_on.clear()
    assert run_apply(run_plan(desired, state, world), state, world).ok
    assert not run_plan(desired, state, world).plan.has_changes


def test_create_looks_up_the_natural_key_first(state: StateStore) -> None:
    """An object made by an interrupted run (no state record) is adopted, never created twice."""
    world = World()
    result = run_plan([res("a", value="x")], state, world)
    world.objects["a"] = {"id": "id-made-before-crash", "attrs": {"name": "a", "value": "x"}}
    out = run_apply(result, state, world)
    assert out.ok and world.writes == []
    rec = state.get("things.a")
    assert rec is not None and rec.managed  # the plan said create: it is ours


def test_secret_change_detected_by_keyed_hash_never_stored(state: StateStore, tmp_path: Path) -> None:
    world = World()
    run_apply(run_plan([res("a", password="s3cret-one")], state, world), state, world)
    assert not run_plan([res("a", password="s3cret-one")], state, world).plan.has_changes
    plan = run_plan([res("a", password="s3cret-two")], state, world).plan
    (change,) = plan.changes
    assert change.action == Action.UPDATE and change.changes[0].sensitive
    assert change.changes[0].before == change.changes[0].after == "(sensitive)"
    raw = (tmp_path / ".reconciler" / "state.db").read_bytes()
    assert b"s3cret" not in raw


def test_drift_is_reported_as_drift(state: StateStore) -> None:
    world = World()
    run_apply(run_plan([res("a", value="x")], state, world), state, world)
    world.objects["a"]["attrs"]["value"] = "edited-in-the-ui"
    (change,) = run_plan([res("a", value="x")], state, world).plan.changes
    assert change.action == Action.UPDATE and change.reason.startswith("drift")
    world.objects.pop("a")
    (change,) = run_plan([res("a", value="x")], state, world).plan.changes
    assert change.action == Action.CREATE and change.reason.startswith("drift")


def test_invalid_spec_stops_the_plan_with_address(state: StateStore) -> None:
    with pytest.raises(PlanError) as exc:
        run_plan([res("a", bad=1)], state, World())
    assert exc.value.errors == [("things.a", "bad: not allowed")]


def test_targeting_limits_to_target_and_dependencies(state: StateStore) -> None:
    world = World()
    desired = [res("a"), res("b", {"things.a"}), res("c")]
    plan = run_plan(desired, state, world, targets=["things.b"]).plan
    assert [c.address for c in plan.changes] == ["things.a", "things.b"]


def test_lock_names_its_holder(state: StateStore) -> None:
    lock_id = state.acquire_lock("apply")
    other = StateStore(state.path)
    with pytest.raises(LockError) as exc:
        other.acquire_lock("apply")
    assert "apply" in str(exc.value) and lock_id in str(exc.value) and "pid" in str(exc.value)
    state.release_lock(lock_id)
    other.release_lock(other.acquire_lock("plan"))


def test_serial_increments_per_write_and_lineage_is_stable(state: StateStore) -> None:
    world = World()
    lineage, serial = state.lineage, state.serial
    run_apply(run_plan([res("a"), res("b")], state, world), state, world)
    assert state.lineage == lineage and state.serial == serial + 2


def test_diff_explanations_speak_in_values_and_field_paths() -> None:
    from reconciler.engine.diff import diff_attributes

    (groups,) = diff_attributes({"groups": ["Marketing Cloud"]}, {"groups": []})
    assert groups.explanation == 'added: "Marketing Cloud"'
    (members,) = diff_attributes(
        {"members": [{"email": "a", "role": "editor"}]}, {"members": [{"email": "a", "role": "viewer"}]}
    )
    assert members.explanation == "changed: [0].role"
    assert "root" not in groups.explanation + members.explanation
    dana, jane = {"email": "dana", "role": "viewer"}, {"email": "jane", "role": "editor"}
    (first_gone,) = diff_attributes({"members": [jane]}, {"members": [dana, jane]})
    assert first_gone.explanation == 'removed: {"email": "dana", "role": "viewer"}'  # not "changed: [0].email"
    (more,) = diff_attributes({"members": [dana, jane, {"email": "eve", "role": "owner"}]}, {"members": [dana, jane]})
    assert more.explanation == 'added: {"email": "eve", "role": "owner"}'
    (twice,) = diff_attributes({"groups": ["a", "a"]}, {"groups": ["a"]})  # duplicates counted one by one
    assert twice.explanation == 'added: "a"'
    (swapped,) = diff_attributes({"members": [jane, dana]}, {"members": [dana, jane]})  # reordered: by position
    assert swapped.explanation.startswith("changed: [0]")


class Flaky(Things):
    """Things whose create raises TemporaryError ``failures`` times before it succeeds."""

    def __init__(self, world: World, failures: int) -> None:
        super().__init__(world)
        self.failures = failures
        self.attempts = 0

    async def create(self, address: str, spec: dict[str, Any]) -> Observed:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise TemporaryError("not ready yet", delay_s=0.01)
        return await super().create(address, spec)


def test_temporary_error_is_retried_after_its_delay(state: StateStore) -> None:
    world = World()
    flaky = Flaky(world, failures=2)
    result = asyncio.run(make_plan({"things.a": res("a")}, state, {"things": flaky}))
    events: list[Any] = []
    out = asyncio.run(apply_plan(result, state, {"things": flaky}, retries=3, on_event=events.append))
    assert out.ok and flaky.attempts == 3 and world.writes == [("create", "a")]
    retries = [e for e in events if e.phase == "retry"]
    assert [e.message for e in retries] == ["not ready yet", "not ready yet"]
    assert all(e.elapsed_s == 0.01 for e in retries)


def test_temporary_error_fails_the_action_after_the_last_retry(state: StateStore) -> None:
    world = World()
    flaky = Flaky(world, failures=10)
    result = asyncio.run(make_plan({"things.a": res("a"), "things.b": res("b", {"things.a"})}, state, {"things": flaky}))
    out = asyncio.run(apply_plan(result, state, {"things": flaky}, retries=2))
    assert flaky.attempts == 3  # the first try and two retries
    assert out.failed == {"things.a": "not ready yet"} and "things.b" in out.skipped
    assert state.records() == {}


def test_permanent_provider_error_is_not_retried(state: StateStore) -> None:
    world = World()
    world.fail_on.add("a")
    things = Things(world)
    result = asyncio.run(make_plan({"things.a": res("a")}, state, {"things": things}))
    events: list[Any] = []
    out = asyncio.run(apply_plan(result, state, {"things": things}, retries=5, on_event=events.append))
    assert out.failed == {"things.a": "RuntimeError: boom"}
    assert not [e for e in events if e.phase == "retry"]
