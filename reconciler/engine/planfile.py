"""Saved plan files (``reconciler plan -out FILE``, ``reconciler apply FILE``): format, read/write,
staleness.

A plan file is one JSON object::

    {"kind": "aem-assets-reconciler-plan",
     "config_path": "<the configuration root, relative to the directory plan ran in (posix)>",
     "config_path_from_plan": "<the same, relative to the plan file's directory>",
     "config_files": ["<file, relative to the configuration root>", ...],
     "recursive": <bool: the configuration was loaded with its subdirectories>,
     "backend": "<the state backend's identity, no credentials: local | postgresql://host:port/db#workspace>",
     "plan": <the JSON plan, format of reconciler.render.jsonplan (format_version 1.0)>}

No absolute path: a plan made on one CI runner applies on another checkout of the same commit
(``resolve_config_path``). Files written before this format held an absolute ``config_path``; they
are still read. Applying is refused (``StalePlanError``) when it was made for another state (lineage), when the
configuration (digest) or the state (serial: another apply ran) changed since, or when a new plan
of the same configuration would no longer do what it says (its ``(address, actions)`` pairs
differ: the services changed).
"""

from __future__ import annotations

import json
import os
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
    config_path_from_plan: str | None = None
    backend: str | None = None

    @property
    def targets(self) -> tuple[str, ...]:
        """The ``--target`` addresses the plan was made with."""
        return tuple(self.plan.get("targets", []))

    @property
    def replace(self) -> tuple[str, ...]:
        """The ``--replace`` addresses the plan was made with."""
        return tuple(self.plan.get("replace", []))


def _rel(target: Path, start: Path) -> str:
    return Path(os.path.relpath(target.resolve(), start.resolve())).as_posix()


def write_plan_file(
    path: Path,
    config_root: Path,
    config_files: list[Path],
    plan_doc: dict[str, Any],
    *,
    recursive: bool = False,
    backend: str = "local",
    cwd: Path | None = None,
) -> None:
    """Write ``plan_doc`` (a JSON plan) to ``path`` with where it was made from (the configuration
    root relative to ``cwd``, default the current directory, and to the plan file; the files relative
    to the root), how it was loaded (``recursive``: with its subdirectories, so that ``apply FILE``
    loads it the same way) and the state ``backend``'s identity. Raises OSError."""
    root = Path(config_root)
    payload = {
        "kind": PLAN_FILE_KIND,
        "config_path": _rel(root, cwd or Path.cwd()),
        "config_path_from_plan": _rel(root, Path(path).absolute().parent),
        "config_files": [_rel(Path(f), root) for f in config_files],
        "recursive": recursive,
        "backend": backend,
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
            config_path_from_plan=payload.get("config_path_from_plan"),
            backend=payload.get("backend"),
        )
    return None


def resolve_config_path(saved: SavedPlan, *, plan_file: Path, cwd: Path) -> Path | None:
    """Where the saved plan's configuration is in this checkout: ``config_path`` from ``cwd`` (apply
    runs where plan ran, e.g. the repository root), else ``config_path_from_plan`` from the plan
    file's directory; an absolute path (older plan files) as is. None when none is a directory."""
    candidates = [saved.config_path if saved.config_path.is_absolute() else cwd / saved.config_path]
    if saved.config_path_from_plan is not None:
        candidates.append(Path(plan_file).absolute().parent / saved.config_path_from_plan)
    for c in candidates:
        if c.is_dir():
            return c
    return None


def check_fresh(
    saved: SavedPlan, *, lineage: str, serial: int, config_digest: str, backend: str | None = None
) -> None:
    """Before re-planning: raise StalePlanError when the state or the configuration moved on
    (``backend``: this run's backend identity, named in the message when the lineage differs)."""
    doc = saved.plan
    if doc["lineage"] != lineage:
        where = ""
        if saved.backend and backend and saved.backend != backend:
            where = f" in {saved.backend}; this run uses {backend}"
        raise StalePlanError(
            f"the plan was made for another state (lineage {doc['lineage']}{where}, the state here is {lineage});"
            f" {_REMAKE}"
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
