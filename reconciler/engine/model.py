"""Value types shared by the engine: actions, field changes, observations, plans.

Nothing here knows about Adobe: a resource is an address (``<kind>.<name>``), a bag of desired
attributes, and whatever its provider observes. The planner (``planner.py``) produces a ``Plan`` of
``PlannedChange`` objects; the applier (``applier.py``) carries them out.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Action(str, enum.Enum):
    """What the plan will do to one resource. Terraform's symbols are kept for the terminal view."""

    NOOP = "no-op"
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    ADOPT = "adopt"
    FORGET = "forget"
    READ = "read"
    CHECK = "check"

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    @property
    def is_change(self) -> bool:
        """True for actions that change a remote object or the state (everything but no-op/read)."""
        return self not in (Action.NOOP, Action.READ)

    @property
    def is_destructive(self) -> bool:
        return self in (Action.DELETE, Action.REPLACE)


_SYMBOLS = {
    Action.NOOP: " ",
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.REPLACE: "-/+",
    Action.DELETE: "-",
    Action.ADOPT: "=>",
    Action.FORGET: "/",
    Action.READ: "<=",
    Action.CHECK: "?",
}


class _Unknown:
    """Sentinel for a value known only after apply (shown as ``(known after apply)``)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "(known after apply)"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Any = _Unknown()
SENSITIVE_MASK = "(sensitive)"


@dataclass(frozen=True)
class FieldChange:
    """One attribute that differs: ``path`` is dotted (``jcr:content.title`` style is up to the kind).

    ``before``/``after`` are display-safe values: sensitive ones are already masked and unknown ones
    are ``UNKNOWN``. ``forces_replacement`` marks a change that cannot be made in place.
    """

    path: str
    before: Any
    after: Any
    sensitive: bool = False
    forces_replacement: bool = False
    explanation: str = ""


@dataclass
class Observed:
    """What a provider saw of one remote object.

    ``remote_id``: the object's id in its service (a JCR path, a Console credential id, ...).
    ``attributes``: the managed attributes, same keys and normal form as ``Provider.desired``.
    ``outputs``: non-sensitive values others may reference (``${kind.name.attr}``), stored in state.
    ``managed_by_other``: set when the object was made by something else (e.g. AEM created it).
    """

    remote_id: str
    attributes: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Note:
    """A plan-time finding from a provider: ``severity`` is ``error`` (blocks the plan) or ``warning``."""

    severity: str
    summary: str
    detail: str = ""


@dataclass(frozen=True)
class CheckResult:
    """Outcome of a health check (e.g. a replication agent's Test Connection)."""

    ok: bool
    message: str


@dataclass
class PlannedChange:
    """One line of the plan.

    ``waits_for``: addresses this action waits for (its dependencies that also change).
    ``before``/``after``: display-safe attribute maps (``None`` when the object does not exist
    before, or will not exist after). ``unknown``: attribute paths known only after apply.
    ``notes``: human sentences the reviewer must see (ownership rules, org switches, ...).
    """

    address: str
    kind: str
    action: Action
    reason: str = ""
    changes: list[FieldChange] = field(default_factory=list)
    waits_for: list[str] = field(default_factory=list)
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    unknown: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    identity: str | None = None
    adopt_from: str | None = None
    health_check: bool = False


@dataclass
class DriftItem:
    """A change made outside this tool: the object differs from what was last applied (``changes``:
    ``before`` = last applied, from state; ``after`` = observed now) or is gone (``deleted``)."""

    address: str
    kind: str
    changes: list[FieldChange] = field(default_factory=list)
    deleted: bool = False


@dataclass
class Plan:
    """An ordered plan. ``changes`` holds every non-no-op action in dependency order; ``unchanged``
    counts the resources that need nothing. ``checks`` are health checks to run after apply."""

    changes: list[PlannedChange]
    unchanged: int
    checks: list[str] = field(default_factory=list)
    warnings: list[Note] = field(default_factory=list)
    lineage: str = ""
    serial: int = 0
    config_digest: str = ""
    targets: list[str] = field(default_factory=list)
    drift: list[DriftItem] = field(default_factory=list)
    refresh_only: bool = False

    @property
    def has_changes(self) -> bool:
        """Normal plans: any action or health check. Refresh-only plans: any drift."""
        if self.refresh_only:
            return bool(self.drift)
        return any(c.action.is_change for c in self.changes) or bool(self.checks)

    def counts(self) -> dict[str, int]:
        """Number of planned actions by action name (``create``, ``update``, ...)."""
        out: dict[str, int] = {}
        for c in self.changes:
            out[c.action.value] = out.get(c.action.value, 0) + 1
        return out

    def by_address(self) -> dict[str, PlannedChange]:
        return {c.address: c for c in self.changes}
