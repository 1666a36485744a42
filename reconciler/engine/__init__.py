"""The engine: Adobe-free addresses, dependency graph, diff, plan, apply and state.

Never imports ``reconciler.kinds``, ``reconciler.clients`` or ``reconciler.sandbox`` (a test checks
it). Kinds plug in by subclassing ``Provider``.
"""

from .applier import ApplyEvent, ApplyResult, apply_plan, content_loss_refused
from .backends import BACKEND_ENV, WORKSPACE_ENV, is_postgres, local_state_path, open_state
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
from .provider import PrefetchItem, Provider, RefreshItem, SpecT
from .state import (
    Intent,
    LockInfo,
    Snapshot,
    StateBackend,
    StateRecord,
    StateStore,
    forget_address,
    move_address,
    parse_duration,
)

__all__ = [
    "BACKEND_ENV",
    "SENSITIVE_MASK",
    "UNKNOWN",
    "WORKSPACE_ENV",
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
    "Intent",
    "LockError",
    "LockInfo",
    "Note",
    "Observed",
    "Plan",
    "PlanError",
    "PlanResult",
    "PlannedChange",
    "PrefetchItem",
    "Provider",
    "ProviderError",
    "RefreshItem",
    "Snapshot",
    "SpecError",
    "SpecT",
    "StalePlanError",
    "StateBackend",
    "StateError",
    "StateRecord",
    "StateStore",
    "TemporaryError",
    "Unknown",
    "accept_drift",
    "apply_plan",
    "content_loss_refused",
    "forget_address",
    "is_postgres",
    "is_unknown",
    "local_state_path",
    "make_plan",
    "move_address",
    "open_state",
    "parse_duration",
]
