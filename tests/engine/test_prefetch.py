"""The planner's prefetch step: every kind hears of all its resources before the first wave's refresh,
with what the state knows; the plan's shared cache does not outlive the plan."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from reconciler.engine import (
    DesiredResource,
    Observed,
    PrefetchItem,
    Provider,
    RefreshItem,
    StateRecord,
    StateStore,
    Unknown,
    make_plan,
)


class Recorder(Provider[dict[str, Any]]):
    """Records the calls the planner makes; observes nothing (everything is to create)."""

    def __init__(self, kind: str, calls: list[tuple[str, str, Any]]) -> None:
        self.kind = kind
        self.calls = calls
        self.shared: dict[Any, Any] | None = None

    def parse(self, address: str, data: Any) -> dict[str, Any]:
        return dict(data)

    def desired(self, spec: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in spec.items() if k != "links"}

    def prefetch(self, items: list[PrefetchItem], shared: dict[Any, Any]) -> None:
        self.shared = shared
        shared[self.kind] = "started"
        self.calls.append(("prefetch", self.kind, items))

    async def refresh(self, items: list[RefreshItem[dict[str, Any]]]) -> dict[str, Observed | None]:
        assert self.shared is not None and self.shared.get(self.kind) == "started", "prefetch came first"
        self.calls.append(("refresh", self.kind, [i.address for i in items]))
        return dict.fromkeys((i.address for i in items), None)


def test_every_kind_prefetches_all_its_resources_before_any_refresh(tmp_path: Path) -> None:
    state = StateStore(tmp_path / "state.db")
    state.put(StateRecord("parents.p", "parents", "p-1", True, outputs={"id": "p-1", "connection": "c1"}))
    desired = {
        "parents.p": DesiredResource("parents.p", "parents", "p", {"connection": "c1"}),
        "parents.new": DesiredResource("parents.new", "parents", "new", {"connection": "c2"}),
        "children.a": DesiredResource(
            "children.a", "children", "a",
            {"parent": "p", "links": {"parent_id": "${parents.p.id}"}, "tags": ["${parents.new.id}"]},
            depends_on={"parents.p"},
        ),
        "children.b": DesiredResource(
            "children.b", "children", "b", {"links": {"parent_id": "${parents.new.id}"}}, depends_on={"parents.new"}
        ),
    }  # fmt: skip
    calls: list[tuple[str, str, Any]] = []
    providers = {k: Recorder(k, calls) for k in ("parents", "children", "unused")}
    asyncio.run(make_plan(desired, state, providers))

    kinds_prefetched = [kind for what, kind, _ in calls if what == "prefetch"]
    first_refresh = next(i for i, c in enumerate(calls) if c[0] == "refresh")
    assert sorted(kinds_prefetched) == ["children", "parents", "unused"] and first_refresh == 3
    items = {kind: {i.address: i for i in got} for what, kind, got in calls if what == "prefetch"}
    assert items["unused"] == {}
    # a resource with a record: prefetched by the record (no data); a new one by its data, with the
    # references the state answers resolved (the links), and only top-level strings and links kept
    assert items["parents"]["parents.p"].record is not None and items["parents"]["parents.p"].data is None
    assert items["parents"]["parents.new"].data == {"connection": "c2"}
    assert items["children"]["children.a"].data == {"parent": "p", "links": {"parent_id": "p-1"}}
    unknown = items["children"]["children.b"].data["links"]["parent_id"]
    assert isinstance(unknown, Unknown), "not in state: unknown at prefetch"
    # the shared cache lives for the plan only
    assert providers["parents"].shared == {}
