"""Attributes that cannot be changed in place: said offline, with the place, and what to do.

Two kinds of findings, both warnings (the plan still says what it will do):

* **never applied** (:data:`NOT_APPLIED`): a field the service never lets this tool change, such as
  an Adobe ID's name (the User Management API refuses it: ``error.update.adobeid.no``,
  /work/shared/reference/adobe-umapi.md). Reported whenever the configuration sets it.
* **changed since the last apply** (:func:`rule_changed_in_state`), only when relevant: the local
  state (read-only, ``engine.state.read_records_offline``; nothing when the state is remote or
  absent) recorded another value (compared in the form the provider derives, :func:`desired_offline`)
  for

  - a field that forces a replacement (the kind's ``Provider.replace_fields``, read from the
    provider class, as YAML field names by :func:`replacement_fields`): the plan will delete the
    object and create it again, so the warning says what is lost and how to keep the object;
  - the field that says *where* the object lives (``connection``; a user's or an application's
    ``org``; an org's ``ims_org_id``): a resource never moves to another service, and the plan
    would keep managing the object where it is while the YAML says otherwise, so the warning says
    how to move it.

Values that are references (``${...}``) are known only at plan time and are not compared here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.config.diagnostics import Diagnostic
from reconciler.config.loader import LoadedConfig, ResourceDecl
from reconciler.engine import ProviderError, SpecError, Unknown, is_unknown
from reconciler.engine.backends import BACKEND_ENV, local_state_path
from reconciler.engine.state import StateRecord, read_records_offline
from reconciler.kinds import REGISTRY, ProviderContext
from reconciler.refs import is_unresolved

from .environments import environment


@dataclass(frozen=True)
class NotApplied:
    """A field whose value this tool never applies to an existing object: ``why`` (with the
    source), ``todo`` (what the user can do) and ``when`` (the declarations it concerns)."""

    field: str
    why: str
    todo: str
    when: Callable[[ResourceDecl], bool]


def _adobe_id(decl: ResourceDecl) -> bool:
    return getattr(decl.spec, "type", None) == "adobe_id"


_ADOBE_ID_NAME = (
    "an Adobe ID belongs to its owner: the User Management API refuses to update its name"
    " (error.update.adobeid.no), so this value is never applied to the account"
)

#: kind -> fields the configuration may set but this tool never applies (see the module docstring)
NOT_APPLIED: dict[str, tuple[NotApplied, ...]] = {
    "users": (
        NotApplied("firstname", _ADOBE_ID_NAME, "remove it (the owner changes it in their Adobe account)", _adobe_id),
        NotApplied("lastname", _ADOBE_ID_NAME, "remove it (the owner changes it in their Adobe account)", _adobe_id),
    ),
}

#: kind -> {attribute in ``Provider.replace_fields``: the YAML field it comes from}, where they differ
_ATTR_FIELDS: dict[str, dict[str, str]] = {
    "workfront_linked_folders": {"object_id": "id", "object_name": "name"},
}

#: kind -> what a replacement destroys beyond the object itself, for the warning
_LOSES = {
    "folders": "the folder and every asset in it",
    "cloud_configs": "the configuration (AEM's mac-sync agents made for it are forgotten, not deleted)",
    "applications": "the Console project, its credential and its application ID (every client_id using it)",
}


def replacement_fields(kind: str) -> dict[str, str]:
    """``{YAML field: attribute}`` of the fields of ``kind`` whose change forces a replacement (the
    provider class's ``replace_fields`` that the spec model has as fields); ``{}`` for an unknown kind."""
    kdef = REGISTRY.get(kind)
    if kdef is None:
        return {}
    attrs: frozenset[str] = getattr(kdef.provider, "replace_fields", frozenset())
    names = _ATTR_FIELDS.get(kind, {})
    out = {names.get(a, a): a for a in sorted(attrs)}
    return {f: a for f, a in out.items() if f in kdef.model.model_fields}


def rule_not_applied(loaded: LoadedConfig) -> list[Diagnostic]:
    """A warning for each field set in the configuration that is never applied (:data:`NOT_APPLIED`)."""
    out: list[Diagnostic] = []
    for decl in loaded.resources.values():
        for item in NOT_APPLIED.get(decl.kind, ()):
            if item.field in decl.data and item.when(decl):
                out.append(
                    Diagnostic(
                        "warning",
                        f"{decl.address}.{item.field} cannot be changed by this tool: it is never applied",
                        item.why,
                        decl.field_locs.get(item.field, decl.loc),
                        decl.address,
                        item.todo,
                    )
                )
    return out


def _yaml_value(decl: ResourceDecl, field: str) -> Any:
    """The literal value the configuration gives ``field``; None when unset or unknown offline."""
    value = decl.data.get(field)
    if isinstance(value, str) and is_unresolved(value):
        return None
    return value if isinstance(value, str | bool | int | float) else None


def _show(value: Any) -> str:
    """A value as YAML/JSON writes it (``false``, ``"assets-sync"``)."""
    return json.dumps(value)


def _record_of(decl: ResourceDecl, records: Mapping[str, StateRecord]) -> StateRecord | None:
    for addr in (decl.address, *reversed(decl.moved_from)):
        if addr in records:
            return records[addr]
    return None


def desired_offline(
    loaded: LoadedConfig, decl: ResourceDecl, providers: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """The attributes the kind's provider derives from the declaration (``Provider.desired``, the
    form the state records and the plan compares: defaults filled in, values normalised), computed
    offline: no links, no client made; a top-level ``${...}`` reference is passed as an engine
    ``Unknown`` (known after apply). None when the spec cannot be parsed before references resolve.
    ``providers``: a cache, kind -> provider, shared by the calls of one check."""
    kdef = REGISTRY[decl.kind]
    data = {k: Unknown(None, v) if isinstance(v, str) and is_unresolved(v) else v for k, v in decl.data.items()}
    cache = {} if providers is None else providers
    try:
        if decl.kind not in cache:
            cache[decl.kind] = kdef.provider(ProviderContext(loaded.connections))
        provider = cache[decl.kind]
        return dict(provider.desired(provider.parse(decl.address, data)))
    except (ProviderError, SpecError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _known(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and is_unresolved(value)) and not is_unknown(value)


def _plain_equal(spec_value: Any, recorded: Any) -> bool:
    """True when a spec field's value is a plain scalar equal to the recorded attribute (the
    cheap check before parsing the spec the way the provider does; anything else is parsed)."""
    plain = isinstance(spec_value, str | bool | int | float)
    return plain and type(spec_value) is type(recorded) and spec_value == recorded


def _replacement_warnings(
    loaded: LoadedConfig, decl: ResourceDecl, rec: StateRecord, providers: dict[str, Any]
) -> list[Diagnostic]:
    fields = replacement_fields(decl.kind)
    if all(_plain_equal(getattr(decl.spec, f, None), rec.attributes.get(a)) for f, a in fields.items()):
        return []  # the validated spec (defaults filled in) holds what was applied: no need to parse it
    want = desired_offline(loaded, decl, providers) if fields else None
    if want is None:
        return []
    out = []
    for field, attr in fields.items():
        new, old = want.get(attr), rec.attributes.get(attr)
        if not _known(new) or old is None or new == old:
            continue
        what = _LOSES.get(decl.kind, f"the {decl.kind.removesuffix('s')}")
        if decl.kind == "folders":
            what += (
                " (lifecycle.allow_content_loss is set: they are lost)"
                if decl.lifecycle.allow_content_loss
                else " (when it holds assets, apply stops unless lifecycle: {allow_content_loss: true})"
            )
        out.append(
            Diagnostic(
                "warning",
                f"{decl.address}: {field} cannot be changed in place ({_show(old)} was applied, the"
                f" configuration says {_show(new)}): the plan replaces {rec.remote_id}",
                f"a replacement deletes {what}, then creates it again",
                decl.field_locs.get(field, decl.loc),
                decl.address,
                f"to keep the object, set {field}: {_show(old)} again; to change it, review the plan's"
                " replacement (or declare a new resource beside this one)",
            )
        )
    return out


def _home(
    loaded: LoadedConfig, decl: ResourceDecl, rec: StateRecord, records: Mapping[str, StateRecord]
) -> tuple[str, str, str] | None:
    """``(field, value applied, value configured)`` when the object would have to move to another
    service (connection, org), else None. Connections that reach one environment are the same."""
    if decl.kind == "orgs":
        new, old = _yaml_value(decl, "ims_org_id"), rec.attributes.get("ims_org_id")
        return ("ims_org_id", str(old), str(new)) if new and old and new != old else None
    if decl.kind in ("users", "applications"):  # pointed at another org (a changed org is its own warning)
        org = loaded.resources.get(f"orgs.{decl.data.get('org')}")
        new = _yaml_value(org, "ims_org_id") if org is not None else None
        org_rec = records.get(f"orgs.{decl.data.get('org')}")
        if org_rec is not None and org_rec.attributes.get("ims_org_id") != new:
            return None
        old = rec.outputs.get("org") if decl.kind == "users" else _ims_of_console_org(records, rec)
        return ("org", str(old), f"{decl.data.get('org')} ({new})") if new and old and new != old else None
    conn, old_conn = decl.data.get("connection"), rec.outputs.get("connection")
    if not isinstance(conn, str) or not isinstance(old_conn, str) or conn == old_conn:
        return None
    if environment(loaded, conn) == environment(loaded, old_conn):
        return None
    return ("connection", old_conn, conn)


def _ims_of_console_org(records: Mapping[str, StateRecord], rec: StateRecord) -> str | None:
    """The IMS org id of the org (read into state) whose Console org id ``rec`` was made under."""
    console = rec.outputs.get("org_console_id")
    for other in records.values():
        if other.kind == "orgs" and console is not None and other.outputs.get("console_org_id") == console:
            value = other.attributes.get("ims_org_id")
            return str(value) if value is not None else None
    return None


def _home_warning(decl: ResourceDecl, field: str, old: str, new: str, remote_id: str) -> Diagnostic:
    return Diagnostic(
        "warning",
        f"{decl.address}: {field} cannot be changed in place (the object is on {old!r}, the configuration"
        f" says {new!r}): the plan keeps managing {remote_id} on {old!r}",
        "a resource never moves to another service; nothing is created on the new one while the state"
        " records the object",
        decl.field_locs.get(field, decl.loc),
        decl.address,
        f"to manage the object on {new!r} instead, run `reconciler state rm {decl.address}` (the old object is"
        f" left in place) and plan again; or put {field} back"
        + (f" to {old!r}" if field != "org" else f" to the org whose ims_org_id is {old}"),
    )


def rule_changed_in_state(loaded: LoadedConfig) -> list[Diagnostic]:
    """Warnings for fields that cannot change in place and that differ from what the local state
    recorded (see the module docstring); none without a local state."""
    if loaded.backend or os.environ.get(BACKEND_ENV):  # a shared state: not read offline
        return []
    records = read_records_offline(local_state_path(loaded.root))
    if not records:
        return []
    out: list[Diagnostic] = []
    providers: dict[str, Any] = {}
    for decl in loaded.resources.values():
        rec = _record_of(decl, records)
        if rec is None or rec.kind != decl.kind:
            continue
        home = _home(loaded, decl, rec, records)
        if home is not None:
            out.append(_home_warning(decl, *home, rec.remote_id))
            continue
        out.extend(_replacement_warnings(loaded, decl, rec, providers))
    return out


RULES = [rule_not_applied, rule_changed_in_state]
