"""Saved plan files (``reconciler plan -out FILE``, ``reconciler apply FILE``): format, read/write,
staleness.

A plan file is one JSON object::

    {"kind": "aem-assets-reconciler-plan",
     "config_path": "<absolute path of the configuration root>",
     "config_files": ["<file>", ...],
     "recursive": <bool: the configuration was loaded with its subdirectories>,
     "plan": <the JSON plan, format of reconciler.render.jsonplan (format_version 1.0)>}

Applying it is refused (``StalePlanError``) when it was made for another state (lineage), when the
configuration (digest) or the state (serial: another apply ran) changed since, or when a new plan
of the same configuration would no longer do what it says (its ``(address, actions)`` pairs
differ: the services changed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import StalePlanError

PLAN_FILE_KIND = "aem-assets-reconciler-plan"
_REMAKE = "make a new plan with `reconciler plan -out FILE`"


@dataclass
class SavedPlan:
    """A plan file as read: ``plan`` is the JSON plan document."""

    config_path: Path
    config_files: list[str]
    plan: dict[str, Any]
    recursive: bool = False

    @property
    def targets(self) -> tuple[str, ...]:
        """The ``--target`` addresses the plan was made with."""
        return tuple(self.plan.get("targets", []))

    @property
    def replace(self) -> tuple[str, ...]:
        """The ``--replace`` addresses the plan was made with."""
        return tuple(self.plan.get("replace", []))


def write_plan_file(
    path: Path, config_root: Path, config_files: list[Path], plan_doc: dict[str, Any], *, recursive: bool = False
) -> None:
    """Write ``plan_doc`` (a JSON plan) to ``path`` with where it was made from and how it was loaded
    (``recursive``: with its subdirectories, so that ``apply FILE`` loads it the same way). Raises OSError."""
    payload = {
        "kind": PLAN_FILE_KIND,
        "config_path": str(Path(config_root).resolve()),
        "config_files": [str(f) for f in config_files],
        "recursive": recursive,
        "plan": plan_doc,
    }
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")


def read_plan_file(path: Path) -> SavedPlan | None:
    """The plan file at ``path``, or None when ``path`` is not one (not JSON, another kind)."""
    try:
        payload = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError, OSError):
        return None
    if isinstance(payload, dict) and payload.get("kind") == PLAN_FILE_KIND:
        return SavedPlan(
            Path(payload["config_path"]),
            list(payload.get("config_files", [])),
            payload["plan"],
            recursive=bool(payload.get("recursive", False)),
        )
    return None


def check_fresh(saved: SavedPlan, *, lineage: str, serial: int, config_digest: str) -> None:
    """Before re-planning: raise StalePlanError when the state or the configuration moved on."""
    doc = saved.plan
    if doc["lineage"] != lineage:
        raise StalePlanError(
            f"the plan was made for another state (lineage {doc['lineage']}, the state here is {lineage}); {_REMAKE}"
        )
    if doc["config_digest"] != config_digest:
        raise StalePlanError(f"stale plan: the configuration changed since the plan was made; {_REMAKE}")
    if doc["serial"] != serial:
        raise StalePlanError(
            f"stale plan: the state changed since the plan was made (serial {doc['serial']} -> {serial}:"
            f" another apply ran); {_REMAKE}"
        )


def action_signature(doc: dict[str, Any]) -> list[tuple[str, tuple[str, ...]]]:
    """(address, actions) pairs of a JSON plan: what a saved plan promises to do."""
    return [(c["address"], tuple(c["actions"])) for c in doc["resource_changes"]]


def check_same_actions(saved: SavedPlan, now: dict[str, Any]) -> None:
    """After re-planning (``now``: the new JSON plan): raise StalePlanError when it would do
    something else than the saved plan."""
    if action_signature(now) != action_signature(saved.plan):
        raise StalePlanError(
            "stale plan: the services changed since the plan was made, so it would no longer do what it says; "
            + _REMAKE
        )
