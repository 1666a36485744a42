"""Sensitive attributes: compared by keyed hash against state, never stored or shown in clear.

Shared by the planner (what changes) and the applier (what to write, and the hashes to record).
"""

from __future__ import annotations

from typing import Any

from .model import SENSITIVE_MASK, UNKNOWN, FieldChange
from .provider import Provider
from .resolve import unresolved_paths
from .state import StateBackend, StateRecord


def secret_changes(
    addr: str, provider: Provider[Any], spec: Any, record: StateRecord | None, state: StateBackend
) -> tuple[list[FieldChange], dict[str, str]]:
    """Changes in the sensitive attributes of ``spec`` and their new hashes.

    Returns ``(changes, hashes)``: ``changes`` has one masked ``FieldChange`` per sensitive
    attribute whose keyed hash differs from ``record`` (every one when ``record`` is None) or whose
    value is still unknown (``after`` is ``UNKNOWN``); ``hashes`` maps each known attribute to its
    keyed hash (``StateBackend.secret_hash``), for the state record.
    """
    hashes: dict[str, str] = {}
    out: list[FieldChange] = []
    for name, value in sorted(provider.secrets(spec).items()):
        if unresolved_paths({name: value}):
            out.append(FieldChange(name, SENSITIVE_MASK, UNKNOWN, sensitive=True))
            continue
        digest = state.secret_hash(addr, name, value)
        hashes[name] = digest
        if record is None or record.secret_hashes.get(name) != digest:
            explanation = "sensitive value changed" if record else "sensitive value set"
            out.append(FieldChange(name, SENSITIVE_MASK, SENSITIVE_MASK, sensitive=True, explanation=explanation))
    return out, hashes
