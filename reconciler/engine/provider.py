"""The contract between the engine and a resource kind.

A kind module (``reconciler/kinds/``) subclasses ``Provider[SpecT]``, where ``SpecT`` is the type of
its parsed spec: it parses a desired spec once per plan, says which attributes it manages and how
they compare, observes remote objects in bulk, and creates, updates and deletes them. The engine
carries the parsed spec from the plan to the apply, and never imports a kind: the CLI hands it a
``{kind: Provider}`` map.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .errors import SpecError
from .model import CheckResult, Effect, FieldChange, Note, Observed
from .state import StateRecord

__all__ = ["PrefetchItem", "Provider", "RefreshItem", "SpecError", "SpecT"]

SpecT = TypeVar("SpecT")


@dataclass
class RefreshItem(Generic[SpecT]):
    """One resource to observe: ``spec`` is the parsed desired spec (values known only after apply
    are still unknown in it) or None for a resource only in state; ``record`` is its state record,
    if any."""

    address: str
    spec: SpecT | None
    record: StateRecord | None

    @property
    def parsed(self) -> SpecT:
        """The spec of an item that has one. Raises AssertionError for a resource only in state
        (by the refresh convention such an item has a record, and is read by its remote id)."""
        assert self.spec is not None, f"{self.address} has no spec (it is only in state)"
        return self.spec


@dataclass
class PrefetchItem:
    """One resource of a plan, as known before any refresh. ``record``: its state record, if any
    (refresh reads such a resource by the record, so that is what a prefetch uses). ``data``: for a
    resource without a record, the top-level string values of its desired data and its mappings of
    strings (the kinds' links), with the references the state can answer resolved (from the producers'
    recorded outputs) and the others ``Unknown``; None when it has a record or is only in state.
    What ``Provider.prefetch`` reads from it is a guess to start reads early; the refresh that
    follows still decides from the parsed spec."""

    address: str
    data: Mapping[str, Any] | None
    record: StateRecord | None


class Provider(ABC, Generic[SpecT]):
    """Base class of a resource kind's handler; ``SpecT`` is the type ``parse`` returns.

    Class attributes: ``kind`` (section name, e.g. ``folders``); ``read_only`` (never created or
    deleted: verified and read, like ``orgs``); ``replace_fields`` (attributes that cannot change in
    place); ``holds_subtree`` (deleting the object deletes what lives below it, see ``location``);
    ``adopt_timeout_s`` (how long apply waits for an object another resource creates);
    ``content_unit`` (what ``content_loss`` counts, singular: ``asset``).
    Errors: raise ``SpecError`` from ``parse``, ``TemporaryError`` from a write that may succeed
    later (the applier retries it), anything else for a permanent failure (see ``errors``).
    """

    kind: str = ""
    content_unit: str = "item"
    read_only: bool = False
    replace_fields: frozenset[str] = frozenset()
    adopt_timeout_s: float = 10.0
    #: deleting this kind's object deletes every object whose ``location`` is at or below its own
    #: (an AEM folder: its subfolders and the shares on them)
    holds_subtree: bool = False

    # -- pure, no network ---------------------------------------------------------------------
    @abstractmethod
    def parse(self, address: str, data: Mapping[str, Any]) -> SpecT:
        """Validate ``data`` (the desired data, references resolved or unknown) into the kind's
        spec. Raises SpecError."""

    @abstractmethod
    def desired(self, spec: SpecT) -> dict[str, Any]:
        """Managed, non-sensitive attributes in the form ``Observed.attributes`` uses."""

    def planned_outputs(self, spec: SpecT) -> dict[str, Any]:
        """Values the spec alone determines, known at plan time even while the object is created or
        replaced (references to them never show ``(known after apply)``): by default the desired
        attributes; a kind adds outputs derived from its spec (a cloud configuration's ``path``)."""
        return self.desired(spec)

    def secrets(self, spec: SpecT) -> dict[str, str]:
        """Sensitive attributes, name -> clear value (hashed by the engine, never stored)."""
        return {}

    def identity(self, spec: SpecT) -> str | None:
        """Human form of the natural key (e.g. ``author:/content/dam/mc-demo``), for the plan."""
        return None

    def adopt_from(self, spec: SpecT) -> str | None:
        """Address of the resource whose creation makes this object (AEM creates mac-sync agents)."""
        return None

    def health_check(self, spec: SpecT) -> bool:
        """True when a health check should run after apply."""
        return False

    def notes(self, address: str, spec: SpecT, observed: Observed | None) -> list[Note]:
        """Plan-time findings: errors stop the plan, warnings are printed; both name the address."""
        return []

    def change_notes(self, address: str, spec: SpecT, observed: Observed | None) -> list[str]:
        """Sentences a reviewer must read when this resource changes (e.g. ownership rules)."""
        return []

    def location(self, spec: SpecT | None, record: StateRecord | None) -> tuple[str, str] | None:
        """Where the object lives, as ``(space, path)`` with a ``/``-separated ``path`` (an AEM
        connection name and a JCR path): from ``spec`` when the resource is declared, else from its
        state ``record``; None (the default) when it lives in nothing another resource manages, or
        the place is not known yet. With ``holds_subtree``, the planner sees what deleting or
        replacing an object deletes with it (``engine.planner.contained_changes``)."""
        return None

    def destroy_note(self, record: StateRecord) -> str | None:
        """What deleting this object also destroys, for the plan (e.g. a folder's assets)."""
        return None

    def forget_note(self, record: StateRecord) -> str | None:
        """What forgetting an adopted object still does, for the plan (e.g. the group memberships
        this tool added to a user it did not create are removed)."""
        return None

    def removal_effect(self, record: StateRecord) -> Effect | None:
        """What removing the object ``record`` names (a delete when ``record.managed``, else a forget;
        the object exists) really does, when "will be DELETED" or "forgotten (left in place)" would
        mislead the reviewer: e.g. a user whose account stays and who loses only the memberships this
        tool added. The plan's header, the apply's line and the summaries use it. Default: None (the
        action means what it says)."""
        return None

    # -- network -----------------------------------------------------------------------------
    def prefetch(self, items: list[PrefetchItem], shared: dict[Any, Any]) -> None:
        """Start, without waiting for them, the bulk reads this plan's refresh of ``items`` (every
        resource of this kind in the plan) will need and that depend on no other refresh: the
        planner calls it once per kind at the start of a plan, with the event loop running, so that
        every kind's listings go out in the same round instead of one round per wave of the
        dependency graph. ``shared``: one dict per plan, the same for every provider: reads several
        kinds need (one listing per service) are kept there, and ``refresh`` takes them from it. The
        planner empties it when the plan ends, so no read outlives its plan. Must not raise for an
        item it cannot place (a value still unknown: skip it); a read that fails is raised by the
        ``refresh`` that uses it. Default: nothing (``refresh`` reads as it goes)."""

    @abstractmethod
    async def refresh(self, items: list[RefreshItem[SpecT]]) -> dict[str, Observed | None]:
        """Observe many resources at once (bulk listing); missing objects map to None.

        Convention: an item with a state record is read by the record's remote id (the object this
        tool manages), so that a changed identity in the spec shows as a replacement; an item
        without one is looked up by the spec's natural key.
        """

    async def content_loss(self, observed: Observed, record: StateRecord | None) -> int:
        """How many pieces of user content (``content_unit``, e.g. a folder's assets) deleting the
        observed object (``record``: its state record, if any) destroys, counted at plan time for
        each delete and replacement; 0: none."""
        return 0

    async def lookup(self, spec: SpecT, record: StateRecord | None, address: str) -> Observed | None:
        """Live natural-key lookup of one object right before a write (default: a refresh of one)."""
        got = await self.refresh([RefreshItem(address, spec, record)])
        return got.get(address)

    async def create(self, address: str, spec: SpecT) -> Observed:
        """Make the object; returns what the service now reports."""
        raise NotImplementedError(f"{self.kind} objects cannot be created by this tool")

    async def update(self, address: str, spec: SpecT, observed: Observed, changes: list[FieldChange]) -> Observed:
        """Change ``observed`` in place so that it matches ``spec`` (``changes``: what differs)."""
        raise NotImplementedError(f"{self.kind} objects cannot be updated by this tool")

    async def delete(self, record: StateRecord) -> None:
        """Delete the object ``record`` names (by its remote id)."""
        raise NotImplementedError(f"{self.kind} objects cannot be deleted by this tool")

    async def forget(self, record: StateRecord) -> None:
        """Called when an adopted object (not created here) leaves the configuration: undo only
        what this tool added to it (default: nothing; the object is left in place)."""

    async def check(self, address: str, spec: SpecT, observed: Observed) -> CheckResult:
        """The health check of an applied object (when ``health_check`` says so)."""
        return CheckResult(True, "no check")

    async def close(self) -> None:
        """Release clients; called once after plan/apply."""
