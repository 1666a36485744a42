"""Workfront's state and rules (docs/api-fidelity.md, section "Workfront"): object codes and
aliases, ``fields`` rendering, filters with ``_Mod`` modifiers, sorting and paging, creates, edits,
deletes, the linked-folder actions, ``batch``, and the native AEM integration's settings (a
sandbox-defined API, assumed).

``WorkfrontModel`` works on one transaction of the world through a ``Store``; every refusal is a
``WfError`` (status, message, Workfront exception class) answered in the ``{"error": ...}`` envelope.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.responses import JSONResponse, Response

from ..common import ServiceError
from .seed import insert_object, new_id, wf_date

DEFAULT_LIMIT = 100
MAX_LIMIT = 2000
MAX_BULK = 100
SUPPORTED_VERSIONS = (16, 22)  # v15 and older are deprecated; v22 is the newest
INTEGRATION_TYPES = ("assets_essentials", "connector", "enhanced_connector", "native")
ONE_WAY_TYPES = ("assets_essentials", "native")

#: lower-case objCode or alias -> objCode
OBJ_CODES: dict[str, str] = {}
for _code, _aliases in {
    "PROJ": ("project",),
    "PORT": ("portfolio",),
    "PRGM": ("program",),
    "DOCFDR": ("documentfolder",),
    "DOCU": ("document",),
    "EXTDOC": ("externaldocument",),
    "PARAM": ("parameter",),
    "CTGY": ("category",),
    "USER": ("user",),
    "LNKFDR": ("linkedfolder",),
}.items():
    OBJ_CODES[_code.lower()] = _code
    for _alias in _aliases:
        OBJ_CODES[_alias] = _code
#: objects that are only reachable through another object's reference field
SECONDARY = {"LNKFDR"}
CREATABLE = {"PROJ", "PORT", "PRGM", "DOCFDR", "PARAM", "CTGY"}
#: reference field name -> (ID field, objCode)
REFERENCES: dict[str, tuple[str, str]] = {
    "project": ("projectID", "PROJ"),
    "portfolio": ("portfolioID", "PORT"),
    "program": ("programID", "PRGM"),
    "linkedFolder": ("linkedFolderID", "LNKFDR"),
    "parent": ("parentID", "DOCFDR"),
    "folder": ("folderID", "DOCFDR"),
    "owner": ("ownerID", "USER"),
    "linkedBy": ("linkedByID", "USER"),
}
DEFAULT_FIELDS = {
    "PROJ": (
        "ID",
        "name",
        "objCode",
        "percentComplete",
        "plannedCompletionDate",
        "plannedStartDate",
        "priority",
        "projectedCompletionDate",
        "status",
    ),
    "DOCFDR": ("ID", "name", "objCode", "parentID", "projectID", "portfolioID", "programID", "linkedFolderID"),
    "LNKFDR": (
        "ID",
        "objCode",
        "folderID",
        "documentProviderID",
        "externalIntegrationType",
        "externalStorageID",
        "isTopLevelFolder",
        "lastSyncDate",
        "linkedByID",
        "linkedDate",
    ),
}
RESERVED = {
    "fields",
    "method",
    "$$FIRST",
    "$$LIMIT",
    "apiKey",
    "sessionID",
    "updates",
    "action",
    "map",
    "filters",
    "force",
    "id",
    "ID",
    "atomic",
    "uri",
    "concurrent",
    "copySourceID",
    "options",
}
ERROR_CLASSES = {
    400: "com.attask.common.UnsupportedOperationException",
    401: "com.attask.common.AuthenticationException",
    403: "com.attask.common.SecurityException",
    404: "com.attask.common.NotFoundException",
    409: "com.attask.common.DuplicateException",
    410: "com.attask.common.ApiVersionGoneException",
    422: "com.attask.common.InvalidParameterException",
    429: "com.attask.common.TooManyConcurrentRequestsException",
}


class WfError(ServiceError):
    """A Workfront error: HTTP ``status``, ``message`` and the exception class ``cls`` (by default
    the one Workfront uses for the status)."""

    def __init__(self, status: int, message: str, cls: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.cls = cls or ERROR_CLASSES.get(status, "com.attask.common.InternalException")

    def response(self) -> Response:
        return error_response(self.status, self.message, self.cls)


def error_response(status: int, message: str, cls: str | None = None) -> JSONResponse:
    """The ``{"error": {class, message, title, msgKey, attributes, code}}`` envelope."""
    cls = cls or ERROR_CLASSES.get(status, "com.attask.common.InternalException")
    title = cls.rsplit(".", 1)[-1]
    return JSONResponse(
        {
            "error": {
                "class": cls,
                "message": message,
                "title": title,
                "msgKey": title,
                "attributes": [],
                "code": status,
            }
        },
        status_code=status,
    )


# --------------------------------------------------------------------------------------------------
# Storage helpers
# --------------------------------------------------------------------------------------------------


class Store:
    """Object access within one transaction, with a per-request cache for reference resolution."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._all: dict[str, dict[str, dict[str, Any]]] = {}

    def all(self, code: str) -> dict[str, dict[str, Any]]:
        if code not in self._all:
            rows = self.conn.execute("SELECT data FROM wf_objects WHERE objcode=? ORDER BY seq", (code,)).fetchall()
            self._all[code] = {(d := json.loads(r[0]))["ID"]: d for r in rows}
        return self._all[code]

    def get(self, code: str, oid: str) -> dict[str, Any] | None:
        if code in self._all:
            return self._all[code].get(oid)
        row = self.conn.execute("SELECT data FROM wf_objects WHERE objcode=? AND id=?", (code, oid)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def insert(self, code: str, data: dict[str, Any]) -> dict[str, Any]:
        obj = insert_object(self.conn, code, data)
        self._all.pop(code, None)
        return obj

    def save(self, obj: dict[str, Any]) -> None:
        self.conn.execute("UPDATE wf_objects SET data=? WHERE id=?", (json.dumps(obj), obj["ID"]))
        self._all.pop(obj["objCode"], None)

    def remove(self, obj: dict[str, Any]) -> None:
        self.conn.execute("DELETE FROM wf_objects WHERE id=?", (obj["ID"],))
        self._all.pop(obj["objCode"], None)


def _ref(store: Store, obj: dict[str, Any], name: str) -> dict[str, Any] | None:
    if name not in REFERENCES:
        return None
    id_field, code = REFERENCES[name]
    oid = obj.get(id_field)
    return store.get(code, oid) if oid else None


def _value(store: Store, obj: dict[str, Any], path: str) -> Any:
    """``name``, ``DE:Field`` or ``ref:field`` (one level deeper per ``:``)."""
    if path.startswith("DE:"):
        return (obj.get("parameterValues") or {}).get(path)
    head, sep, rest = path.partition(":")
    if not sep:
        return obj.get(path)
    target = _ref(store, obj, head)
    return None if target is None else _value(store, target, rest)


# --------------------------------------------------------------------------------------------------
# fields
# --------------------------------------------------------------------------------------------------


def parse_fields(raw: str | None) -> list[str]:
    if not raw:
        return []
    raw = raw.strip()
    if raw.startswith("["):
        try:
            items = json.loads(raw)
        except ValueError:
            raise WfError(422, "fields is not a valid JSON array") from None
        return [str(i) for i in items]
    return [f.strip() for f in raw.split(",") if f.strip()]


def render(store: Store, obj: dict[str, Any], fields: list[str], depth: int = 0) -> dict[str, Any]:
    code = obj["objCode"]
    out = {k: obj[k] for k in DEFAULT_FIELDS.get(code, ("ID", "name", "objCode")) if k in obj}
    out.setdefault("ID", obj["ID"])
    out.setdefault("objCode", code)
    nested: dict[str, list[str]] = {}
    for f in fields:
        if f == "*":
            out.update({k: v for k, v in obj.items() if k != "parameterValues"})
        elif f == "parameterValues":
            out["parameterValues"] = dict(obj.get("parameterValues") or {})
        elif f.startswith("DE:"):
            out[f] = (obj.get("parameterValues") or {}).get(f)
        elif ":" in f:
            head, _, rest = f.partition(":")
            nested.setdefault(head, []).append(rest)
        elif f in REFERENCES:
            nested.setdefault(f, [])
        else:
            out[f] = obj.get(f)
    for head, sub in nested.items():
        if depth >= 4:
            raise WfError(422, "field depth is limited to 4")
        target = _ref(store, obj, head)
        out[head] = None if target is None else render(store, target, sub, depth + 1)
    return out


# --------------------------------------------------------------------------------------------------
# filters
# --------------------------------------------------------------------------------------------------


def _num(v: Any) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _cmp(a: Any, b: str) -> int:
    na, nb = _num(a), _num(b)
    if na is not None and nb is not None:
        return (na > nb) - (na < nb)
    sa = "" if a is None else str(a).lower() if isinstance(a, bool) else str(a)
    return (sa > b) - (sa < b)


def _like(pattern: str, value: str, ci: bool) -> bool:
    rx = "^" + re.escape(pattern).replace("%", ".*").replace("_", ".") + "$"
    return re.match(rx, value, re.I if ci else 0) is not None


def _text(v: Any) -> str:
    return "" if v is None else ("true" if v is True else "false" if v is False else str(v))


def matches(actual: Any, mod: str, values: list[str], range_value: str | None) -> bool:
    v = values[0] if values else ""
    text = _text(actual)
    checks: dict[str, Callable[[], bool]] = {
        "eq": lambda: _cmp(actual, v) == 0 if _num(actual) is not None else text == v,
        "ne": lambda: not (_cmp(actual, v) == 0 if _num(actual) is not None else text == v),
        "cieq": lambda: text.lower() == v.lower(),
        "cine": lambda: text.lower() != v.lower(),
        "gt": lambda: actual is not None and _cmp(actual, v) > 0,
        "gte": lambda: actual is not None and _cmp(actual, v) >= 0,
        "lt": lambda: actual is not None and _cmp(actual, v) < 0,
        "lte": lambda: actual is not None and _cmp(actual, v) <= 0,
        "isnull": lambda: actual is None or actual == "",
        "notnull": lambda: actual is not None and actual != "",
        "notblank": lambda: actual is not None and text.strip() != "",
        "contains": lambda: v in text,
        "cicontains": lambda: v.lower() in text.lower(),
        "notcontains": lambda: v not in text,
        "like": lambda: _like(v, text, False),
        "cilike": lambda: _like(v, text, True),
        "in": lambda: text in values,
        "ciin": lambda: text.lower() in {x.lower() for x in values},
        "notin": lambda: text not in values,
        "between": lambda: actual is not None and _cmp(actual, v) >= 0 and _cmp(actual, range_value or "") <= 0,
        "notbetween": lambda: (
            not (actual is not None and _cmp(actual, v) >= 0 and _cmp(actual, range_value or "") <= 0)
        ),
    }
    if mod not in checks:
        raise WfError(422, f"unknown modifier {mod!r}")
    return checks[mod]()


def parse_filters(
    params: list[tuple[str, str]],
) -> tuple[list[tuple[str, str, list[str], str | None]], list[tuple[str, str]]]:
    """(filters as (field, modifier, values, range), sorts as (field, asc|desc))."""
    values: dict[str, list[str]] = {}
    mods: dict[str, str] = {}
    ranges: dict[str, str] = {}
    sorts: list[tuple[str, str]] = []
    for key, value in params:
        if key in RESERVED or key.startswith("OR:"):
            if key.startswith("OR:"):
                raise WfError(400, "OR filters are not supported by the sandbox")
            continue
        if key == "filters":
            continue
        if key.endswith("_Mod"):
            mods[key[:-4]] = value
        elif key.endswith("_Range"):
            ranges[key[:-6]] = value
        elif key.endswith("_Sort"):
            if value.lower() not in ("asc", "desc", "ciasc", "cidesc"):
                raise WfError(422, f"invalid sort direction {value!r}")
            sorts.append((key[:-5], value.lower()))
        else:
            values.setdefault(key, []).append(value)
    for key in mods:
        values.setdefault(key, [])
    filters = [
        (field, mods.get(field, "in" if len(vals) > 1 else "eq"), vals, ranges.get(field))
        for field, vals in values.items()
    ]
    return filters, sorts


def json_filters(raw: str | None) -> list[tuple[str, str]]:
    if not raw:
        return []
    try:
        data = json.loads(raw)
    except ValueError:
        raise WfError(422, "filters is not valid JSON") from None
    if not isinstance(data, dict):
        raise WfError(422, "filters must be a JSON object")
    out: list[tuple[str, str]] = []
    for k, v in data.items():
        out += [(k, _text(x)) for x in v] if isinstance(v, list) else [(k, _text(v))]
    return out


def select(store: Store, code: str, params: list[tuple[str, str]]) -> list[dict[str, Any]]:
    filters, sorts = parse_filters([*params, *json_filters(_first(params, "filters"))])
    sql_eq = [
        (f, v[0]) for f, mod, v, _ in filters if mod == "eq" and len(v) == 1 and ":" not in f and f.endswith("ID")
    ]
    if sql_eq:  # IDs are strings: let SQLite narrow the candidates first
        where = " AND ".join("json_extract(data, ?) = ?" for _ in sql_eq)
        args = [x for f, v in sql_eq for x in (f"$.{f}", v)]
        rows = store.conn.execute(
            f"SELECT data FROM wf_objects WHERE objcode=? AND {where} ORDER BY seq", (code, *args)
        ).fetchall()
        objs = [json.loads(r[0]) for r in rows]
    else:
        objs = list(store.all(code).values())
    warm(store, [f for f, _, _, _ in filters] + [f for f, _ in sorts])
    for field, mod, vals, rng in filters:
        objs = [o for o in objs if matches(_value(store, o, field), mod, vals, rng)]
    for field, direction in reversed(sorts):

        def key(o: dict[str, Any], f: str = field, d: str = direction) -> Any:
            v = _value(store, o, f)
            return (v is None, _sort_key(v, d))

        objs.sort(key=key, reverse=direction.endswith("desc"))
    return objs


def warm(store: Store, paths: list[str]) -> None:
    """Load every object type that ``ref:field`` paths reach, once (for many lookups)."""
    for path in paths:
        head = path.partition(":")[0]
        if ":" in path and head in REFERENCES:
            store.all(REFERENCES[head][1])


def _sort_key(v: Any, direction: str) -> Any:
    n = _num(v)
    if n is not None:
        return (0, n, "")
    text = _text(v)
    return (1, 0, text.lower() if direction.startswith("ci") else text)


def _first(params: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in params if k == name), None)


def page(params: list[tuple[str, str]]) -> tuple[int, int]:
    try:
        first = int(_first(params, "$$FIRST") or 0)
        limit = int(_first(params, "$$LIMIT") or DEFAULT_LIMIT)
    except ValueError:
        raise WfError(422, "$$FIRST and $$LIMIT must be integers") from None
    if limit > MAX_LIMIT:
        raise WfError(422, f"$$LIMIT must not exceed {MAX_LIMIT}", "java.lang.IllegalArgumentException")
    if first < 0 or limit < 1:
        raise WfError(422, "$$FIRST must be >= 0 and $$LIMIT >= 1", "java.lang.IllegalArgumentException")
    return first, limit


# --------------------------------------------------------------------------------------------------
# updates, objects, actions
# --------------------------------------------------------------------------------------------------


def parse_updates(params: list[tuple[str, str]], body_json: Any) -> Any:
    if body_json is not None:
        return body_json
    raw = _first(params, "updates")
    if raw is not None:
        try:
            return json.loads(raw)
        except ValueError:
            raise WfError(422, "updates is not valid JSON") from None
    return {k: v for k, v in params if k not in RESERVED and not k.startswith("$$")}


def _apply_updates(obj: dict[str, Any], updates: dict[str, Any]) -> None:
    for key, value in updates.items():
        if key in ("ID", "objCode"):
            continue
        if key.startswith("DE:"):
            obj.setdefault("parameterValues", {})[key] = value
        elif key == "parameterValues" and isinstance(value, dict):
            obj["parameterValues"] = dict(value)
        else:
            obj[key] = value


def create(store: Store, code: str, updates: dict[str, Any]) -> dict[str, Any]:
    if code not in CREATABLE:
        raise WfError(400, f"{code} objects cannot be created through the API")
    if not str(updates.get("name") or "").strip():
        raise WfError(422, f"{code}.name is required")
    for ref, (id_field, ref_code) in REFERENCES.items():
        if updates.get(id_field) and store.get(ref_code, str(updates[id_field])) is None:
            raise WfError(404, f"{ref} {updates[id_field]} not found")
    obj: dict[str, Any] = {"entryDate": wf_date()}
    _apply_updates(obj, updates)
    return store.insert(code, obj)


def delete(store: Store, obj: dict[str, Any]) -> None:
    if obj["objCode"] == "DOCFDR":
        for child in [c for c in store.all("DOCFDR").values() if c.get("parentID") == obj["ID"]]:
            delete(store, child)
        if obj.get("linkedFolderID"):
            linked = store.get("LNKFDR", obj["linkedFolderID"])
            if linked:
                store.remove(linked)
    store.remove(obj)


def _json_arg(args: dict[str, str], name: str) -> Any:
    raw = args.get(name)
    if raw is None:
        raise WfError(422, f"missing argument {name}")
    try:
        return json.loads(raw)
    except ValueError:
        return [raw]


def run_action(store: Store, code: str, oid: str | None, action: str, args: dict[str, str], user: str) -> Any:
    """``PUT /<objCode>[/<ID>]/<action>`` (or ``action=``): the linked-folder actions the
    reconciler uses; anything else is 400."""
    if code == "EXTDOC" and action == "linkExternalDocumentObjects":
        return link_external_objects(store, args, user)
    if code == "DOCFDR" and action == "unlinkFolders":
        ids = _json_arg(args, "ids" if "ids" in args else "folderIDs")
        for fid in ids if isinstance(ids, list) else [ids]:
            unlinking = store.get("DOCFDR", str(fid))
            if unlinking and unlinking.get("linkedFolderID"):
                gone = store.get("LNKFDR", unlinking["linkedFolderID"])
                if gone:
                    store.remove(gone)
                unlinking["linkedFolderID"] = None
                store.save(unlinking)
        return {"result": True}
    if code == "DOCFDR" and action == "isLinkedFolder":
        probe = store.get("DOCFDR", args.get("documentFolderID") or oid or "")
        return {"result": bool(probe and probe.get("linkedFolderID"))}
    raise WfError(400, f"action {action} on {code} is not supported by the sandbox")


def link_external_objects(store: Store, args: dict[str, str], user: str) -> Any:
    """``EXTDOC/linkExternalDocumentObjects``: link AEM folders (as ``DOCFDR`` + ``LNKFDR``) and
    documents (``DOCU``) of the provider ``documentProviderID`` to a project, portfolio or
    program; at most 100 linked folders per project and integration. Returns the new IDs."""
    ref_code = OBJ_CODES.get(args.get("refObjCode", "").lower())
    ref = store.get(ref_code, args.get("refObjID", "")) if ref_code else None
    if ref is None:
        raise WfError(404, f"{args.get('refObjCode')} {args.get('refObjID')} not found")
    if args.get("providerType") != "AEM":
        raise WfError(422, "providerType must be one of the configured providers (the sandbox has AEM)")
    provider = store.get("AEMINT", args.get("documentProviderID", ""))
    if provider is None:
        raise WfError(404, f"document provider {args.get('documentProviderID')} not found")
    objects = _json_arg(args, "objects")
    if not isinstance(objects, dict):
        raise WfError(422, "objects must be a JSON object")
    id_field = {"PROJ": "projectID", "PORT": "portfolioID", "PRGM": "programID"}.get(ref["objCode"])
    if id_field is None:
        raise WfError(422, "refObjCode must be PROJ, PORT or PRGM for folders in the sandbox")
    rows = store.conn.execute(
        "SELECT data FROM wf_objects WHERE objcode='DOCFDR' AND json_extract(data, ?) = ?",
        (f"$.{id_field}", ref["ID"]),
    ).fetchall()
    per_project = [
        f
        for f in (json.loads(r[0]) for r in rows)
        if f.get("linkedFolderID")
        and (store.get("LNKFDR", f["linkedFolderID"]) or {}).get("documentProviderID") == provider["ID"]
    ]
    created = []
    for item in objects.values():
        if not isinstance(item, dict) or "ID" not in item:
            raise WfError(422, "each object needs an ID")
        name = str(item.get("name") or item["ID"].rstrip("/").rsplit("/", 1)[-1])
        if not item.get("isFolder"):
            created.append(_link_document(store, ref, id_field, provider["ID"], name)["ID"])
            continue
        if ref["objCode"] == "PROJ" and len(per_project) >= 100:
            raise WfError(422, "a project can have at most 100 linked folders per integration")
        if len(name) >= 100 or any(c in name for c in "/:[]|*"):
            raise WfError(422, "folder names must be under 100 characters without / : [ ] | *")
        folder = _link_folder(store, ref, id_field, provider["ID"], name, item["ID"], args.get("destFolderID"), user)
        per_project.append(folder)
        created.append(folder["ID"])
    return {"result": created}


def _link_document(store: Store, ref: dict[str, Any], id_field: str, provider: str, name: str) -> dict[str, Any]:
    return store.insert(
        "DOCU",
        {
            "name": name,
            "docObjCode": ref["objCode"],
            "objID": ref["ID"],
            id_field: ref["ID"],
            "externalIntegrationType": "AEM",
            "documentProviderID": provider,
            "entryDate": wf_date(),
        },
    )


def _link_folder(
    store: Store,
    ref: dict[str, Any],
    id_field: str,
    provider: str,
    name: str,
    external_id: str,
    parent: str | None,
    user: str,
) -> dict[str, Any]:
    folder = store.insert(
        "DOCFDR",
        {"name": name, id_field: ref["ID"], "parentID": parent, "entryDate": wf_date()},
    )
    linked = store.insert(
        "LNKFDR",
        {
            "folderID": folder["ID"],
            "documentProviderID": provider,
            "externalIntegrationType": "AEM",
            "externalStorageID": external_id,
            "isTopLevelFolder": True,
            "lastSyncDate": wf_date(),
            "linkedByID": user,
            "linkedDate": wf_date(),
        },
    )
    folder["linkedFolderID"] = linked["ID"]
    store.save(folder)
    return folder


def _ids(params: list[tuple[str, str]]) -> list[str]:
    return [i for k, v in params if k in ("id", "ID") for i in v.split(",") if i]


class WorkfrontModel:
    """Workfront on one transaction of the world; ``user`` is the authenticated caller's ID."""

    def __init__(self, conn: sqlite3.Connection, user: str) -> None:
        self.store = Store(conn)
        self.user = user

    # ---- the REST API ----
    def dispatch(self, method: str, rest: str, params: list[tuple[str, str]], body_json: Any) -> Any:
        """One API call: ``method`` (after the ``method=`` override) on the path ``rest`` after the
        version prefix (``<objCode>[/<ID>|/search|/count|/metadata][/<action>]`` or ``batch``);
        returns the ``data`` of the envelope."""
        parts = [p for p in rest.split("/") if p]
        if not parts:
            raise WfError(404, "no object code in the path")
        if parts[0].lower() == "batch" and method == "POST":
            return self.batch(params)
        code = OBJ_CODES.get(parts[0].lower())
        if code is None:
            raise WfError(404, f"unknown object code or name {parts[0]!r}")
        if code in SECONDARY:
            raise WfError(
                400, f"{code} is a secondary object: read it through its parent's fields (e.g. linkedFolder:*)"
            )
        fields = parse_fields(_first(params, "fields"))
        tail = parts[1:]
        if method == "GET":
            return self._get(code, tail, params, fields)
        if method == "POST":
            return self._post(code, tail, params, body_json, fields)
        if method == "PUT":
            return self._put(code, tail, params, body_json, fields)
        if method == "DELETE":
            ids = [tail[0]] if tail else _ids(params)
            if not ids:
                raise WfError(400, "DELETE needs an ID")
            for oid in ids:
                obj = self.store.get(code, oid)
                if obj is None:
                    raise WfError(404, f"{code} {oid} not found")
                delete(self.store, obj)
            return {"success": True}
        raise WfError(400, f"method {method} is not supported")

    def _get(self, code: str, tail: list[str], params: list[tuple[str, str]], fields: list[str]) -> Any:
        store = self.store
        if tail[:1] == ["search"]:
            first, limit = page(params)
            found = select(store, code, params)[first : first + limit]
            if len(found) > 10:
                warm(store, [f if ":" in f else f + ":" for f in fields])
            if _first(params, "map") == "true":
                return {o["ID"]: render(store, o, fields) for o in found}
            return [render(store, o, fields) for o in found]
        if tail[:1] == ["count"]:
            return {"count": len(select(store, code, params))}
        if tail[:1] == ["metadata"]:
            sample = next(iter(store.all(code).values()), {"ID": "", "objCode": code})
            return {
                "objCode": code,
                "fields": {k: {} for k in sample if k != "parameterValues"},
                "references": {k: {"objCode": c} for k, (_, c) in REFERENCES.items()},
            }
        if not tail:
            ids = _ids(params)
            if not ids:
                raise WfError(400, "GET on an object type needs an ID, /search or /count")
            objs = [o for i in ids if (o := store.get(code, i)) is not None]
            return [render(store, o, fields) for o in objs]
        obj = store.get(code, tail[0])
        if obj is None:
            raise WfError(404, f"{code} {tail[0]} not found")
        return render(store, obj, fields)

    def _post(
        self, code: str, tail: list[str], params: list[tuple[str, str]], body_json: Any, fields: list[str]
    ) -> Any:
        if tail:
            raise WfError(400, "POST creates objects at /<objCode>")
        updates = parse_updates(params, body_json)
        if isinstance(updates, list):
            if len(updates) > MAX_BULK:
                raise WfError(422, f"at most {MAX_BULK} objects per bulk create")
            return [render(self.store, create(self.store, code, u), fields) for u in updates]
        if not isinstance(updates, dict):
            raise WfError(422, "updates must be a JSON object or array")
        return render(self.store, create(self.store, code, updates), fields)

    def _put(self, code: str, tail: list[str], params: list[tuple[str, str]], body_json: Any, fields: list[str]) -> Any:
        action = tail[1] if len(tail) > 1 else _first(params, "action")
        if action:
            args = {k: v for k, v in params if k not in ("method", "action", "apiKey", "fields")}
            if isinstance(body_json, dict):
                args.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in body_json.items()})
            return run_action(self.store, code, tail[0] if tail else None, action, args, self.user)
        updates = parse_updates(params, body_json)
        if not tail:
            if not isinstance(updates, list) or len(updates) > MAX_BULK:
                raise WfError(422, f"bulk edit takes a JSON array of at most {MAX_BULK} objects with IDs")
            return [render(self.store, self.edit(code, str(u.get("ID")), u), fields) for u in updates]
        if not isinstance(updates, dict):
            raise WfError(422, "updates must be a JSON object")
        return render(self.store, self.edit(code, tail[0], updates), fields)

    def edit(self, code: str, oid: str, updates: dict[str, Any]) -> dict[str, Any]:
        """Apply ``updates`` to one object (only creatable types and documents; a name cannot be
        emptied); stamps ``lastUpdateDate``."""
        obj = self.store.get(code, oid)
        if obj is None:
            raise WfError(404, f"{code} {oid} not found")
        if code not in CREATABLE and code != "DOCU":
            raise WfError(400, f"{code} objects cannot be edited through the API")
        if "name" in updates and not str(updates["name"] or "").strip():
            raise WfError(422, f"{code}.name cannot be empty")
        _apply_updates(obj, updates)
        obj["lastUpdateDate"] = wf_date()
        self.store.save(obj)
        return obj

    def batch(self, params: list[tuple[str, str]]) -> Any:
        """``POST /batch``: each ``uri`` parameter is one call (its ``method=`` or GET); with
        ``atomic=true`` only ``{"success": true}``, else the list of ``{"data": ...}``."""
        atomic = _first(params, "atomic") == "true"
        results = []
        for uri in [v for k, v in params if k == "uri"]:
            split = urlsplit(uri if uri.startswith("/") else "/" + uri)
            sub = parse_qsl(split.query, keep_blank_values=True)
            method = (_first(sub, "method") or "GET").upper()
            results.append({"data": self.dispatch(method, split.path, sub, None)})
        return {"success": True} if atomic else results

    # ---- the native integration's settings (sandbox-defined API, assumed) ----
    def integrations(self) -> list[dict[str, Any]]:
        """Every integration."""
        return list(self.store.all("AEMINT").values())

    def integration(self, iid: str) -> dict[str, Any]:
        """One integration (404)."""
        obj = self.store.get("AEMINT", iid)
        if obj is None:
            raise WfError(404, f"integration {iid} not found")
        return obj

    def create_integration(self, body: Any) -> dict[str, Any]:
        """A new integration (name unique, 409)."""
        data = _integration_body(body, None)
        if any(i.get("name") == data["name"] for i in self.integrations()):
            raise WfError(409, f"an integration named {data['name']!r} already exists")
        data["entryDate"] = wf_date()
        return self.store.insert("AEMINT", data)

    def update_integration(self, iid: str, body: Any) -> dict[str, Any]:
        """A sparse update (``repository`` and ``type`` fixed, name unique)."""
        data = _integration_body(body, self.integration(iid))
        if any(i.get("name") == data["name"] and i["ID"] != iid for i in self.integrations()):
            raise WfError(409, f"an integration named {data['name']!r} already exists")
        self.store.save(data)
        return data

    def delete_integration(self, iid: str) -> None:
        """Delete an integration, its metadata mappings and the folders linked through it."""
        store = self.store
        obj = self.integration(iid)
        for row in [m for m in store.all("AEMMAP").values() if m.get("integrationID") == iid]:
            store.remove(row)
        for folder in list(store.all("DOCFDR").values()):
            linked = store.get("LNKFDR", folder.get("linkedFolderID") or "")
            if linked and linked.get("documentProviderID") == iid:
                delete(store, folder)
        store.remove(obj)

    def mappings(self, iid: str) -> list[dict[str, Any]]:
        """The metadata mapping rows of an integration (404 for an unknown integration)."""
        self.integration(iid)
        return [m for m in self.store.all("AEMMAP").values() if m.get("integrationID") == iid]

    def mapping(self, iid: str, mid: str) -> dict[str, Any]:
        """One mapping row of an integration (404)."""
        existing = next((m for m in self.mappings(iid) if m["ID"] == mid), None)
        if existing is None:
            raise WfError(404, f"metadata mapping {mid} not found")
        return existing

    def delete_mapping(self, iid: str, mid: str) -> None:
        """Remove one mapping row."""
        self.store.remove(self.mapping(iid, mid))

    def save_mapping(self, iid: str, mid: str | None, body: Any) -> dict[str, Any]:
        """Create (``mid`` None) or update a row ``{source, target, appliesTo, direction}``: one
        Workfront field per AEM property and scope (the same row again 409, another source 422);
        ``bidirectional`` only for two-way integration types (422)."""
        integ = self.integration(iid)
        rows = self.mappings(iid)
        existing = self.mapping(iid, mid) if mid is not None else None
        if not isinstance(body, dict):
            raise WfError(422, "the body must be a JSON object")
        data = {
            **(existing or {}),
            **{k: body[k] for k in ("source", "target", "appliesTo", "direction") if k in body},
        }
        data.setdefault("appliesTo", "documents")
        data.setdefault("direction", "workfront_to_aem")
        _check_mapping(data, integ, rows)
        if existing is None:
            data.update({"ID": new_id(), "integrationID": iid, "entryDate": wf_date()})
            return self.store.insert("AEMMAP", data)
        self.store.save(data)
        return data


def _integration_body(body: Any, existing: dict[str, Any] | None) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise WfError(422, "the body must be a JSON object")
    out = dict(existing or {})
    for key in ("name", "type", "repository", "aemHosts", "connectorVersion", "features", "linkedFolders"):
        if key in body:
            out[key] = body[key]
    if not str(out.get("name") or "").strip():
        raise WfError(422, "name is required")
    if out.get("type") not in INTEGRATION_TYPES:
        raise WfError(422, f"type must be one of {', '.join(INTEGRATION_TYPES)}")
    if existing is not None:
        for fixed in ("repository", "type"):
            if fixed in body and body[fixed] != existing.get(fixed):
                raise WfError(422, f"{fixed} cannot be changed after the integration is saved")
    return out


def _check_mapping(data: dict[str, Any], integ: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    if not data.get("source") or not data.get("target"):
        raise WfError(422, "source and target are required")
    if data["appliesTo"] not in ("documents", "folders"):
        raise WfError(422, "appliesTo must be documents or folders")
    if data["direction"] not in ("workfront_to_aem", "bidirectional"):
        raise WfError(422, "direction must be workfront_to_aem or bidirectional")
    if data["direction"] == "bidirectional" and integ.get("type") in ONE_WAY_TYPES:
        raise WfError(422, "this integration maps metadata one way only (Workfront to AEM)")
    for other in rows:
        if other["ID"] == data.get("ID") or other["appliesTo"] != data["appliesTo"]:
            continue
        if other["target"] == data["target"]:
            same = other["source"] == data["source"]
            raise WfError(409 if same else 422, f"{data['target']} is already mapped from {other['source']}")
