"""Import: take one existing object under management by its id, as *adopted*.

Two ways in: an ``import:`` block in the configuration (the plan adopts the object, and stops with
an error instead of creating it when it is missing) and ``reconciler import ADDR ID`` (writes the
state record at once, with no write to the service; the next plan shows any update the declaration
still asks for). Either way the object is recorded ``managed=False``: this tool never deletes it,
removing it from the configuration only forgets it. The model is Terraform's ``import`` command and
blocks (https://developer.hashicorp.com/terraform/cli/import,
https://developer.hashicorp.com/terraform/language/import).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .diff import observed_attributes
from .model import Action, Observed, PlannedChange
from .state import StateRecord

__all__ = ["check_import", "id_matches", "imported_record"]

Errors = list[tuple[str | None, str]]


def id_matches(import_id: str, remote_id: str | None, identity: str | None) -> bool:
    """True when ``import_id`` names the object of ``remote_id`` / ``identity``: it is the remote
    id, the natural key as the plan prints it (``author:/content/dam/x``), or the natural key without
    its ``connection:`` or ``org/`` prefix (``/content/dam/x``, a user's e-mail)."""
    candidates = {remote_id, identity}
    if identity:
        prefix_end = ":" if ":" in identity else "/"  # connection:key, or org/key (users, applications)
        candidates.add(identity.partition(prefix_end)[2].strip())
    return import_id.strip() in {c for c in candidates if c}


def check_import(
    addr: str, import_id: str, change: PlannedChange, obs: Observed | None, rec: StateRecord | None, errors: Errors
) -> None:
    """The plan's rules for a resource with an import id (``errors`` gets ``(addr, message)``):

    * already in state: nothing to import when the record is that object (the block is history, as
      in Terraform: an object deleted outside since is created again, with a note); another object
      is an error;
    * not found: an error (an import never creates);
    * found, but the id names another object than the declaration's natural key finds: an error;
    * else the planned adopt (or adopt-and-update/replace) gets a note naming the import.
    """
    if rec is not None:
        if not id_matches(import_id, rec.remote_id, change.identity):
            errors.append(
                (addr, f"import: {addr} is already in the state as {rec.remote_id}, not {import_id};"
                 " remove the import block, or forget the record first (`reconciler state rm`)")
            )  # fmt: skip
        elif change.action == Action.CREATE:
            change.notes.append(
                f"the import block (id {import_id}) is done: {addr} is in the state; its object was deleted"
                " outside this tool, so it is created again"
            )
        return
    if obs is None or change.action == Action.CREATE:
        what = change.identity or addr
        errors.append(
            (addr, f"import: no object with id {import_id!r} was found (looked up by the declaration's natural key"
             f" {what}); an import never creates: check the id and the declared key")
        )  # fmt: skip
        return
    if not id_matches(import_id, obs.remote_id, change.identity):
        errors.append(
            (addr, f"import: the id {import_id!r} does not name the object the declaration finds"
             f" ({change.identity or obs.remote_id}, id {obs.remote_id}); make the declaration's key match the id")
        )  # fmt: skip
        return
    change.notes.append(f"imported from the import block (id {import_id}); recorded as adopted, never deleted")


def imported_record(
    addr: str, kind: str, want: Mapping[str, Any], obs: Observed, dependencies: list[str], *, prevent_destroy: bool
) -> StateRecord:
    """The state record ``reconciler import`` writes: the object as observed, ``managed=False``, its
    managed attributes (the keys of ``want``) as the service reports them, no secret hashes (the
    live secret values are not known, so the next plan shows them as set)."""
    return StateRecord(
        address=addr,
        kind=kind,
        remote_id=obs.remote_id,
        managed=False,
        prevent_destroy=prevent_destroy,
        outputs=dict(obs.outputs),
        attributes=observed_attributes(want, obs),
        dependencies=sorted(dependencies),
    )
