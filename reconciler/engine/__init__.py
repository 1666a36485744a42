"""The engine: Adobe-free addresses, dependency graph, diff, plan, apply and state.

Never imports ``reconciler.kinds``, ``reconciler.clients`` or ``reconciler.sandbox`` (a test checks
it). Kinds plug in by subclassing ``Provider``.
"""

from .applier import ApplyEvent, ApplyResult, apply_plan
from .errors import CycleError, EngineError, LockError, PlanError, StalePlanError, StateError
from .graph import DependencyGraph
from .model import (
    SENSITIVE_MASK,
    UNKNOWN,
    Action,
    CheckResult,
    DriftItem,
    FieldChange,
    Note,
    Observed,
    Plan,
    PlannedChange,
)
from .planner import DesiredResource, PlanResult, accept_drift, make_plan
from .provider import Provider, RefreshItem, SpecError
from .state import StateRecord, StateStore

__all__ = [
    "SENSITIVE_MASK",
    "UNKNOWN",
    "Action",
    "ApplyEvent",
    "ApplyResult",
    "CheckResult",
    "CycleError",
    "DependencyGraph",
    "DesiredResource",
    "DriftItem",
    "EngineError",
    "FieldChange",
    "LockError",
    "Note",
    "Observed",
    "Plan",
    "PlanError",
    "PlanResult",
    "PlannedChange",
    "Provider",
    "RefreshItem",
    "SpecError",
    "StalePlanError",
    "StateError",
    "StateRecord",
    "StateStore",
    "accept_drift",
    "apply_plan",
    "make_plan",
]
