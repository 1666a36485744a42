"""Value types shared by the engine: actions, field changes, observations, plans.

Nothing here knows about Adobe: a resource is an address (``<kind>.<name>``), a bag of desired
attributes, and whatever its provider observes. The planner (``planner.py``) produces a ``Plan`` of
``PlannedChange`` objects; the applier (``applier.py``) carries them out.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from reconciler.refs import AttrRef


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


class Unknown(str):
    """A value known only after apply (shown as ``(known after apply)``), as the engine carries it.

    When a reference's producer is still to be created, the resolver puts an ``Unknown`` in the
    desired data instead of the value: ``ref`` is the reference (``None`` for the bare ``UNKNOWN``
    the plan shows), and the string value is the reference as written (``${kind.name.attr}``, or the
    whole template it was part of), so a pydantic ``str`` field accepts it and keeps it as is (kinds
    skip their format checks for it: ``reconciler.kinds.base.field_check``). The diff and the
    renderers show it as ``(known after apply)``; it is falsy, and equal only to an ``Unknown`` of
    the same reference and text (never to a real value).
    """

    __slots__ = ("ref",)
    ref: AttrRef | None

    def __new__(cls, ref: AttrRef | None = None, text: str | None = None) -> Unknown:
        if text is None:
            text = str(ref) if ref is not None else KNOWN_AFTER_APPLY
        self = super().__new__(cls, text)
        self.ref = ref
        return self

    def __repr__(self) -> str:
        return KNOWN_AFTER_APPLY

    def __bool__(self) -> bool:
        return False

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown) and other.ref == self.ref and str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return str.__hash__(self)

    def __reduce__(self) -> str | tuple[Any, ...]:
        if self.ref is None and str.__eq__(self, KNOWN_AFTER_APPLY):
            return "UNKNOWN"  # the module's singleton, so ``is UNKNOWN`` survives pickling
        return (Unknown, (self.ref, str(self)))

    def __copy__(self) -> Unknown:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Unknown:
        return self


def is_unknown(value: object) -> bool:
    """True for an ``Unknown`` value (at any depth of dicts, lists, tuples and sets)."""
    if isinstance(value, Unknown):
        return True
    if isinstance(value, dict):
        return any(is_unknown(v) for v in value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return any(is_unknown(v) for v in value)
    return False


KNOWN_AFTER_APPLY = "(known after apply)"
#: the value the plan shows for an attribute known only after apply
UNKNOWN: Any = Unknown()
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


@dataclass(frozen=True)
class Effect:
    """What removing one resource (a delete or forget) really does to its remote object, when the
    action's name alone would mislead (``Provider.removal_effect``), e.g. a user whose account stays
    and who only loses the memberships this tool added.

    ``planned``: completes "<address> ..." in the plan, future tense ("will lose the memberships this
    tool added (Marketing Cloud); the account stays"). ``done``: completes "<address>: ..." after
    apply, past tense ("lost the memberships this tool added (Marketing Cloud); the account stays").
    ``kept``: the remote object stays in its service: the text and Markdown views show and count such
    a delete as a forget (``/``, "forgotten"), since nothing is deleted; the JSON plan keeps the
    action (``delete``) and adds the effect.
    """

    planned: str
    done: str
    kept: bool = True


@dataclass
class PlannedChange:
    """One line of the plan.

    ``waits_for``: addresses this action waits for (its dependencies that also change).
    ``before``/``after``: display-safe attribute maps (``None`` when the object does not exist
    before, or will not exist after). ``unknown``: attribute paths known only after apply.
    ``notes``: human sentences the reviewer must see (ownership rules, org switches, ...).
    ``previous_address``: the address the resource's state record had before (a *move*: the record
    is renamed, with no API call; set by a top-level ``moved:`` block or found by the planner when a
    resource left the configuration and another of the same kind found the same remote object).
    A move with nothing else to do is a ``NOOP`` that is still listed (``is_move``).
    ``owned``: an object found with no record but with a create intent of this address and natural
    key (an apply stopped between the create and its record): recorded as managed, not adopted.
    ``keeps_previous``: a ``REPLACE`` of an object this tool did not create (adopted, or made by
    another resource such as AEM's mac-sync agents): the old object is forgotten (left in place),
    never deleted; the new one is created, or adopted once ``adopt_from`` made it.
    ``content_loss``: how many pieces of user content (a folder's assets) this delete or replacement
    destroys, counted at plan time; apply refuses the action unless the resource's
    ``lifecycle.allow_content_loss`` or the run allows it.
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
    previous_address: str | None = None
    owned: bool = False
    keeps_previous: bool = False
    content_loss: int = 0
    effect: Effect | None = None

    @property
    def is_move(self) -> bool:
        """True when the state record moves from ``previous_address`` to ``address``."""
        return self.previous_address is not None

    @property
    def is_listed(self) -> bool:
        """True when the plan lists this change: any action but a no-op, or a move."""
        return self.action != Action.NOOP or self.is_move

    @property
    def shown_action(self) -> Action:
        """The action as the text and Markdown views show and count it: a delete whose remote object
        stays (``effect.kept``) is a forget; otherwise ``action``."""
        if self.action == Action.DELETE and self.effect is not None and self.effect.kept:
            return Action.FORGET
        return self.action


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
        """Normal plans: any action (a *read* too: it records a read-only object, such as an org,
        that the state lacks), move or health check. Refresh-only plans: any drift."""
        if self.refresh_only:
            return bool(self.drift)
        return any(c.action != Action.NOOP or c.is_move for c in self.changes) or bool(self.checks)

    def counts(self) -> dict[str, int]:
        """Number of planned actions by action name (``create``, ``update``, ...); a move with
        nothing else to do counts only under ``move``, a move with an update under both."""
        out: dict[str, int] = {}
        for c in self.changes:
            if c.action != Action.NOOP:
                out[c.action.value] = out.get(c.action.value, 0) + 1
        moves = sum(1 for c in self.changes if c.is_move)
        if moves:
            out["move"] = moves
        return out

    def by_address(self) -> dict[str, PlannedChange]:
        return {c.address: c for c in self.changes}
