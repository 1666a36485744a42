"""Load YAML configuration files into typed desired state.

:func:`load_config` reads one file, or a directory's own ``*.yaml``/``*.yml`` files (as Terraform
reads ``*.tf``: sorted, not its subdirectories unless ``recursive=True``, hidden names such as
``.reconciler`` skipped, YAML files that are not configuration listed in a warning and skipped),
within size and count limits (:mod:`.discovery`, :mod:`._yaml`), merges them, and returns a
:class:`LoadedConfig`. It is generic over a registry of resource kinds
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

Steps, each in its own module: :mod:`.discovery` (files, digest) -> :mod:`._yaml` (parse with
positions) -> :mod:`.sections` (top-level keys, version, names) -> :mod:`.interpolate`
(``${env:}``/``${file:}``) -> validation here, using :mod:`.report` (pydantic errors to
diagnostics, redaction), :mod:`.meta` (``depends_on``, ``lifecycle``) and :mod:`.refcheck`
(references).

Errors: every problem found (YAML syntax, duplicate keys or names, unknown keys, wrong types,
unknown references, unset variables, ...) becomes a :class:`~.diagnostics.Diagnostic` at
``file:line:col``; they are all raised together in one :class:`~.diagnostics.ConfigError`.
Values that came from the environment or files, and values of secret fields, never appear in
diagnostics.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from reconciler.refs import AttrRef, RefTo, is_unresolved

from ._entry import Entry, Path_, Registry, describe, dotted, leaves, where
from ._types import model_fields_by_key
from .connections import CONNECTION_MODELS, AdobeConnection, AemConnection, Connection, WorkfrontConnection
from .diagnostics import ConfigError, Diagnostic, SourceLoc, did_you_mean
from .discovery import find_files, read_files
from .imports import ADDRESS_RE, META_SECTIONS, check_imports
from .interpolate import Interpolator
from .meta import META_KEYS, Lifecycle, parse_depends_on, parse_lifecycle
from .refcheck import RefChecker
from .report import Findings, ValidationReport
from .sections import CONFIG_VERSION, collect

__all__ = [
    "CONFIG_VERSION",
    "META_KEYS",
    "KindSchema",
    "Lifecycle",
    "LoadedConfig",
    "ResourceDecl",
    "load_config",
]


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
        edges: address in ``depends_on`` -> ``(what, position)`` of the first place that makes the
            edge: ``what`` is the dotted field of a typed name or ``${...}`` reference, or
            ``depends_on.<i>`` for an explicit entry (rules print dependency cycles with them).
        moved_from: earlier addresses of this resource, from the top-level ``moved:`` blocks
            (``{from: OLD, to: this address}``), in file order.
        import_id: the id of a top-level ``import:`` block naming this resource (``{to: this
            address, id: ID}``): the plan must find that existing object and adopt it, never create.
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
    edges: dict[str, tuple[str, SourceLoc]] = field(default_factory=dict)
    moved_from: list[str] = field(default_factory=list)
    import_id: str | None = None

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
        backend: the ``backend:`` block (``url``, ``workspace``; ``${env:NAME}`` substituted), or None.
    """

    version: int
    connections: dict[str, Connection]
    connection_locs: dict[str, SourceLoc]
    resources: dict[str, ResourceDecl]
    files: list[Path]
    root: Path
    digest: str
    warnings: list[Diagnostic] = field(default_factory=list)
    backend: dict[str, str] | None = None


def load_config(
    path: str | Path,
    *,
    kinds: Mapping[str, KindSchema],
    environ: Mapping[str, str] | None = None,
    recursive: bool = False,
    require_env: bool = True,
) -> LoadedConfig:
    """Load the configuration at ``path`` (a file or a directory).

    ``kinds`` maps section names to kinds; ``environ`` replaces ``os.environ`` for
    ``${env:...}`` (tests pass a dict); ``recursive``: a directory's subdirectories are read too.
    ``require_env=False`` (``validate``, ``graph``: nothing is sent anywhere) makes an unset
    ``${env:NAME}`` without a default a warning, its value unchecked, instead of an error.
    In a directory, only files with a top-level integer ``version`` or a configuration section
    are configuration; the others are listed in one warning (:func:`.discovery.is_configuration`).
    Limits (each an error naming the file): :data:`.discovery.MAX_FILE_BYTES` per file,
    :data:`.discovery.MAX_TOTAL_BYTES` in all, :data:`.discovery.MAX_FILES` files,
    :data:`._yaml.MAX_DEPTH` levels of nesting, :data:`._yaml.MAX_ALIAS_NODES` values from aliases.

    Raises:
        ConfigError: with every error found (and the warnings), each at ``file:line:col``.
    """
    env = os.environ if environ is None else environ
    return _Loader(kinds, env, require_env=require_env).load(Path(path), recursive)


# --------------------------------------------------------------------------------------------
# The steps, composed: files -> sections -> interpolation -> validation (+ meta keys, references)
# --------------------------------------------------------------------------------------------


_ConnectionModel = type[AemConnection | AdobeConnection | WorkfrontConnection]


#: every field a connection of some type has (a dedented one is found by its name)
_CONNECTION_KEYS = frozenset(key for model in CONNECTION_MODELS.values() for key in model_fields_by_key(model))
_ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)(:-(.*?))?\}")


class _Loader:
    """One load: each step adds its diagnostics to ``findings``; :meth:`load` raises at the end."""

    def __init__(
        self, kinds: Mapping[str, KindSchema], environ: Mapping[str, str], *, require_env: bool = True
    ) -> None:
        self.kinds = kinds
        self.environ = environ
        self.findings = Findings()
        self.interpolator = Interpolator(environ, self.findings, require_env=require_env)
        self.report = ValidationReport(self.findings)

    def load(self, path: Path, recursive: bool = False) -> LoadedConfig:
        found, root = find_files(path, self.findings, recursive=recursive)
        top_keys = ["version", "backend", "connections", *META_SECTIONS, *self.kinds] if path.is_dir() else None
        files, digest = read_files(found, self.findings, top_keys=top_keys)
        registry = collect(files, self.kinds, self.findings, require_version=top_keys is None)
        self._dedented_fields(registry.connections, lambda _e: _CONNECTION_KEYS)
        self._dedented_fields(registry.resources, lambda e: set(model_fields_by_key(self.kinds[e.section].model)))
        for entry in [*registry.connections.values(), *registry.resources.values()]:
            entry.data = self.interpolator.entry(entry)
        refs = RefChecker(self.kinds, registry, self.findings)
        connections = self._validate_connections(registry.connections, refs)
        resources = self._validate_resources(registry.resources, refs)
        self._moves(registry, resources)
        check_imports(registry, resources, self.findings)
        backend = self._backend(registry)
        self.findings.note_unchecked()

        diags = self.findings.finish()
        if any(d.severity == "error" for d in diags):
            raise ConfigError(diags)
        return LoadedConfig(
            version=CONFIG_VERSION,
            connections=connections,
            connection_locs={name: e.key_loc for name, e in registry.connections.items()},
            resources=resources,
            files=[f.path for f in files],
            root=root,
            digest=digest,
            warnings=diags,
            backend=backend,
        )

    def _dedented_fields(self, entries: dict[str, Entry], fields_of: Callable[[Entry], Collection[str]]) -> None:
        """An entry whose name is a field of the entry above it (same file and section) and whose
        value is not a mapping is that field indented too little (``url:`` at the level of the
        connection names): one error there, and the field is read as the entry's above, so that
        one does not also miss it. ``entries`` is changed in place (file order)."""
        above: dict[tuple[str, str], Entry] = {}
        for key, entry in list(entries.items()):
            place = (entry.file.display, entry.section)
            prev = above.get(place)
            if isinstance(entry.raw, dict) or entry.raw is None:
                above[place] = entry
                continue
            if prev is None or not isinstance(prev.raw, dict) or entry.name in prev.raw:
                continue
            if entry.name not in fields_of(prev):
                continue
            what = "connection" if entry.section == "connections" else "resource"
            under = prev.file.locs_under(prev.base)
            cols = [under[(k,)][0].col for k in prev.raw if (k,) in under]
            column = f"column {cols[0]}" if cols else "the column of its other fields"
            self.findings.error(
                f"'{entry.name}' is indented as a {what} of its own, but it is a field of {prev.address}",
                entry.key_loc,
                detail=f"{prev.address} starts at {prev.key_loc}",
                address=prev.address,
                hint=f"indent '{entry.name}' under {prev.name!r}, at {column} like its other fields",
            )
            prev.raw = {**prev.raw, entry.name: entry.raw}
            del entries[key]

    def _moves(self, registry: Registry, resources: Mapping[str, ResourceDecl]) -> None:
        """Check each ``moved:`` block (``to`` declared, ``from`` a valid address of the same kind that
        is no longer declared, each ``from`` once) and record it on the ``to`` resource."""
        seen: dict[str, SourceLoc] = {}
        for src, dst, loc in registry.moves:
            bad = [a for a in (src, dst) if not ADDRESS_RE.fullmatch(a)]
            if bad:
                self.findings.error(
                    f"moved: {bad[0]!r} is not a resource address", loc, hint="write kind.name, e.g. folders.demo"
                )
            elif dst not in registry.resources:
                self.findings.undeclared(
                    f"moved: {dst} (to) is not declared", loc, hint=f"declare {dst}, or remove this block"
                )
            elif src in registry.resources:
                self.findings.error(
                    f"moved: {src} (from) is still declared", loc,
                    detail=f"declared at {registry.resources[src].key_loc}",
                    hint="a move renames a resource: remove the old declaration",
                )  # fmt: skip
            elif src.split(".", 1)[0] != dst.split(".", 1)[0]:
                self.findings.error(f"moved: {src} and {dst} are of different kinds", loc, hint="a move keeps the kind")
            elif src in seen:
                self.findings.error(f"moved: {src} is moved twice", loc, detail=f"first at {seen[src]}")
            else:
                seen[src] = loc
                if dst in resources:
                    resources[dst].moved_from.append(src)

    def _backend(self, registry: Registry) -> dict[str, str] | None:
        """The backend block with ``${env:NAME}`` / ``${env:NAME:-default}`` substituted (values kept
        out of diagnostics); an unset variable without default is an error."""
        if registry.backend is None:
            return None
        out: dict[str, str] = {}
        for key, value in registry.backend.items():

            def sub(m: re.Match[str]) -> str:
                got = self.environ.get(m.group(1), m.group(3))
                if got is None:
                    self.findings.error(
                        f"environment variable {m.group(1)} is not set", registry.backend_loc,
                        hint=f"set it before running (export {m.group(1)}=...)",
                    )
                    return ""
                self.findings.add_sensitive(got)
                return got

            out[key] = _ENV_REF.sub(sub, value)
        return out

    def _connection_model(self, entry: Entry) -> _ConnectionModel | None:
        """The model named by the connection's ``type`` (None, reported, when there is none)."""
        types = list(CONNECTION_MODELS)
        if not isinstance(entry.raw, dict):
            if entry.raw is None:
                self.findings.error(
                    f"connection {entry.name} is empty",
                    entry.key_loc,
                    address=entry.address,
                    hint=f"give at least 'type: {'|'.join(types)}'",
                )
            return None
        ctype = entry.data.get("type")
        if ctype is None:
            self.findings.error(
                f"missing required field 'type' in connection {entry.name}",
                entry.key_loc,
                detail=f"expected one of: {', '.join(types)}",
                address=entry.address,
            )
            return None
        if not isinstance(ctype, str) or ctype not in CONNECTION_MODELS:
            suggestion = did_you_mean(ctype, types) if isinstance(ctype, str) else None
            self.findings.error(
                f"unknown connection type {describe(ctype)} in connection {entry.name}",
                entry.value_loc(("type",)),
                detail=f"expected one of: {', '.join(types)}",
                address=entry.address,
                hint=f"did you mean '{suggestion}'?" if suggestion else None,
            )
            return None
        return CONNECTION_MODELS[ctype]

    def _validate_connections(self, entries: Mapping[str, Entry], refs: RefChecker) -> dict[str, Connection]:
        out: dict[str, Connection] = {}
        for name, entry in entries.items():
            model = self._connection_model(entry)
            if model is None:
                continue
            bools_ok = self.report.check_scalars(entry, model)
            for path, value in leaves(entry.data):
                if isinstance(value, str) and is_unresolved(value):
                    self.findings.error(
                        f"connections cannot use resource attributes ({where(entry.address, path)})",
                        entry.value_loc(path),
                        address=entry.address,
                        hint="connections are read before any resource exists; use ${env:...} or ${file:...}",
                    )
            try:
                conn = model.model_validate(entry.data)
            except ValidationError as exc:
                if self.report.report(entry, model, exc) or not entry.unset:
                    continue
                conn = model.model_construct(**entry.data)  # only values of unset variables failed
            if not bools_ok:
                continue
            refs.typed_refs(entry, conn, model, set())
            out[name] = conn
        return out

    def _validate_resources(self, entries: Mapping[str, Entry], refs: RefChecker) -> dict[str, ResourceDecl]:
        out: dict[str, ResourceDecl] = {}
        for address, entry in entries.items():
            model = self.kinds[entry.section].model
            data = entry.data
            depends: set[str] = set()
            lifecycle = Lifecycle()
            explicit: Any = None
            if isinstance(entry.raw, dict):
                if "depends_on" in data:
                    explicit = data.pop("depends_on")
                    depends |= parse_depends_on(entry, explicit, entries, self.findings)
                if "lifecycle" in data:
                    lifecycle = parse_lifecycle(entry, data.pop("lifecycle"), self.findings)
            elif entry.raw is not None:
                continue  # already reported: not a mapping
            spec = self._spec(entry, model)
            attr_refs = refs.attr_refs(entry, depends)
            typed = refs.typed_refs(entry, spec if spec is not None else data, model, depends)
            if address in depends:
                own = next((path for path, ref in attr_refs if ref.address == address), None)
                self.findings.error(
                    f"{address} refers to itself" + (f" (in {own})" if own else ""),
                    _ref_loc(entry, own) if own else entry.key_loc,
                    address=address,
                    hint="a resource cannot depend on its own attributes",
                )
            if spec is not None:
                out[address] = self._decl(entry, spec, depends, attr_refs, lifecycle)
                out[address].edges = _edges(entry, typed, attr_refs, explicit, depends)
        return out

    def _spec(self, entry: Entry, model: type[BaseModel]) -> BaseModel | None:
        """The validated spec; unvalidated (``model_construct``) when only unresolved references
        failed; None (reported) when the data is invalid."""
        bools_ok = self.report.check_scalars(entry, model)
        spec: BaseModel | None
        try:
            spec = model.model_validate(entry.data)
        except ValidationError as exc:
            if self.report.report(entry, model, exc):
                spec = None
            else:  # only unresolved references failed: defer validation to apply time
                spec = model.model_construct(**entry.data)
        return spec if bools_ok else None

    @staticmethod
    def _decl(
        entry: Entry, spec: BaseModel, depends: set[str], attr_refs: list[tuple[str, AttrRef]], lifecycle: Lifecycle
    ) -> ResourceDecl:
        field_locs = {
            dotted(sub): pos[1]
            for sub, pos in entry.file.locs_under(entry.base).items()
            if sub and sub[0] not in META_KEYS
        }
        return ResourceDecl(
            kind=entry.section,
            name=entry.name,
            address=entry.address,
            spec=spec,
            data=entry.data,
            depends_on=depends,
            attr_refs=attr_refs,
            loc=entry.key_loc,
            field_locs=field_locs,
            lifecycle=lifecycle,
        )


def _edges(
    entry: Entry,
    typed: list[tuple[Path_, RefTo, str]],
    attr_refs: list[tuple[str, AttrRef]],
    explicit: Any,
    depends: set[str],
) -> dict[str, tuple[str, SourceLoc]]:
    """Where each edge of ``depends`` comes from (see ``ResourceDecl.edges``): typed references
    (``typed``: ``find_typed_refs`` of the validated spec), then attribute references, then explicit
    ``depends_on`` entries; the first place wins."""
    out: dict[str, tuple[str, SourceLoc]] = {}
    for path, ref, name in typed:
        address = f"{ref.kind}.{name}"
        if address in depends and entry.locs(path) is not None:
            out.setdefault(address, (dotted(path), entry.value_loc(path)))
    for dotted_path, aref in attr_refs:
        raw = str(aref)
        path = tuple(int(p) if p.isdigit() else p for p in dotted_path.split("."))
        loc = entry.file.parsed.locate((*entry.base, *path), raw) or entry.value_loc(path)
        out.setdefault(aref.address, (dotted_path, loc))
    for i, item in enumerate(explicit if isinstance(explicit, list) else []):
        if isinstance(item, str) and item in depends:
            out.setdefault(item, (f"depends_on.{i}", entry.value_loc(("depends_on", i))))
    return out


def _ref_loc(entry: Entry, dotted_path: str) -> SourceLoc:
    """Where the value at ``dotted_path`` (``title``, ``members.0.user``: list items by index) of
    ``entry`` is written, or its closest parent."""
    path = tuple(int(p) if p.isdigit() else p for p in dotted_path.split("."))
    return entry.value_loc(path)
