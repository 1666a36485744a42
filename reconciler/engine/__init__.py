"""The engine: Adobe-free addresses, dependency graph, diff, plan, apply and state.

Never imports ``reconciler.kinds``, ``reconciler.clients`` or ``reconciler.sandbox`` (a test checks
it). Kinds plug in by subclassing ``Provider``.
"""

from .applier import ApplyEvent, ApplyResult, apply_plan
from .errors import (
    ActionFailed,
    CycleError,
    EngineError,
    LockError,
    PlanError,
    ProviderError,
    SpecError,
    StalePlanError,
    StateError,
    TemporaryError,
)
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
    Unknown,
    is_unknown,
)
from .planner import DesiredResource, PlanResult, accept_drift, make_plan
from .provider import Provider, RefreshItem, SpecT
from .state import StateRecord, StateStore

__all__ = [
    "SENSITIVE_MASK",
    "UNKNOWN",
    "Action",
    "ActionFailed",
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
    "ProviderError",
    "RefreshItem",
    "SpecError",
    "SpecT",
    "StalePlanError",
    "StateError",
    "StateRecord",
    "StateStore",
    "TemporaryError",
    "Unknown",
    "accept_drift",
    "apply_plan",
    "is_unknown",
    "make_plan",
]
