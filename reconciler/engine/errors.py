"""Engine errors. Each carries a one-line, secret-free message meant for the user."""

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
