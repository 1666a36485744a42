"""Saved plan files (``reconciler plan -out FILE``, ``reconciler apply FILE``): format, read/write,
staleness.

A plan file is one JSON object::

    {"kind": "aem-assets-reconciler-plan",
     "config_path": "<the configuration root, relative to the directory plan ran in (posix)>",
     "config_path_from_plan": "<the same, relative to the plan file's directory>",
     "config_files": ["<file, relative to the configuration root>", ...],
     "recursive": <bool: the configuration was loaded with its subdirectories>,
     "backend": "<the state backend's identity, no credentials: local | postgresql://host:port/db#workspace>",
     "destroy": <bool: a plan -destroy, applied as one>,
     "state_digests": {"<address>": "<sha256 hex of its state record>", ...},
     "file_digests": {"<file, relative to the root>": "<sha256 hex of its bytes>", ...},
     "secret_digests": {"<address>": {"<sensitive attribute>": "<keyed hash of its value>"}, ...},
     "plan": <the JSON plan, format of reconciler.render.jsonplan (format_version 1.0)>}

No absolute path: a plan made on one CI runner applies on another checkout of the same commit
(``resolve_config_path``). Files written before this format held an absolute ``config_path``; they
are still read. Applying is refused (``StalePlanError``) when it was made for another state (lineage), when the
configuration (digest) or the state (serial: another apply ran) changed since, or when a new plan
of the same configuration would no longer do what it says (its ``(address, actions)`` pairs
differ: the services changed), or when a declared resource's secret has another value now
(``secret_digests``: the state's keyed hashes, never a value; a secret comes from the environment
or a file, so the configuration's digest does not see it change). The stale message says what
changed: which files (``file_digests``), which addresses of the state (``state_digests``), which
secrets (``address.attribute``); files written without them say only that the configuration or
the state changed, and are not checked for secrets.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import StalePlanError
from .provider import Provider
from .resolve import unresolved_paths
from .state import StateBackend, StateRecord

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
    destroy: bool = False
    state_digests: dict[str, str] | None = None
    file_digests: dict[str, str] | None = None
    secret_digests: dict[str, dict[str, str]] | None = None

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


def record_digests(records: Mapping[str, StateRecord]) -> dict[str, str]:
    """address -> sha256 hex of the state record (its JSON form, keys sorted): what a saved plan
    compares to say which addresses changed since it was made."""
    return {
        addr: hashlib.sha256(json.dumps(rec.to_json(), sort_keys=True, default=str).encode()).hexdigest()
        for addr, rec in records.items()
    }


def file_digests(config_root: Path, config_files: list[Path]) -> dict[str, str]:
    """file relative to ``config_root`` (posix) -> sha256 hex of its bytes (an unreadable file:
    ``""``): what a saved plan compares to say which files changed since it was made."""
    out: dict[str, str] = {}
    for f in config_files:
        try:
            out[_rel(Path(f), Path(config_root))] = hashlib.sha256(Path(f).read_bytes()).hexdigest()
        except OSError:
            out[_rel(Path(f), Path(config_root))] = ""
    return out


def secret_digests(
    kinds: Mapping[str, str], specs: Mapping[str, Any], providers: Mapping[str, Provider[Any]], state: StateBackend
) -> dict[str, dict[str, str]]:
    """address -> {sensitive attribute -> keyed hash (``StateBackend.secret_hash``, HMAC-SHA256 hex)}
    of the secret values of every declared resource (``kinds``: address -> kind; ``specs``: the
    plan's parsed specs by address; ``providers``: by kind), as known at plan time (a value still
    unknown is left out). No-ops count too: a secret rotated after a plan without changes would be
    written by its apply. No value leaves this function, only hashes keyed with the team's key."""
    out: dict[str, dict[str, str]] = {}
    for address, kind in kinds.items():
        if address not in specs:
            continue
        values = providers[kind].secrets(specs[address])
        hashes = {
            name: state.secret_hash(address, name, value)
            for name, value in sorted(values.items())
            if not unresolved_paths({name: value})
        }
        if hashes:
            out[address] = hashes
    return out


def write_plan_file(
    path: Path,
    config_root: Path,
    config_files: list[Path],
    plan_doc: dict[str, Any],
    *,
    recursive: bool = False,
    backend: str = "local",
    cwd: Path | None = None,
    destroy: bool = False,
    records: Mapping[str, StateRecord] | None = None,
    secrets: Mapping[str, Mapping[str, str]] | None = None,
) -> None:
    """Write ``plan_doc`` (a JSON plan) to ``path`` with where it was made from (the configuration
    root relative to ``cwd``, default the current directory, and to the plan file; the files relative
    to the root, with their digests), how it was loaded (``recursive``: with its subdirectories, so
    that ``apply FILE`` loads it the same way), whether it is a ``destroy`` plan, the state
    ``backend``'s identity and the digests of the state's ``records`` (address -> record) it was
    made from, and the keyed hashes of the declared resources' ``secrets`` (:func:`secret_digests`).
    Raises OSError."""
    root = Path(config_root)
    payload: dict[str, Any] = {
        "kind": PLAN_FILE_KIND,
        "config_path": _rel(root, cwd or Path.cwd()),
        "config_path_from_plan": _rel(root, Path(path).absolute().parent),
        "config_files": [_rel(Path(f), root) for f in config_files],
        "recursive": recursive,
        "backend": backend,
        "destroy": destroy,
        "file_digests": file_digests(root, config_files),
        "plan": plan_doc,
    }
    if records is not None:
        payload["state_digests"] = record_digests(records)
    if secrets is not None:
        payload["secret_digests"] = {addr: dict(fields) for addr, fields in secrets.items()}
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
            destroy=bool(payload.get("destroy", False)),
            state_digests=payload.get("state_digests"),
            file_digests=payload.get("file_digests"),
            secret_digests=payload.get("secret_digests"),
        )
    return None


def _holds_config(directory: Path, config_files: list[str]) -> bool:
    """Whether ``directory`` is one and holds at least one of the plan's ``config_files`` (relative
    to it), or the plan recorded none. At least one, not all: a file renamed since the plan was made
    is a stale plan (the digest), not another directory."""
    if not directory.is_dir():
        return False
    return not config_files or any((directory / f).is_file() for f in config_files)


def resolve_config_path(saved: SavedPlan, *, plan_file: Path, cwd: Path) -> Path | None:
    """Where the saved plan's configuration is in this checkout: ``config_path`` from ``cwd`` (apply
    runs where plan ran, e.g. the repository root) when that directory holds the plan's files
    (:func:`_holds_config`); when there is no such directory at all, ``config_path_from_plan``
    from the plan file's directory (a plan file kept inside the checkout, applied from elsewhere);
    an absolute path (older plan files) as is. None otherwise: in particular when ``cwd`` is another
    directory than the one plan ran in (``config_path`` ``.`` names ``cwd`` itself) and lacks the
    configuration; :func:`plan_origin` then says where the plan was made."""
    first = saved.config_path if saved.config_path.is_absolute() else cwd / saved.config_path
    if _holds_config(first, saved.config_files):
        return first
    if first.is_dir() or saved.config_path_from_plan is None:
        return None
    second = Path(plan_file).absolute().parent / saved.config_path_from_plan
    return second if _holds_config(second, saved.config_files) else None


def plan_origin(saved: SavedPlan, *, plan_file: Path) -> tuple[Path, Path] | None:
    """(configuration root, directory ``plan`` ran in), both absolute and normalized, as found from
    the plan file's location (``config_path_from_plan``) when that directory holds the plan's
    files; None when the plan file does not tell (older files) or it is not there. The directory
    plan ran in is the root with ``config_path``'s parts taken off (the root itself when
    ``config_path`` climbs with ``..`` or is absolute)."""
    if saved.config_path_from_plan is None:
        return None
    root = Path(os.path.normpath(Path(plan_file).absolute().parent / saved.config_path_from_plan))
    if not _holds_config(root, saved.config_files):
        return None
    parts = saved.config_path.parts
    ran_in = root
    if not saved.config_path.is_absolute() and ".." not in parts:
        for _ in (p for p in parts if p != "."):
            ran_in = ran_in.parent
    return root, ran_in


def _changes(before: Mapping[str, str], now: Mapping[str, str], limit: int = 10) -> str:
    """``"a changed, b added, c removed"``: the keys whose digest differs, sorted, at most ``limit``
    then ``"and N more"``; ``""`` when none differs."""
    found = [
        f"{k} {'added' if k not in before else 'removed' if k not in now else 'changed'}"
        for k in sorted(set(before) | set(now))
        if before.get(k) != now.get(k)
    ]
    extra = f", and {len(found) - limit} more" if len(found) > limit else ""
    return ", ".join(found[:limit]) + extra


def check_fresh(
    saved: SavedPlan,
    *,
    lineage: str,
    serial: int,
    config_digest: str,
    backend: str | None = None,
    records: Mapping[str, StateRecord] | None = None,
    files: Mapping[str, str] | None = None,
) -> None:
    """Before re-planning: raise StalePlanError when the state or the configuration moved on
    (``backend``: this run's backend identity, named in the message when the lineage differs).
    ``records`` (the state's address -> record now) and ``files`` (:func:`file_digests` of the
    configuration now) let the message say which addresses and files changed, when the plan file
    recorded them."""
    doc = saved.plan
    if doc["lineage"] != lineage:
        where = ""
        if saved.backend and backend and saved.backend != backend:
            where = f" in {saved.backend}; this run uses {backend}"
        raise StalePlanError(
            f"the plan was made for another state (lineage {doc['lineage']}{where}, the state here is {lineage});"
            f" {_REMAKE}"
        )
    reasons = []
    if doc["config_digest"] != config_digest:
        changed = _changes(saved.file_digests, files) if saved.file_digests is not None and files else ""
        reasons.append("the configuration changed" + (f" ({changed})" if changed else ""))
    if doc["serial"] != serial:
        changed = _changes(saved.state_digests, record_digests(records)) if (
            saved.state_digests is not None and records is not None) else ""
        reasons.append(f"the state changed (serial {doc['serial']} -> {serial}: another apply or state command ran"
                       + (f"; {changed})" if changed else ")"))
    if reasons:
        raise StalePlanError(f"stale plan: since the plan was made, {', and '.join(reasons)}; {_REMAKE}")


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


def check_same_secrets(saved: SavedPlan, now: Mapping[str, Mapping[str, str]], limit: int = 10) -> None:
    """After re-planning (``now``: :func:`secret_digests` of the new plan): raise StalePlanError
    naming each ``address.attribute`` whose secret value differs from the one the saved plan was made
    with (at most ``limit``, then "and N more"). A plan file without ``secret_digests`` is not checked."""
    if saved.secret_digests is None:
        return
    changed = [
        f"{addr}.{name}"
        for addr, fields in sorted(saved.secret_digests.items())
        for name, digest in sorted(fields.items())
        if now.get(addr, {}).get(name) != digest
    ]
    if changed:
        extra = f", and {len(changed) - limit} more" if len(changed) > limit else ""
        raise StalePlanError(
            f"stale plan: since the plan was made, the secret value of {', '.join(changed[:limit])}{extra} changed"
            " (it comes from the environment or a file, which the plan does not hold); apply with the values the"
            f" plan was made with, or {_REMAKE}"
        )
