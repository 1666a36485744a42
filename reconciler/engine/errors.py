"""Every error class of the engine, in two families. Each carries a one-line, secret-free message
meant for the user.

``EngineError``: raised by the engine itself on purpose (never a bug)::

    EngineError
    ├── CycleError        the dependency graph has a cycle
    ├── PlanError         the plan cannot be made (every problem found, by address)
    ├── LockError         the state is locked by another run
    ├── StateError        the state file is unreadable or of another lineage
    └── StalePlanError    a saved plan no longer matches the state, the configuration or the services

``ProviderError``: raised by a provider (a kind) about one resource, or by the applier about one
action. The planner turns ``SpecError`` into plan errors; the applier records the others as the
action's failure, and retries an action that raised ``TemporaryError`` (kopf's
``TemporaryError(delay)`` idea) a bounded number of times::

    ProviderError         permanent: retrying cannot help
    ├── SpecError         a spec is invalid once its references are resolved
    ├── ActionFailed      an action could not be carried out (e.g. still-unknown values)
    ├── TemporaryError    try again after ``delay_s`` seconds (the object is not ready yet, ...)
    └── reconciler.kinds.errors.KindError   errors of the kinds' own machinery (ConnectionMissing)
"""

from __future__ import annotations


class EngineError(Exception):
    """Base class of errors the engine raises on purpose (never a bug)."""


class CycleError(EngineError):
    """The dependency graph has a cycle; ``cycle`` lists the addresses, first repeated last."""

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__("dependency cycle: " + " -> ".join(cycle))


class PlanError(EngineError):
    """The plan cannot be made; ``errors`` holds ``(address or None, message)`` pairs."""

    def __init__(self, errors: list[tuple[str | None, str]]) -> None:
        self.errors = errors
        lines = [f"{addr}: {msg}" if addr else msg for addr, msg in errors]
        super().__init__("\n".join(lines))


class LockError(EngineError):
    """The state is locked by another run; the message names the holder."""


class StateError(EngineError):
    """The state file is unreadable or of another lineage."""


class StalePlanError(EngineError):
    """A saved plan no longer matches the state or the configuration."""


class ProviderError(Exception):
    """Base class of errors about one resource raised by a provider or the applier. Permanent:
    the applier records the action as failed and does not retry it."""


class SpecError(ProviderError):
    """A spec is invalid once its references are resolved; ``messages`` are one-line sentences."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("; ".join(messages))


class ActionFailed(ProviderError):
    """An action could not be carried out; the message is one line for the user."""


class TemporaryError(ProviderError):
    """The action may succeed later: the applier waits ``delay_s`` seconds (>= 0) and runs the
    action again, at most ``apply_plan(..., retries=N)`` more times, before recording the failure."""

    def __init__(self, message: str, delay_s: float = 1.0) -> None:
        self.delay_s = max(0.0, delay_s)
        super().__init__(message)
