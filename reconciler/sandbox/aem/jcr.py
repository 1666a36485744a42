"""A small JCR stored as rows (path, primary type, properties JSON) with Sling GET rendering,
the Sling POST servlet's modify/delete operations and Query Builder.

Values are JSON values: ``str`` (String, Name, Path and Date, dates as ECMA strings), ``bool``
(Boolean), ``int`` (Long), ``float`` (Double/Decimal) and lists of those (multi-value).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import re
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..world import ecma_date, insert_node

JSON_MAX_RESULTS = 1000  # Sling DefaultGetServlet json.maximumresults on an AEM 6.4 author

SUPERTYPES: dict[str, list[str]] = {
    "sling:OrderedFolder": ["sling:Folder"],
    "sling:Folder": ["nt:folder"],
    "nt:folder": ["nt:hierarchyNode"],
    "nt:file": ["nt:hierarchyNode"],
    "cq:Page": ["nt:hierarchyNode"],
    "dam:Asset": ["nt:hierarchyNode"],
    "nt:hierarchyNode": ["mix:created", "nt:base"],
    "cq:PageContent": ["nt:unstructured", "mix:title", "mix:created"],
    "dam:AssetContent": ["nt:unstructured"],
    "nt:unstructured": ["nt:base"],
    "rep:root": ["nt:unstructured"],
    "rep:SystemUser": ["rep:User"],
    "rep:User": ["rep:Authorizable"],
    "rep:Group": ["rep:Authorizable"],
    "rep:Authorizable": ["nt:base"],
    "rep:AuthorizableFolder": ["nt:base"],
}
# Node types that carry jcr:created / jcr:createdBy (mix:created via nt:hierarchyNode).
CREATED_TYPES = {"sling:Folder", "sling:OrderedFolder", "nt:folder", "cq:Page", "dam:Asset", "nt:file"}
ENCRYPTED_PROPERTIES = {"transportPassword", "proxyPassword"}
INVALID_NAME = re.compile(r"[\[\]|*\x00-\x1f]")


def type_closure(ntype: str) -> set[str]:
    """A node type and all its supertypes (``sling:OrderedFolder`` -> ``sling:Folder`` -> ...)."""
    out: set[str] = set()
    todo = [ntype]
    while todo:
        t = todo.pop()
        if t not in out:
            out.add(t)
            todo.extend(SUPERTYPES.get(t, ["nt:base"] if t != "nt:base" else []))
    return out


@dataclass
class Node:
    path: str
    type: str
    props: dict[str, Any]
    ord: int = 0

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[1]

    def is_type(self, wanted: str) -> bool:
        types = type_closure(self.type)
        mixins = self.props.get("jcr:mixinTypes") or []
        for m in mixins if isinstance(mixins, list) else [mixins]:
            types |= type_closure(str(m))
        return wanted in types


def parent_of(path: str) -> str:
    parent = path.rsplit("/", 1)[0]
    return parent or "/"


def _row(r: sqlite3.Row) -> Node:
    return Node(r["path"], r["type"], json.loads(r["props"]), r["ord"])


def get_node(conn: sqlite3.Connection, path: str) -> Node | None:
    r = conn.execute("SELECT * FROM nodes WHERE path=?", (path,)).fetchone()
    return None if r is None else _row(r)


def children(conn: sqlite3.Connection, path: str) -> list[Node]:
    return [_row(r) for r in conn.execute("SELECT * FROM nodes WHERE parent=? ORDER BY ord", (path,))]


def _depth(path: str) -> int:
    return 0 if path == "/" else path.count("/")


def descendants(conn: sqlite3.Connection, path: str, max_levels: int | None = None) -> list[Node]:
    """Nodes strictly below ``path`` (at most ``max_levels`` levels down), in document order."""
    prefix = "/" if path == "/" else path + "/"
    sql = "SELECT * FROM nodes WHERE substr(path, 1, ?) = ? AND path != ?"
    args: list[Any] = [len(prefix), prefix, path]
    if max_levels is not None:
        sql += " AND (length(path) - length(replace(path, '/', ''))) <= ?"
        args.append(_depth(path) + max_levels)
    return [_row(r) for r in conn.execute(sql + " ORDER BY ord", args)]


def save_props(conn: sqlite3.Connection, node: Node) -> None:
    conn.execute("UPDATE nodes SET props=?, type=? WHERE path=?", (json.dumps(node.props), node.type, node.path))


def create_node(
    conn: sqlite3.Connection, path: str, ntype: str, props: dict[str, Any] | None = None, user: str = "admin"
) -> Node:
    """Insert a node; adds ``jcr:created``/``jcr:createdBy`` for hierarchy node types."""
    p = dict(props or {})
    if ntype in CREATED_TYPES:
        p = {"jcr:created": ecma_date(), "jcr:createdBy": user, **p}
    insert_node(conn, path, ntype, p)
    node = get_node(conn, path)
    assert node is not None
    return node


def move_tree(conn: sqlite3.Connection, source: str, dest: str) -> None:
    """Move ``source`` and its subtree to ``dest`` (the Sling POST servlet's ``:operation=move``);
    properties and order are kept. The caller checks that ``dest`` is free and its parent exists."""
    prefix = source + "/"
    rows = conn.execute(
        "SELECT path, type, props, ord FROM nodes WHERE path=? OR substr(path, 1, ?) = ?", (source, len(prefix), prefix)
    ).fetchall()
    delete_tree(conn, source)
    for path, ntype, props, ordv in rows:
        new = dest + path[len(source):]
        parent, _, name = new.rpartition("/")
        conn.execute(
            "INSERT INTO nodes(path, parent, name, type, props, ord) VALUES (?,?,?,?,?,?)",
            (new, parent or "/", name, ntype, props, ordv),
        )


def delete_tree(conn: sqlite3.Connection, path: str) -> None:
    prefix = path + "/"
    conn.execute("DELETE FROM nodes WHERE path=? OR substr(path, 1, ?) = ?", (path, len(prefix), prefix))


#: default primary type of a child node, by the parent's primary type: the ``+ * (...) = <type>``
#: child node definitions (sling:Folder and sling:OrderedFolder: Sling's folder.cnd; rep:root and
#: nt:unstructured: JCR 2.0 builtin types). ``Node.addNode(relPath)`` without a type, which the Sling
#: POST servlet uses for intermediate nodes, picks this default (maven-sling-plugin "Intermediate
#: Node Creation" docs).
DEFAULT_CHILD_TYPES = {
    "sling:Folder": "sling:Folder",
    "sling:OrderedFolder": "sling:OrderedFolder",
    "rep:AuthorizableFolder": "rep:AuthorizableFolder",
}


def default_child_type(parent: Node | None, name: str) -> str:
    """Type of a node the POST servlet creates without ``jcr:primaryType``: ``cq:PageContent`` for
    ``jcr:content`` under a ``cq:Page``, ``nt:unstructured`` for ``jcr:content`` elsewhere, the
    parent type's default child type (``DEFAULT_CHILD_TYPES``), else ``nt:unstructured``."""
    if parent is not None and name == "jcr:content":
        return "cq:PageContent" if parent.type == "cq:Page" else "nt:unstructured"
    if parent is not None and parent.type in DEFAULT_CHILD_TYPES:
        return DEFAULT_CHILD_TYPES[parent.type]
    return "nt:unstructured"


# --------------------------------------------------------------------------------------------------
# Sling GET rendering
# --------------------------------------------------------------------------------------------------


def children_index(nodes: list[Node]) -> dict[str, list[Node]]:
    """Parent path -> child nodes (in the order given)."""
    by_parent: dict[str, list[Node]] = {}
    for n in nodes:
        by_parent.setdefault(parent_of(n.path), []).append(n)
    return by_parent


def render_tree(
    root: Node,
    below: list[Node],
    levels: int | None,
    harray: bool = False,
    *,
    index: dict[str, list[Node]] | None = None,
) -> dict[str, Any]:
    """Sling JSON of ``root`` with children ``levels`` deep (None = unlimited). ``index``: a
    prebuilt ``children_index`` covering ``root``'s subtree, used instead of ``below``."""
    by_parent = index if index is not None else children_index(below)

    def one(node: Node, left: int | None) -> dict[str, Any]:
        out: dict[str, Any] = {"jcr:primaryType": node.type}
        out.update(node.props)
        if left is None or left > 0:
            kids = [one(c, None if left is None else left - 1) for c in by_parent.get(node.path, [])]
            if harray:
                if kids:
                    out["__children__"] = [
                        {"__name__": c.name, **k} for c, k in zip(by_parent[node.path], kids, strict=True)
                    ]
            else:
                for c, k in zip(by_parent.get(node.path, []), kids, strict=True):
                    out[c.name] = k
        return out

    return one(root, levels)


# --------------------------------------------------------------------------------------------------
# Sling POST servlet
# --------------------------------------------------------------------------------------------------


class PostError(Exception):
    """A Sling POST failure: HTTP status and message (Sling answers 500 for most errors)."""

    def __init__(self, status: int, message: str, error_class: str = "javax.jcr.RepositoryException"):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_class = error_class


@dataclass
class PostResult:
    status: int
    path: str
    is_create: bool
    changes: list[tuple[str, str]] = field(default_factory=list)
    title_verb: str = "modified"


@dataclass
class _Prop:
    values: list[str] = field(default_factory=list)
    seen: bool = False
    type_hint: str | None = None
    delete: bool = False
    default: str | None = None
    ignore_blanks: bool = False
    use_default_when_missing: bool = False
    patch: bool = False
    encrypted: bool = False


def _convert(value: str, hint: str, prop: str) -> Any:
    base = hint.removesuffix("[]")
    try:
        if base == "Boolean":
            return value.strip().lower() == "true"
        if base == "Long":
            return int(value.strip())
        if base in ("Double", "Decimal"):
            return float(value.strip())
        if base == "Date":
            return _parse_date(value)
    except ValueError as exc:
        raise PostError(
            500,
            f"javax.jcr.ValueFormatException: cannot convert {value!r} to {base} for property {prop}",
            "javax.jcr.ValueFormatException",
        ) from exc
    return value


def _parse_date(value: str) -> str:
    v = value.strip()
    try:
        when = dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        when = dt.datetime.strptime(v[:33], "%a %b %d %Y %H:%M:%S GMT%z")
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return ecma_date(when)


def _validate_path(path: str) -> None:
    if not path.startswith("/") or "//" in path.rstrip("/") or any(INVALID_NAME.search(seg) for seg in path.split("/")):
        raise PostError(500, f"javax.jcr.RepositoryException: invalid path {path!r}")


def _ensure_node(
    conn: sqlite3.Connection, path: str, types: dict[str, str], changes: list[tuple[str, str]], user: str
) -> tuple[Node, bool]:
    """Get or create ``path`` and its missing ancestors. Returns (node, created)."""
    node = get_node(conn, path)
    if node is not None:
        return node, False
    _validate_path(path)
    parent_path = parent_of(path)
    parent, _ = _ensure_node(conn, parent_path, types, changes, user)
    name = path.rsplit("/", 1)[1]
    ntype = types.get(path) or default_child_type(parent, name)
    node = create_node(conn, path, ntype, user=user)
    changes.append(("created", path))
    return node, True


def encrypt(value: str, secret: str) -> str:
    """AEM CryptoSupport look-alike: ``{<hex>}``, different on every call; passes ``{...}`` through."""
    if value.startswith("{") and value.endswith("}"):
        return value
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(12)
    data = AESGCM(bytes.fromhex(secret)).encrypt(nonce, value.encode(), None)
    return "{" + (nonce + data).hex() + "}"


def generate_name(conn: sqlite3.Connection, parent: str, params: list[tuple[str, str]]) -> str:
    """Sling's name generation for POSTs to ``<parent>/`` or ``<parent>/*``."""
    lookup = dict(params)
    explicit = lookup.get(":name")
    if explicit:
        return f"{parent.rstrip('/')}/{explicit}"
    hint = lookup.get(":nameHint")
    if not hint:
        for key in (
            "title",
            "jcr:title",
            "name",
            "description",
            "jcr:description",
            "abstract",
            "text",
            "jcr:text",
        ):
            if lookup.get(key) or lookup.get("./" + key):
                hint = lookup.get(key) or lookup.get("./" + key)
                break
    base = re.sub(r"[^a-z0-9_]+", "_", (hint or "").lower()).strip("_")[:20] or secrets.token_hex(4)
    base_path = f"{parent.rstrip('/')}/{base}"
    candidate, i = base_path, 0
    while get_node(conn, candidate) is not None:
        candidate = f"{base_path}_{i}"
        i += 1
    return candidate


def sling_modify(
    conn: sqlite3.Connection, path: str, params: list[tuple[str, str]], *, user: str, secret: str
) -> PostResult:
    """The Sling POST servlet's default (modify) operation on ``path``.

    Handles relative property paths, ``@TypeHint``, ``@Delete``, ``@DefaultValue``,
    ``@IgnoreBlanks``, ``@UseDefaultWhenMissing``, ``@Patch``, ``@Encrypted`` (AEM), ``./`` prefixes
    and the rule that a single empty value removes the property. Raises ``PostError``.
    """
    _validate_path(path)
    props = _parse_props(params)
    # Primary types requested for the target and for relative child nodes.
    types: dict[str, str] = {}
    for name, p in props.items():
        if (name == "jcr:primaryType" or name.endswith("/jcr:primaryType")) and p.values and p.values[0]:
            rel = name.rpartition("/")[0]
            types[f"{path}/{rel}" if rel else path] = p.values[0]
    run = _Modify(conn, path, types, user, secret)
    created = run.created
    for name, p in props.items():
        run.apply(name, p)
    run.save()
    return PostResult(201 if created else 200, path, created, run.changes, "created" if created else "modified")


def _parse_props(params: list[tuple[str, str]]) -> dict[str, _Prop]:
    """The property instructions of a modify POST, by relative property path."""
    relevant = [(k, v) for k, v in params if not k.startswith(":") and k != "_charset_" and not k.startswith("j_")]
    if any(k.startswith("./") for k, _ in relevant):
        relevant = [(k[2:], v) for k, v in relevant if k.startswith("./")]
    else:
        relevant = [(k, v) for k, v in relevant if not k.startswith(("../", "/"))]
    props: dict[str, _Prop] = {}
    for key, value in relevant:
        name, _, suffix = key.partition("@")
        name = name.strip("/")
        if not name:
            continue
        p = props.setdefault(name, _Prop())
        if not suffix:
            p.values.append(value)
            p.seen = True
        elif suffix == "TypeHint":
            p.type_hint = value
        elif suffix == "Delete":
            p.delete = True
        elif suffix == "DefaultValue":
            p.default = value
        elif suffix == "IgnoreBlanks":
            p.ignore_blanks = value.lower() != "false"
        elif suffix == "UseDefaultWhenMissing":
            p.use_default_when_missing = True
        elif suffix == "Patch":
            p.patch = True
        elif suffix == "Encrypted":
            p.encrypted = True
    return props


class _Modify:
    """One modify operation below ``path``: nodes touched (cached, saved once), changes made."""

    def __init__(self, conn: sqlite3.Connection, path: str, types: dict[str, str], user: str, secret: str) -> None:
        self.conn, self.path, self.types, self.user, self.secret = conn, path, types, user, secret
        self.changes: list[tuple[str, str]] = []
        target, self.created = _ensure_node(conn, path, types, self.changes, user)
        self.cache: dict[str, Node] = {target.path: target}
        self.dirty: set[str] = set()

    def node_for(self, rel_dir: str) -> Node:
        npath = f"{self.path}/{rel_dir}" if rel_dir else self.path
        if npath not in self.cache:
            self.cache[npath], _ = _ensure_node(self.conn, npath, self.types, self.changes, self.user)
        return self.cache[npath]

    def apply(self, name: str, p: _Prop) -> None:
        """Carry out the instructions for one property path."""
        rel_dir, _, pname = name.rpartition("/")
        if p.delete:
            self._delete(rel_dir, pname)
        if not p.seen and not p.use_default_when_missing:
            return
        if pname == "jcr:primaryType":
            node = self.node_for(rel_dir)
            wanted = p.values[0] if p.values else ""
            if wanted and wanted != node.type:
                node.type = wanted
                self.dirty.add(node.path)
                self.changes.append(("modified", f"{node.path}/jcr:primaryType"))
            return
        self._set(self.node_for(rel_dir), pname, p)

    def _delete(self, rel_dir: str, pname: str) -> None:
        npath = f"{self.path}/{rel_dir}" if rel_dir else self.path
        holder = self.cache.get(npath) or get_node(self.conn, npath)
        if holder is not None and pname in holder.props:
            self.cache[npath] = holder
            del holder.props[pname]
            self.dirty.add(npath)
            self.changes.append(("deleted", f"{npath}/{pname}"))
        elif get_node(self.conn, f"{npath}/{pname}") is not None:
            delete_tree(self.conn, f"{npath}/{pname}")
            self.changes.append(("deleted", f"{npath}/{pname}"))

    def _set(self, node: Node, pname: str, p: _Prop) -> None:
        values = list(p.values)
        if p.ignore_blanks:
            values = [v for v in values if v != ""]
        if (not values or values == [""]) and p.default is not None:
            values = [p.default]
        existing = node.props.get(pname)
        hint = p.type_hint
        if hint is None and existing is not None:
            if isinstance(existing, list):
                sample = existing[0] if existing else ""
                hint = _hint_of(sample) + "[]"
            else:
                hint = _hint_of(existing)
        multi = bool(hint and hint.endswith("[]")) or len(values) > 1 or (pname == "jcr:mixinTypes")
        if p.patch and isinstance(existing, list | type(None)):
            node.props[pname] = _patched(list(existing or []), values, hint or "String", pname)
        elif not multi and (not values or values == [""]):
            if pname in node.props:
                del node.props[pname]
                self.changes.append(("deleted", f"{node.path}/{pname}"))
                self.dirty.add(node.path)
            return
        else:
            conv = [_convert(v, hint or "String", pname) for v in values]
            if p.encrypted or pname in ENCRYPTED_PROPERTIES:
                conv = [encrypt(str(v), self.secret) for v in conv]
            node.props[pname] = [c for c in conv if c != ""] if multi else conv[0]
        self.dirty.add(node.path)
        self.changes.append(("modified", f"{node.path}/{pname}"))

    def save(self) -> None:
        """Write every changed node's properties."""
        for npath in self.dirty:
            changed = self.cache.get(npath) or get_node(self.conn, npath)
            if changed is not None:
                save_props(self.conn, changed)


def _patched(current: list[Any], values: list[str], hint: str, pname: str) -> list[Any]:
    """``@Patch``: ``+value`` adds (once), ``-value`` removes."""
    for v in values:
        if v.startswith("+") and _convert(v[1:], hint, pname) not in current:
            current.append(_convert(v[1:], hint, pname))
        elif v.startswith("-"):
            conv = _convert(v[1:], hint, pname)
            current = [c for c in current if c != conv]
    return current


def _hint_of(value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Long"
    if isinstance(value, float):
        return "Double"
    return "String"


# --------------------------------------------------------------------------------------------------
# Query Builder
# --------------------------------------------------------------------------------------------------


def _prop_at(conn: sqlite3.Connection, node: Node, rel: str) -> Any:
    """The value of the property at relative path ``rel`` (``jcr:primaryType`` is the node type,
    as in JCR, where it is a property like any other), or None."""
    rel = rel.lstrip("@")
    holder: Node | None = node
    pname = rel
    if "/" in rel:
        rdir, _, pname = rel.rpartition("/")
        holder = get_node(conn, f"{node.path}/{rdir}")
    if holder is None:
        return None
    if pname == "jcr:primaryType":
        return holder.type
    return holder.props.get(pname)


def _as_strings(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [("true" if v else "false") if isinstance(v, bool) else str(v) for v in items]


def _like(pattern: str, value: str) -> bool:
    regex = "^" + ".*".join(re.escape(part).replace("_", ".") for part in pattern.split("%")) + "$"
    return re.match(regex, value, re.S) is not None


class _Query:
    """Query Builder parameters (each name -> its values)."""

    def __init__(self, q: dict[str, list[str]]) -> None:
        self.q = q

    def one(self, key: str, default: str | None = None) -> str | None:
        vals = self.q.get(key)
        return vals[0] if vals else default


def query_builder(conn: sqlite3.Connection, q: dict[str, list[str]]) -> dict[str, Any]:
    """Evaluate Query Builder predicates (``path``, ``type``, ``nodename``, ``N_property``...).

    Returns the ``/bin/querybuilder.json`` body. Raises ``ValueError`` on a bad ``p.*`` value.
    """
    query = _Query(q)
    one = query.one
    candidates, subtree_index = _candidates(conn, query)
    wanted_type = one("type")
    if wanted_type:
        candidates = [n for n in candidates if n.is_type(wanted_type)]
    nodename = one("nodename")
    if nodename:
        candidates = [n for n in candidates if fnmatch.fnmatchcase(n.name, nodename)]
    for key in sorted(k for k in q if re.fullmatch(r"(\d+_)?property", k)):
        matches = _property_predicate(conn, query, key)
        candidates = [n for n in candidates if matches(n)]
    _order(conn, query, candidates)

    limit = int(one("p.limit", "10") or "10")
    offset = int(one("p.offset", "0") or "0")
    if offset < 0:
        raise ValueError("p.offset must be >= 0")
    total = len(candidates)
    page = candidates[offset:] if limit < 0 else candidates[offset : offset + limit]
    hits = [_hit(conn, query, node, subtree_index) for node in page]
    more = offset + len(hits) < total
    guess = _guess_total(one("p.guessTotal"), offset, limit)
    if guess is not None and limit >= 0:
        total = min(total, max(guess, offset + len(hits)))
    return {
        "success": True,
        "results": len(hits),
        "total": total,
        "more": more,
        "offset": offset,
        "hits": hits,
    }


def _guess_total(value: str | None, offset: int, limit: int) -> int | None:
    """How many hits ``p.guessTotal`` lets Query Builder count: ``true`` = up to the end of the
    page (``offset + limit``), a number N = up to N; None when absent or ``false``. Raises
    ``ValueError`` for another value."""
    if value is None or value == "false":
        return None
    if value == "true":
        return offset + max(limit, 0)
    try:
        return max(int(value), 0)
    except ValueError:
        raise ValueError(f"p.guessTotal must be true, false or a number, not {value!r}") from None


def _candidates(conn: sqlite3.Connection, query: _Query) -> tuple[list[Node], dict[str, list[Node]] | None]:
    """Nodes the ``path`` predicates select, and (for a full subtree) their children index."""
    one = query.one
    root = (one("path") or "/").rstrip("/") or "/"
    subtree_index: dict[str, list[Node]] | None = None
    if one("path.exact") == "true":
        root_node = get_node(conn, root)
        return ([root_node] if root_node else []), None
    levels = 1 if one("path.flat") == "true" else None
    candidates = descendants(conn, root, levels)
    if levels is None:
        subtree_index = children_index(candidates)  # full hits reuse it: no query per hit
    if one("path.self") == "true":
        root_node = get_node(conn, root)
        if root_node:
            candidates.insert(0, root_node)
    return candidates, subtree_index


def _property_predicate(conn: sqlite3.Connection, query: _Query, key: str) -> Callable[[Node], bool]:
    """The ``N_property`` predicate ``key`` (``.operation``, ``.value``/``.N_value``, ``.and``)."""
    pname = query.one(key) or ""
    op = query.one(f"{key}.operation", "equals") or "equals"
    values = [v for k, vs in query.q.items() if re.fullmatch(rf"{re.escape(key)}\.(\d+_)?value", k) for v in vs]
    conj_all = query.one(f"{key}.and") == "true"

    def match(node: Node) -> bool:
        raw = _prop_at(conn, node, pname)
        if op == "exists":
            return (raw is not None) == ((values[0] if values else "true") != "false")
        if op == "not":
            return raw is None
        have = [] if raw is None else _as_strings(raw)
        if op == "unequals":
            return not any(v in have for v in values)
        if op == "like":
            tests = [any(_like(v, h) for h in have) for v in values]
        else:
            tests = [v in have for v in values]
        if not values:
            return raw is not None
        return all(tests) if conj_all else any(tests)

    return match


def _order(conn: sqlite3.Connection, query: _Query, candidates: list[Node]) -> None:
    """Sort ``candidates`` in place by ``orderby`` (``orderby.sort`` desc)."""
    orderby = query.one("orderby")
    if not orderby:
        return
    desc = query.one("orderby.sort") == "desc"
    if orderby in ("path", "@jcr:path"):
        candidates.sort(key=lambda n: n.path, reverse=desc)
    elif orderby in ("nodename", "@nodename"):
        candidates.sort(key=lambda n: n.name, reverse=desc)
    else:
        candidates.sort(key=lambda n: "" if (v := _prop_at(conn, n, orderby)) is None else str(v), reverse=desc)


def _hit(
    conn: sqlite3.Connection, query: _Query, node: Node, subtree_index: dict[str, list[Node]] | None
) -> dict[str, Any]:
    """One hit in the ``p.hits`` mode (``simple``, ``full`` with ``p.nodedepth``, ``selective``
    with ``p.properties``)."""
    hits_mode = query.one("p.hits", "simple")
    if hits_mode == "full":
        depth_raw = query.one("p.nodedepth")
        nodedepth: int | None = 0 if depth_raw is None else (None if int(depth_raw) == 0 else int(depth_raw))
        if subtree_index is not None:
            tree = render_tree(node, [], nodedepth, index=subtree_index)
        else:
            tree = render_tree(node, descendants(conn, node.path, nodedepth) if nodedepth != 0 else [], nodedepth)
        return {"jcr:path": node.path, **tree}
    if hits_mode == "selective":
        full = {"jcr:path": node.path, "jcr:primaryType": node.type, **node.props}
        hit: dict[str, Any] = {}
        for prop in (query.one("p.properties") or "").split():
            if prop in full:
                hit[prop] = full[prop]
            elif "/" in prop and (v := _prop_at(conn, node, prop)) is not None:
                hit[prop] = v
        return hit
    return _simple_hit(conn, node)


def _simple_hit(conn: sqlite3.Connection, node: Node) -> dict[str, Any]:
    content = get_node(conn, node.path + "/jcr:content")
    title = (content.props.get("jcr:title") if content else None) or node.props.get("jcr:title") or node.name
    hit: dict[str, Any] = {"path": node.path, "excerpt": "", "name": node.name, "title": title}
    modified = (content.props.get("cq:lastModified") if content else None) or node.props.get("jcr:lastModified")
    if isinstance(modified, str):
        hit["lastModified"] = _qb_date(modified)
    created = node.props.get("jcr:created")
    if isinstance(created, str):
        hit["created"] = _qb_date(created)
    return hit


def _qb_date(ecma: str) -> str:
    try:
        return dt.datetime.strptime(ecma, "%a %b %d %Y %H:%M:%S GMT%z").strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return ecma
