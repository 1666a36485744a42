"""Load YAML configuration files into typed desired state.

:func:`load_config` reads one file or a directory of ``*.yaml``/``*.yml`` files (recursively, in
sorted order, skipping hidden files and directories such as ``.reconciler``), merges them, and
returns a :class:`LoadedConfig`. It is generic over a registry of resource kinds
(:class:`KindSchema`); it makes no network calls.

File shape (all top-level keys optional per file; ``version`` required once)::

    version: 1
    connections:
      <name>: {type: aem|adobe|workfront, ...}
    <kind>:                       # one section per registered kind
      <name>:
        <spec fields>...
        depends_on: [<kind>.<name>, ...]        # meta: explicit edges
        lifecycle: {prevent_destroy: true}      # meta

Interpolation inside strings: ``${env:NAME}``, ``${env:NAME:-default}`` and ``${file:path}``
(relative to the file, trailing newlines stripped) are substituted at load time;
``${kind.name.attr}`` stays literal, is checked and becomes an edge; ``$${`` is a literal ``${``.

Errors: every problem found (YAML syntax, duplicate keys or names, unknown keys, wrong types,
unknown references, unset variables, ...) becomes a :class:`~.diagnostics.Diagnostic` at
``file:line:col``; they are all raised together in one :class:`~.diagnostics.ConfigError`.
Values that came from the environment or files, and values of secret fields, never appear in
diagnostics.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from ._types import (
    Path_,
    find_typed_refs,
    is_bool,
    is_secret,
    model_fields_by_key,
    models_in,
    type_at,
)
from ._yaml import ParsedYaml, parse_yaml
from .connections import CONNECTION_MODELS, Connection
from .diagnostics import ConfigError, Diagnostic, SourceLoc, did_you_mean
from .refs import NAME_RE, REF_PATTERN, AttrRef, RefTo, find_refs, is_unresolved, tokenize

__all__ = [
    "CONFIG_VERSION",
    "META_KEYS",
    "KindSchema",
    "Lifecycle",
    "LoadedConfig",
    "ResourceDecl",
    "load_config",
]

#: the configuration format version this loader reads
CONFIG_VERSION = 1
#: keys accepted on every resource besides its spec fields (stripped before validation)
META_KEYS = ("depends_on", "lifecycle")
_SENSITIVE = "(sensitive)"
_MIN_REDACT_LEN = 6


class KindSchema(Protocol):
    """What the loader needs to know about a resource kind.

    Attributes:
        name: the section name, e.g. ``"cloud_configs"`` (also the first part of addresses).
        model: the spec model (``extra="forbid"``). Typed name references are fields annotated
            ``Annotated[str, RefTo("orgs")]`` (also inside ``list[...]`` and nested models);
            ``RefTo("connections:aem")`` names a connection of that type.
        outputs: attributes others may reference with ``${kind.name.attr}`` besides the spec
            field names.
    """

    @property
    def name(self) -> str: ...

    @property
    def model(self) -> type[BaseModel]: ...

    @property
    def outputs(self) -> frozenset[str]: ...


@dataclass
class Lifecycle:
    """Per-resource lifecycle options (the ``lifecycle:`` meta key)."""

    prevent_destroy: bool = False


@dataclass
class ResourceDecl:
    """One declared resource.

    Attributes:
        kind, name: the section and the key; ``address`` is ``f"{kind}.{name}"``.
        spec: the validated spec model. Strings holding ``${kind.name.attr}`` references are kept
            literally (see :func:`~.refs.is_unresolved`). If a non-string field holds a reference,
            validation of that field is deferred and ``spec`` is built with ``model_construct``
            (unvalidated); re-validate from ``data`` once references are resolved.
        data: the plain data that was validated (meta keys removed, env/file substituted).
        depends_on: addresses this resource waits for: typed name references, attribute
            references and explicit ``depends_on``.
        attr_refs: ``(dotted field path, ref)`` for each ``${...}`` attribute reference.
        loc: position of the resource's key.
        field_locs: dotted field path (list items by index, e.g. ``members.0.email``) -> position
            of the value.
        lifecycle: the ``lifecycle`` meta options.
    """

    kind: str
    name: str
    address: str
    spec: BaseModel
    data: dict[str, Any]
    depends_on: set[str]
    attr_refs: list[tuple[str, AttrRef]]
    loc: SourceLoc
    field_locs: dict[str, SourceLoc]
    lifecycle: Lifecycle = field(default_factory=Lifecycle)

    def loc_of(self, path: str) -> SourceLoc:
        """Position of the value at dotted ``path``, or of its closest parent, or of the resource."""
        while path:
            if path in self.field_locs:
                return self.field_locs[path]
            path = path.rpartition(".")[0]
        return self.loc


@dataclass
class LoadedConfig:
    """The merged, validated configuration.

    Attributes:
        version: the configuration format version (1).
        connections: connection name -> validated connection model.
        connection_locs: connection name -> position of its key.
        resources: address -> declaration, in file order (files sorted, then position).
        files: the files read, in order. ``root``: the directory given, or the file's parent;
            state lives in ``root/.reconciler/``.
        digest: sha256 hex over the files' relative names and contents.
        warnings: non-fatal diagnostics (e.g. a secret written in clear).
    """

    version: int
    connections: dict[str, Connection]
    connection_locs: dict[str, SourceLoc]
    resources: dict[str, ResourceDecl]
    files: list[Path]
    root: Path
    digest: str
    warnings: list[Diagnostic] = field(default_factory=list)


def load_config(
    path: str | Path,
    *,
    kinds: Mapping[str, KindSchema],
    environ: Mapping[str, str] | None = None,
) -> LoadedConfig:
    """Load the configuration at ``path`` (a file or a directory).

    ``kinds`` maps section names to kinds; ``environ`` replaces ``os.environ`` for
    ``${env:...}`` (tests pass a dict).

    Raises:
        ConfigError: with every error found (and the warnings), each at ``file:line:col``.
    """
    return _Loader(kinds, os.environ if environ is None else environ).load(Path(path))


# --------------------------------------------------------------------------------------------


@dataclass
class _File:
    path: Path
    display: str
    rel: str
    parsed: ParsedYaml
    _by_entry: dict[Path_, dict[Path_, tuple[SourceLoc, SourceLoc]]] | None = None

    def locs_under(self, base: Path_) -> dict[Path_, tuple[SourceLoc, SourceLoc]]:
        """Positions below the two-element path ``base`` (section, name), keyed by the rest."""
        if self._by_entry is None:
            index: dict[Path_, dict[Path_, tuple[SourceLoc, SourceLoc]]] = {}
            for p, pos in self.parsed.locs.items():
                if len(p) >= 2:
                    index.setdefault(p[:2], {})[p[2:]] = pos
            self._by_entry = index
        return self._by_entry.get(base, {})


@dataclass
class _Entry:
    section: str  # "connections" or a kind name
    name: str
    file: _File
    key_loc: SourceLoc
    raw: Any
    data: dict[str, Any] = field(default_factory=dict)
    tainted: set[Path_] = field(default_factory=set)  # paths (below the entry) of env/file values
    from_expr: set[Path_] = field(default_factory=set)  # paths of strings that used ${env:}/${file:}

    @property
    def address(self) -> str:
        return f"{self.section}.{self.name}"

    @property
    def base(self) -> Path_:
        return (self.section, self.name)

    def locs(self, path: Path_) -> tuple[SourceLoc, SourceLoc] | None:
        return self.file.parsed.locs.get((*self.base, *path))

    def value_loc(self, path: Path_) -> SourceLoc:
        while True:
            pos = self.locs(path)
            if pos is not None:
                return pos[1]
            if not path:
                return self.key_loc
            path = path[:-1]

    def key_loc_of(self, path: Path_) -> SourceLoc:
        while True:
            pos = self.locs(path)
            if pos is not None:
                return pos[0]
            if not path:
                return self.key_loc
            path = path[:-1]


def _dotted(path: Iterable[str | int]) -> str:
    return ".".join(str(p) for p in path)


def _where(address: str, path: Path_) -> str:
    return f"{address}.{_dotted(path)}" if path else address


def _match_loc(data: Any, loc: tuple[Any, ...]) -> Path_:
    """Map a pydantic error location onto the data (skipping union tags and missing keys)."""
    out: list[str | int] = []
    cur = data
    for part in loc:
        if isinstance(cur, dict) and isinstance(part, str) and part in cur:
            out.append(part)
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            out.append(part)
            cur = cur[part]
    return tuple(out)


def _get(data: Any, path: Path_) -> Any:
    for part in path:
        if isinstance(data, dict) and isinstance(part, str):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def _leaves(data: Any, path: Path_ = ()) -> Iterable[tuple[Path_, Any]]:
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _leaves(v, (*path, i))
    else:
        yield path, data


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return repr(value) if len(value) <= 80 else repr(value[:77] + "...")
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


_SECRET_SHAPES = (
    re.compile(r"p8e-[A-Za-z0-9_-]{8,}"),  # Adobe client secrets
    re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),  # JWT / bearer tokens
)


def _looks_secret(value: str) -> bool:
    """Heuristic: a value shaped like a credential is never echoed, whatever field it is in."""
    return any(p.search(value) for p in _SECRET_SHAPES)


def _clean_msg(msg: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    return msg


class _Loader:
    def __init__(self, kinds: Mapping[str, KindSchema], environ: Mapping[str, str]) -> None:
        self.kinds = kinds
        self.environ = environ
        self.diags: list[Diagnostic] = []
        self.sensitive: set[str] = set()
        self.file_cache: dict[Path, str | OSError | UnicodeDecodeError] = {}
        self.connections: dict[str, _Entry] = {}
        self.resources: dict[str, _Entry] = {}
        self.order: dict[str, int] = {}

    # -- diagnostics ---------------------------------------------------------------------------

    def error(
        self,
        summary: str,
        loc: SourceLoc | None,
        *,
        detail: str = "",
        address: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.diags.append(Diagnostic("error", summary, detail=detail, loc=loc, address=address, hint=hint))

    def warn(self, summary: str, loc: SourceLoc | None, *, address: str | None = None, hint: str | None = None) -> None:
        self.diags.append(Diagnostic("warning", summary, loc=loc, address=address, hint=hint))

    def _redact(self, text: str | None) -> str | None:
        if not text:
            return text
        for secret in sorted(self.sensitive, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, _SENSITIVE)
        return text

    def _finish_diags(self) -> list[Diagnostic]:
        out = []
        for d in self.diags:
            out.append(
                Diagnostic(
                    d.severity,
                    self._redact(d.summary) or "",
                    detail=self._redact(d.detail) or "",
                    loc=d.loc,
                    address=d.address,
                    hint=self._redact(d.hint),
                )
            )

        def key(d: Diagnostic) -> tuple[int, int, int]:
            if d.loc is None:
                return (-1, 0, 0)
            return (self.order.get(d.loc.file, len(self.order)), d.loc.line, d.loc.col)

        return sorted(out, key=key)

    # -- files ---------------------------------------------------------------------------------

    def _discover(self, path: Path) -> tuple[list[tuple[Path, str]], Path]:
        if path.is_dir():
            found: list[tuple[Path, str]] = []
            for p in path.rglob("*"):
                rel = p.relative_to(path)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                if p.suffix in (".yaml", ".yml") and p.is_file():
                    found.append((p, rel.as_posix()))
            found.sort(key=lambda item: item[1])
            if not found:
                self.error(f"no *.yaml or *.yml files in directory {path}", None)
            return found, path
        if path.is_file():
            return [(path, path.name)], path.parent
        self.error(f"configuration path not found: {path}", None, hint="give a YAML file or a directory of them")
        return [], path

    def load(self, path: Path) -> LoadedConfig:
        found, root = self._discover(path)
        digest = hashlib.sha256()
        files: list[_File] = []
        for file_path, rel in found:
            display = str(file_path)
            self.order[display] = len(self.order)
            try:
                raw = file_path.read_bytes()
            except OSError as exc:
                self.error(f"cannot read file: {exc.strerror}", SourceLoc(display, 1, 1))
                continue
            digest.update(rel.encode() + b"\0" + str(len(raw)).encode() + b"\0" + raw)
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                before = raw[: exc.start]
                line = before.count(b"\n") + 1
                col = len(before) - (before.rfind(b"\n") + 1) + 1
                self.error("file is not valid UTF-8", SourceLoc(display, line, col))
                continue
            parsed = parse_yaml(text, display)
            self.diags.extend(parsed.diagnostics)
            files.append(_File(file_path, display, rel, parsed))

        version = self._collect(files)
        for entry in [*self.connections.values(), *self.resources.values()]:
            entry.data = self._interpolate_entry(entry)
        connections = self._validate_connections()
        resources = self._validate_resources()

        self.diags = self._finish_diags()
        errors = [d for d in self.diags if d.severity == "error"]
        if errors:
            raise ConfigError(self.diags)
        return LoadedConfig(
            version=version,
            connections=connections,
            connection_locs={name: e.key_loc for name, e in self.connections.items()},
            resources=resources,
            files=[f.path for f in files],
            root=root,
            digest=digest.hexdigest(),
            warnings=list(self.diags),
        )

    # -- structure -----------------------------------------------------------------------------

    def _collect(self, files: list[_File]) -> int:
        """Check top-level keys and version; register connections and resources (with dup checks)."""
        any_content = False
        top_keys = ["version", "connections", *self.kinds]
        for f in files:
            data = f.parsed.data
            if data is None:
                continue
            if not isinstance(data, dict):
                self.error(
                    "the top level of a configuration file must be a mapping",
                    SourceLoc(f.display, 1, 1),
                    detail=f"expected keys: {', '.join(top_keys)}",
                )
                continue
            any_content = any_content or bool(data)
            for key, value in data.items():
                key_loc, value_loc = f.parsed.locs[(key,)]
                if key == "version":
                    if isinstance(value, bool) or not isinstance(value, int):
                        self.error(
                            f"version must be an integer, got {_describe(value)}",
                            value_loc,
                            hint=f"write: version: {CONFIG_VERSION}",
                        )
                    elif value != CONFIG_VERSION:
                        self.error(
                            f"unsupported configuration version {value}",
                            value_loc,
                            detail=f"this reconciler reads version {CONFIG_VERSION}",
                        )
                    continue
                if key == "connections" or key in self.kinds:
                    self._section(f, key, value, key_loc, value_loc)
                    continue
                suggestion = did_you_mean(key, top_keys)
                self.error(
                    f"unknown top-level key '{key}'",
                    key_loc,
                    detail=f"expected one of: {', '.join(top_keys)}",
                    hint=f"did you mean '{suggestion}'?" if suggestion else None,
                )
        # version: required once, all files agree (only valid ones were recorded; others errored)
        seen_versions: list[tuple[Any, SourceLoc]] = []
        for f in files:
            value = f.parsed.data.get("version") if isinstance(f.parsed.data, dict) else None
            if isinstance(value, int) and not isinstance(value, bool):
                seen_versions.append((f.parsed.data["version"], f.parsed.locs[("version",)][1]))
        if seen_versions:
            first_v, first_loc = seen_versions[0]
            for v, loc in seen_versions[1:]:
                if v != first_v:
                    self.error(
                        f"version {v} does not agree with version {first_v} given in another file",
                        loc,
                        detail=f"first given at {first_loc}",
                        hint="all files of one configuration must give the same version",
                    )
        has_version = any(isinstance(f.parsed.data, dict) and "version" in f.parsed.data for f in files)
        if not has_version and any_content:
            first = next((f for f in files if f.parsed.data), None)
            self.error(
                "missing 'version'",
                SourceLoc(first.display, 1, 1) if first else None,
                hint=f"add 'version: {CONFIG_VERSION}' at the top of one of the files",
            )
        return CONFIG_VERSION

    def _section(self, f: _File, section: str, value: Any, key_loc: SourceLoc, value_loc: SourceLoc) -> None:
        if value is None:
            return
        if not isinstance(value, dict):
            self.error(
                f"'{section}' must be a mapping from names to specs, got {_describe(value)}",
                value_loc,
            )
            return
        registry = self.connections if section == "connections" else self.resources
        for name, spec in value.items():
            name_key_loc = f.parsed.locs[(section, name)][0]
            if not NAME_RE.fullmatch(name):
                self.error(
                    f"invalid name '{name}' in {section}",
                    name_key_loc,
                    detail="a name starts with a letter or digit and has only letters, digits, '_' and '-'",
                )
                continue
            entry = _Entry(section, name, f, name_key_loc, spec)
            reg_key = name if section == "connections" else entry.address
            if reg_key in registry:
                other = registry[reg_key]
                what = "connection" if section == "connections" else "resource"
                self.error(
                    f"{what} {entry.address} is defined twice",
                    name_key_loc,
                    detail=f"first defined at {other.key_loc}",
                    address=entry.address,
                    hint="names must be unique within a section across all files; rename or remove one",
                )
                continue
            registry[reg_key] = entry

    # -- interpolation -------------------------------------------------------------------------

    def _interpolate_entry(self, entry: _Entry) -> dict[str, Any]:
        raw = entry.raw
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            what = "connection" if entry.section == "connections" else "resource"
            self.error(
                f"{what} {entry.address} must be a mapping of fields, got {_describe(raw)}",
                entry.value_loc(()),
                address=entry.address,
            )
            return {}
        result = self._interp(entry, raw, ())
        assert isinstance(result, dict)
        return result

    def _interp(self, entry: _Entry, value: Any, path: Path_) -> Any:
        if isinstance(value, dict):
            return {k: self._interp(entry, v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self._interp(entry, v, (*path, i)) for i, v in enumerate(value)]
        if isinstance(value, str) and "${" in value:
            return self._interp_str(entry, value, path)
        return value

    def _interp_str(self, entry: _Entry, value: str, path: Path_) -> str:
        tokens = tokenize(value)
        has_ref = any(t.type == "ref" for t in tokens)
        pieces: list[tuple[str, str]] = []  # (kind, text): kind in text/escape/ref/secret
        tainted = False
        full_path = (*entry.base, *path)

        def at(raw: str) -> SourceLoc:
            return entry.file.parsed.locate(full_path, raw) or entry.value_loc(path)

        for tok in tokens:
            if tok.type == "text":
                pieces.append(("text", tok.text))
            elif tok.type == "escape":
                pieces.append(("escape", ""))
            elif tok.type == "ref":
                pieces.append(("ref", tok.raw))
            elif tok.type == "env":
                env_value = self.environ.get(tok.var)
                if env_value is not None:
                    tainted = True
                    if len(env_value) >= _MIN_REDACT_LEN:
                        self.sensitive.add(env_value)
                    pieces.append(("secret", env_value))
                elif tok.default is not None:
                    pieces.append(("text", tok.default))
                else:
                    self.error(
                        f"environment variable {tok.var} is not set",
                        at(tok.raw),
                        detail=f"{tok.raw} in {_where(entry.address, path)} needs it",
                        address=entry.address,
                        hint=f"set it before running (export {tok.var}=...), "
                        f"or give a default: ${{env:{tok.var}:-default}}",
                    )
            elif tok.type == "file":
                content = self._read_file(entry, tok.path, tok.raw, at(tok.raw), path)
                if content is not None:
                    tainted = True
                    pieces.append(("secret", content))
            else:
                self.error(
                    f"invalid interpolation {tok.raw}: {tok.reason}",
                    at(tok.raw),
                    address=entry.address,
                    hint="write $${ for a literal ${",
                )
        if tainted:
            entry.tainted.add(path)
        if any(t.type in ("env", "file") for t in tokens):
            entry.from_expr.add(path)
        final = "".join("${" if k == "escape" else text for k, text in pieces)
        if not has_ref and not REF_PATTERN.search(final):
            return final
        # Template form: references stay, '${' from escapes and substituted values is escaped.
        out: list[str] = []
        for i, (kind, text) in enumerate(pieces):
            if kind == "escape":
                out.append("$${")
            elif kind == "ref":
                out.append(text)
            else:
                escaped = text.replace("${", "$${")
                nxt = pieces[i + 1][0] if i + 1 < len(pieces) else None
                if kind == "secret" and escaped.endswith("$") and nxt == "ref":
                    self.error(
                        "an interpolated value ends with '$' right before a ${...} reference",
                        entry.value_loc(path),
                        address=entry.address,
                        hint="'$${' would read as an escape; put a character between them",
                    )
                out.append(escaped)
        return "".join(out)

    def _read_file(self, entry: _Entry, rel: str, raw: str, loc: SourceLoc, path: Path_) -> str | None:
        target = Path(os.path.expanduser(rel))
        if not target.is_absolute():
            target = entry.file.path.parent / target
        cached = self.file_cache.get(target)
        if cached is None:
            try:
                cached = target.read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                cached = exc
            self.file_cache[target] = cached
        if isinstance(cached, OSError):
            self.error(
                f"cannot read {raw}: {cached.strerror or cached}",
                loc,
                detail=f"resolved to {target} (relative to the directory of {entry.file.display})",
                address=entry.address,
            )
            return None
        if isinstance(cached, UnicodeDecodeError):
            self.error(f"cannot read {raw}: not UTF-8 text", loc, address=entry.address)
            return None
        content = cached.rstrip("\r\n")
        if len(content) >= _MIN_REDACT_LEN:
            self.sensitive.add(content)
        return content

    # -- validation ----------------------------------------------------------------------------

    def _is_sensitive(self, entry: _Entry, model: type[BaseModel], path: Path_) -> bool:
        if any(path[: len(t)] == t or t[: len(path)] == path for t in entry.tainted):
            return True
        return is_secret(type_at(model, path))

    def _check_clear_secrets(self, entry: _Entry, model: type[BaseModel]) -> None:
        for path, value in _leaves(entry.data):
            if not isinstance(value, str) or not value or path in entry.from_expr:
                continue
            if is_unresolved(value) or not is_secret(type_at(model, path)):
                continue
            if len(value) >= _MIN_REDACT_LEN:
                self.sensitive.add(value)
            self.warn(
                f"secret {_where(entry.address, path)} is written in clear in the configuration",
                entry.value_loc(path),
                address=entry.address,
                hint="use ${env:NAME} or ${file:path} so the secret stays out of git",
            )

    def _check_strict_bools(self, entry: _Entry, model: type[BaseModel]) -> bool:
        """YAML 1.2: a string is never a boolean (pydantic would take 'yes'/'on'); True if all fine."""
        ok = True
        for path, value in _leaves(entry.data):
            if not isinstance(value, str) or is_unresolved(value) or not is_bool(type_at(model, path)):
                continue
            ok = False
            sensitive = self._is_sensitive(entry, model, path)
            shown = f"{self._origin(entry, path)} (not shown)" if sensitive else _describe(value)
            self.error(
                f"invalid value for '{_dotted(path)}' in {entry.address}: expected true or false",
                entry.value_loc(path),
                detail=f"got: {shown}",
                address=entry.address,
                hint="YAML 1.2: write true or false (yes/no/on/off are strings)",
            )
        return ok

    def _report_validation(self, entry: _Entry, model: type[BaseModel], exc: ValidationError) -> bool:
        """Report the errors of ``exc``; return True if some were not caused by unresolved references."""
        reported = False
        done: set[tuple[Path_, str]] = set()
        for err in exc.errors(include_url=False):
            loc = tuple(err.get("loc", ()))
            etype = str(err.get("type", ""))
            path = _match_loc(entry.data, loc)
            value = _get(entry.data, path)
            if etype not in ("missing", "extra_forbidden") and is_unresolved(value):
                continue  # validated again once the reference is resolved
            msg = _clean_msg(str(err.get("msg", "invalid value")))
            if (path, msg) in done:
                continue
            done.add((path, msg))
            reported = True
            if etype == "missing":
                self._report_missing(entry, model, path, loc)
            elif etype == "extra_forbidden":
                self._report_extra(entry, model, path)
            else:
                self._report_invalid(entry, model, path, msg, etype, value)
        return reported

    def _report_missing(self, entry: _Entry, model: type[BaseModel], path: Path_, loc: tuple[Any, ...]) -> None:
        missing = str(loc[-1]) if loc else "?"
        detail = ""
        parent_type = type_at(model, path)
        for m in models_in(parent_type):
            fi = model_fields_by_key(m).get(missing)
            if fi is not None and fi.description:
                detail = f"{missing}: {fi.description}"
                break
        self.error(
            f"missing required field '{missing}' in {_where(entry.address, path)}",
            entry.key_loc_of(path),
            detail=detail,
            address=entry.address,
        )

    def _report_extra(self, entry: _Entry, model: type[BaseModel], path: Path_) -> None:
        key = str(path[-1]) if path else "?"
        parent = path[:-1]
        allowed: list[str] = []
        for m in models_in(type_at(model, parent)):
            allowed.extend(k for k in model_fields_by_key(m) if k not in allowed)
        if not parent:
            allowed.extend(k for k in META_KEYS if entry.section != "connections" and k not in allowed)
        suggestion = did_you_mean(key, allowed)
        self.error(
            f"unknown key '{key}' in {_where(entry.address, parent)}",
            entry.key_loc_of(path),
            detail=f"expected one of: {', '.join(allowed)}" if allowed else "",
            address=entry.address,
            hint=f"did you mean '{suggestion}'?" if suggestion else None,
        )

    def _report_invalid(
        self, entry: _Entry, model: type[BaseModel], path: Path_, msg: str, etype: str, value: Any
    ) -> None:
        sensitive = self._is_sensitive(entry, model, path)
        if isinstance(value, str) and _looks_secret(value):
            sensitive = True
            self.sensitive.add(value)
        details = []
        custom = etype in ("value_error", "assertion_error")  # the kind's message says what is wrong
        if not sensitive and not custom and (value is None or isinstance(value, str | int | float | bool)):
            details.append(f"got: {_describe(value)}")
        elif sensitive:
            origin = self._origin(entry, path)
            details.append(f"got: {origin} (not shown)")
        tp = type_at(model, path[:-1]) if path else None
        for m in models_in(tp):
            fi = model_fields_by_key(m).get(str(path[-1]))
            if fi is not None and fi.description:
                details.append(f"expected: {fi.description}")
                break
        hint = None
        if etype == "string_type" and isinstance(value, int | float | bool) and not sensitive:
            hint = f'quote the value to make it a string: "{_describe(value)}"'
        elif etype == "bool_parsing" and isinstance(value, str) and not sensitive:
            hint = "YAML 1.2: write true or false (yes/no/on/off are strings)"
        summary = (
            f"invalid value for '{_dotted(path)}' in {entry.address}: {msg}"
            if path
            else f"invalid {entry.address}: {msg}"
        )
        self.error(summary, entry.value_loc(path), detail="\n".join(details), address=entry.address, hint=hint)

    def _origin(self, entry: _Entry, path: Path_) -> str:
        value = _get(entry.raw, path) if isinstance(entry.raw, dict) else None
        if isinstance(value, str) and "${" in value:
            exprs = [t.raw for t in tokenize(value) if t.type in ("env", "file")]
            if exprs:
                return "the value of " + ", ".join(exprs)
        return "a secret value"

    def _validate_connections(self) -> dict[str, Connection]:
        out: dict[str, Connection] = {}
        types = list(CONNECTION_MODELS)
        for name, entry in self.connections.items():
            if not isinstance(entry.raw, dict):
                if entry.raw is None:
                    self.error(
                        f"connection {name} is empty",
                        entry.key_loc,
                        address=entry.address,
                        hint=f"give at least 'type: {'|'.join(types)}'",
                    )
                continue
            ctype = entry.data.get("type")
            if ctype is None:
                self.error(
                    f"missing required field 'type' in connection {name}",
                    entry.key_loc,
                    detail=f"expected one of: {', '.join(types)}",
                    address=entry.address,
                )
                continue
            if not isinstance(ctype, str) or ctype not in CONNECTION_MODELS:
                suggestion = did_you_mean(ctype, types) if isinstance(ctype, str) else None
                self.error(
                    f"unknown connection type {_describe(ctype)} in connection {name}",
                    entry.value_loc(("type",)),
                    detail=f"expected one of: {', '.join(types)}",
                    address=entry.address,
                    hint=f"did you mean '{suggestion}'?" if suggestion else None,
                )
                continue
            model = CONNECTION_MODELS[ctype]
            self._check_clear_secrets(entry, model)
            for path, value in _leaves(entry.data):
                if isinstance(value, str) and is_unresolved(value):
                    self.error(
                        f"connections cannot use resource attributes ({_where(entry.address, path)})",
                        entry.value_loc(path),
                        address=entry.address,
                        hint="connections are read before any resource exists; use ${env:...} or ${file:...}",
                    )
            bools_ok = self._check_strict_bools(entry, model)
            try:
                conn = model.model_validate(entry.data)
            except ValidationError as exc:
                self._report_validation(entry, model, exc)
                continue
            if not bools_ok:
                continue
            self._check_typed_refs(entry, conn, model, set())
            out[name] = conn
        return out

    def _validate_resources(self) -> dict[str, ResourceDecl]:
        out: dict[str, ResourceDecl] = {}
        for address, entry in self.resources.items():
            kind = self.kinds[entry.section]
            model = kind.model
            data = entry.data
            depends: set[str] = set()
            lifecycle = Lifecycle()
            if isinstance(entry.raw, dict):
                if "depends_on" in data:
                    depends |= self._depends_on(entry, data.pop("depends_on"))
                if "lifecycle" in data:
                    lifecycle = self._lifecycle(entry, data.pop("lifecycle"))
            elif entry.raw is not None:
                continue  # already reported: not a mapping
            self._check_clear_secrets(entry, model)
            bools_ok = self._check_strict_bools(entry, model)
            spec: BaseModel | None
            try:
                spec = model.model_validate(data)
            except ValidationError as exc:
                if self._report_validation(entry, model, exc):
                    spec = None
                else:  # only unresolved references failed: defer validation to apply time
                    spec = model.model_construct(**data)
            if not bools_ok:
                spec = None
            attr_refs = self._check_attr_refs(entry, model, depends)
            self._check_typed_refs(entry, spec if spec is not None else data, model, depends)
            if address in depends:
                self.error(
                    f"{address} refers to itself",
                    entry.key_loc,
                    address=address,
                    hint="a resource cannot depend on its own attributes",
                )
            if spec is None:
                continue
            field_locs = {
                _dotted(sub): pos[1]
                for sub, pos in entry.file.locs_under(entry.base).items()
                if sub and sub[0] not in META_KEYS
            }
            out[address] = ResourceDecl(
                kind=entry.section,
                name=entry.name,
                address=address,
                spec=spec,
                data=data,
                depends_on=depends,
                attr_refs=attr_refs,
                loc=entry.key_loc,
                field_locs=field_locs,
                lifecycle=lifecycle,
            )
        return out

    # -- meta keys -----------------------------------------------------------------------------

    def _depends_on(self, entry: _Entry, value: Any) -> set[str]:
        out: set[str] = set()
        if not isinstance(value, list):
            self.error(
                f"depends_on of {entry.address} must be a list of addresses, got {_describe(value)}",
                entry.value_loc(("depends_on",)),
                address=entry.address,
            )
            return out
        for i, item in enumerate(value):
            loc = entry.value_loc(("depends_on", i))
            if not isinstance(item, str) or item.count(".") != 1:
                self.error(
                    f"invalid depends_on entry {_describe(item)} in {entry.address}",
                    loc,
                    detail="expected an address: <kind>.<name>, e.g. applications.assets-sync",
                    address=entry.address,
                )
                continue
            kind = item.split(".")[0]
            if kind == "connections":
                self.error(
                    f"depends_on cannot name a connection ({item})",
                    loc,
                    detail="connections are not resources and are always available",
                    address=entry.address,
                )
                continue
            if item not in self.resources:
                suggestion = did_you_mean(item, self.resources)
                self.error(
                    f"depends_on names {item}, which is not declared",
                    loc,
                    address=entry.address,
                    hint=f"did you mean '{suggestion}'?" if suggestion else None,
                )
                continue
            out.add(item)
        return out

    def _lifecycle(self, entry: _Entry, value: Any) -> Lifecycle:
        if value is None:
            return Lifecycle()
        if not isinstance(value, dict):
            self.error(
                f"lifecycle of {entry.address} must be a mapping, got {_describe(value)}",
                entry.value_loc(("lifecycle",)),
                detail="expected: lifecycle: {prevent_destroy: true}",
                address=entry.address,
            )
            return Lifecycle()
        result = Lifecycle()
        for key, item in value.items():
            if key != "prevent_destroy":
                suggestion = did_you_mean(key, ["prevent_destroy"])
                self.error(
                    f"unknown key '{key}' in lifecycle of {entry.address}",
                    entry.key_loc_of(("lifecycle", key)),
                    detail="expected one of: prevent_destroy",
                    address=entry.address,
                    hint=f"did you mean '{suggestion}'?" if suggestion else None,
                )
            elif not isinstance(item, bool):
                self.error(
                    f"lifecycle.prevent_destroy of {entry.address} must be a boolean, got {_describe(item)}",
                    entry.value_loc(("lifecycle", key)),
                    address=entry.address,
                )
            else:
                result.prevent_destroy = item
        return result

    # -- references ----------------------------------------------------------------------------

    def _check_typed_refs(self, entry: _Entry, value: Any, model: type[BaseModel], depends: set[str]) -> None:
        for path, ref, name in find_typed_refs(value, model):
            if is_unresolved(name):
                continue  # an attribute reference; checked and recorded as such
            loc = entry.value_loc(path)
            where = _where(entry.address, path)
            if path and entry.locs(path) is None:
                where += " (default value)"
                loc = entry.key_loc
            self._check_name_ref(entry, ref, name, loc, where, depends)

    def _check_name_ref(
        self, entry: _Entry, ref: RefTo, name: str, loc: SourceLoc, where: str, depends: set[str]
    ) -> None:
        ctype = ref.connection_type
        if ctype is not None:
            conn = self.connections.get(name)
            if conn is None:
                candidates = [
                    n
                    for n, c in self.connections.items()
                    if not ctype or (isinstance(c.raw, dict) and c.raw.get("type") == ctype)
                ]
                suggestion = did_you_mean(name, candidates)
                what = f"{ctype} connection" if ctype else "connection"
                self.error(
                    f"{where} names {what} '{name}', which is not declared",
                    loc,
                    detail=f"declared {what}s: {', '.join(candidates)}" if candidates else f"no {what} is declared",
                    address=entry.address,
                    hint=f"did you mean '{suggestion}'?" if suggestion else None,
                )
                return
            actual = conn.raw.get("type") if isinstance(conn.raw, dict) else None
            if ctype and isinstance(actual, str) and actual != ctype:
                self.error(
                    f"{where} names connection '{name}' of type {actual}, not {ctype}",
                    loc,
                    detail=f"connection '{name}' is defined at {conn.key_loc}",
                    address=entry.address,
                )
            return
        if ref.kind not in self.kinds:
            self.error(f"{where}: internal error: RefTo names unknown kind '{ref.kind}'", loc, address=entry.address)
            return
        address = f"{ref.kind}.{name}"
        if address not in self.resources:
            names = [e.name for e in self.resources.values() if e.section == ref.kind]
            suggestion = did_you_mean(name, names)
            self.error(
                f"{where} refers to {address}, which is not declared",
                loc,
                detail=f"declared {ref.kind}: {', '.join(names)}" if names else f"no {ref.kind} are declared",
                address=entry.address,
                hint=f"did you mean '{suggestion}'?" if suggestion else None,
            )
            return
        depends.add(address)

    def _check_attr_refs(self, entry: _Entry, model: type[BaseModel], depends: set[str]) -> list[tuple[str, AttrRef]]:
        out: list[tuple[str, AttrRef]] = []
        for path, value in _leaves(entry.data):
            if not isinstance(value, str) or "${" not in value:
                continue
            for ref in find_refs(value):
                raw = str(ref)
                loc = entry.file.parsed.locate((*entry.base, *path), raw) or entry.value_loc(path)
                if self._check_attr_ref(entry, ref, raw, loc):
                    out.append((_dotted(path), ref))
                    depends.add(ref.address)
        return out

    def _check_attr_ref(self, entry: _Entry, ref: AttrRef, raw: str, loc: SourceLoc) -> bool:
        if ref.kind not in self.kinds:
            if ref.kind in ("env", "file"):
                hint: str | None = f"did you mean ${{{ref.kind}:...}}? ({ref.kind} takes a colon)"
            elif ref.kind == "connections":
                hint = "connections have no attributes to reference; name a connection in a typed field"
            else:
                suggestion = did_you_mean(ref.kind, self.kinds)
                hint = f"did you mean '{suggestion}'?" if suggestion else None
            self.error(
                f"{raw} refers to unknown kind '{ref.kind}'",
                loc,
                detail=f"known kinds: {', '.join(self.kinds)}",
                address=entry.address,
                hint=hint,
            )
            return False
        if ref.address not in self.resources:
            names = [e.name for e in self.resources.values() if e.section == ref.kind]
            suggestion = did_you_mean(ref.name, names)
            self.error(
                f"{raw} refers to {ref.address}, which is not declared",
                loc,
                detail=f"declared {ref.kind}: {', '.join(names)}" if names else f"no {ref.kind} are declared",
                address=entry.address,
                hint=f"did you mean '{suggestion}'?" if suggestion else None,
            )
            return False
        kind = self.kinds[ref.kind]
        attrs = sorted(set(kind.outputs) | set(model_fields_by_key(kind.model)) | set(kind.model.model_fields))
        if ref.attr not in attrs:
            suggestion = did_you_mean(ref.attr, attrs)
            self.error(
                f"{raw}: {ref.kind} has no attribute '{ref.attr}'",
                loc,
                detail=f"attributes of {ref.kind}: {', '.join(attrs)}",
                address=entry.address,
                hint=f"did you mean '{suggestion}'?" if suggestion else None,
            )
            return False
        return True
