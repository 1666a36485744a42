"""Top-level structure of the files (internal): ``version``, ``connections`` and one section per
kind; every named entry registered once across all files.

Checked here: the top level is a mapping of known keys (did-you-mean for others); ``version`` is
an integer equal to :data:`CONFIG_VERSION`, given at least once when there is any content (or
always, with ``require_version``: a file given by name, even an empty one), and the same in every
file that gives it; a section maps valid names (:data:`~.refs.NAME_RE`) to
specs; a name is declared once per section across all files. Problems become diagnostics; an
unknown top-level key that is a misspelt section (``folder:``) and an invalid name leave entries
unregistered, so the references to them are folded into that one error
(:meth:`~.report.Findings.may_declare`) instead of each saying "not declared".
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from reconciler.refs import NAME_RE

from ._entry import Entry, Registry, SourceFile, describe
from .diagnostics import SourceLoc, did_you_mean
from .imports import META_SECTIONS, import_blocks
from .report import Findings

__all__ = ["CONFIG_VERSION", "collect"]

#: the configuration format version this loader reads
CONFIG_VERSION = 1


def collect(
    files: list[SourceFile], kinds: Collection[str], findings: Findings, *, require_version: bool = False
) -> Registry:
    """Check top-level keys and versions; register connections and resources (with dup checks).

    ``require_version``: a missing ``version`` is an error even when the files hold nothing (an
    empty file given by name is "missing 'version'", not an empty configuration).
    """
    registry = Registry()
    any_content = False
    top_keys = ["version", "backend", "connections", *META_SECTIONS, *kinds]
    for f in files:
        data = f.parsed.data
        if data is None:
            continue
        if not isinstance(data, dict):
            findings.error(
                "the top level of a configuration file must be a mapping",
                SourceLoc(f.display, 1, 1),
                detail=f"expected keys: {', '.join(top_keys)}",
            )
            continue
        any_content = any_content or bool(data)
        for key, value in data.items():
            key_loc, value_loc = f.parsed.locs[(key,)]
            if key == "version":
                _check_version(value, value_loc, findings)
            elif key == "backend":
                _backend(value, value_loc, registry, findings)
            elif key == "moved":
                _moved(f, value, value_loc, registry, findings)
            elif key == "import":
                import_blocks(f, value, value_loc, registry, findings)
            elif key == "connections" or key in kinds:
                _section(f, key, value, value_loc, registry, findings)
            else:
                suggestion = did_you_mean(key, top_keys)
                findings.error(
                    f"unknown top-level key '{key}'",
                    key_loc,
                    detail=f"expected one of: {', '.join(top_keys)}",
                    hint=f"did you mean '{suggestion}'?" if suggestion else None,
                )
                if isinstance(value, dict) and suggestion is not None and suggestion in ("connections", *kinds):
                    findings.may_declare(suggestion, [k for k in value if isinstance(k, str)])
    empty_file = require_version and any(
        f.parsed.data is None and not any(d.severity == "error" for d in f.parsed.diagnostics) for f in files
    )
    _check_versions_agree(files, any_content or empty_file, findings)
    return registry


_BACKEND_KEYS = ("url", "workspace")


def _backend(value: Any, loc: SourceLoc, registry: Registry, findings: Findings) -> None:
    """The ``backend:`` block (where the state lives): a mapping of ``url`` and ``workspace`` strings, once."""
    if registry.backend is not None:
        findings.error("the backend is given twice", loc, hint="keep one backend: block")
    elif not isinstance(value, dict) or any(k not in _BACKEND_KEYS or not isinstance(v, str) for k, v in value.items()):
        findings.error(
            "backend must be a mapping of url and workspace (strings)",
            loc,
            hint="write: backend: {url: \"${env:DATABASE_URL}\", workspace: production}",
        )
    else:
        registry.backend, registry.backend_loc = dict(value), loc


_MOVED_HINT = "write: moved: [{from: folders.old-name, to: folders.new-name}]"


def _moved(f: SourceFile, value: Any, loc: SourceLoc, registry: Registry, findings: Findings) -> None:
    """The ``moved:`` blocks: a list of ``{from: ADDRESS, to: ADDRESS}`` (a renamed resource keeps its
    state record). Only the shape is checked here; the loader checks the addresses against the
    declared resources."""
    if value is None:
        return
    if not isinstance(value, list):
        findings.error(f"moved must be a list of {{from, to}} mappings, got {describe(value)}", loc, hint=_MOVED_HINT)
        return
    for i, item in enumerate(value):
        item_loc = f.parsed.locs.get(("moved", i), (loc, loc))[1]
        if (
            not isinstance(item, dict)
            or sorted(item) != ["from", "to"]
            or not all(isinstance(v, str) for v in item.values())
        ):
            findings.error(f"moved[{i}] must be a mapping of from and to (addresses)", item_loc, hint=_MOVED_HINT)
            continue
        registry.moves.append((item["from"], item["to"], item_loc))


def _check_version(value: Any, value_loc: SourceLoc, findings: Findings) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        findings.error(
            f"version must be an integer, got {describe(value)}",
            value_loc,
            hint=f"write: version: {CONFIG_VERSION}",
        )
    elif value != CONFIG_VERSION:
        findings.error(
            f"unsupported configuration version {value}",
            value_loc,
            detail=f"this reconciler reads version {CONFIG_VERSION}",
        )


def _check_versions_agree(files: list[SourceFile], required: bool, findings: Findings) -> None:
    """Version: required once (if ``required``), all files agree (only integers are compared)."""
    seen_versions: list[tuple[Any, SourceLoc]] = []
    for f in files:
        value = f.parsed.data.get("version") if isinstance(f.parsed.data, dict) else None
        if isinstance(value, int) and not isinstance(value, bool):
            seen_versions.append((f.parsed.data["version"], f.parsed.locs[("version",)][1]))
    if seen_versions:
        first_v, first_loc = seen_versions[0]
        for v, loc in seen_versions[1:]:
            if v != first_v:
                findings.error(
                    f"version {v} does not agree with version {first_v} given in another file",
                    loc,
                    detail=f"first given at {first_loc}",
                    hint="all files of one configuration must give the same version",
                )
    has_version = any(isinstance(f.parsed.data, dict) and "version" in f.parsed.data for f in files)
    if not has_version and required:
        first = next((f for f in files if f.parsed.data), files[0] if files else None)
        empty = first is not None and first.parsed.data is None
        findings.error(
            "missing 'version'",
            SourceLoc(first.display, 1, 1) if first else None,
            detail="the file is empty" if empty else "",
            hint=f"add 'version: {CONFIG_VERSION}' at the top of one of the files",
        )


def _section(
    f: SourceFile, section: str, value: Any, value_loc: SourceLoc, registry: Registry, findings: Findings
) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        findings.error(f"'{section}' must be a mapping from names to specs, got {describe(value)}", value_loc)
        return
    entries = registry.connections if section == "connections" else registry.resources
    for name, spec in value.items():
        name_key_loc = f.parsed.locs[(section, name)][0]
        if not NAME_RE.fullmatch(name):
            findings.error(
                f"invalid name '{name}' in {section}",
                name_key_loc,
                detail="a name starts with a letter or digit and has only letters, digits, '_' and '-'",
                hint=_rename_hint(name),
            )
            findings.may_declare(section)  # which name was meant is unknown: its references wait
            continue
        entry = Entry(section, name, f, name_key_loc, spec)
        reg_key = name if section == "connections" else entry.address
        if reg_key in entries:
            what = "connection" if section == "connections" else "resource"
            findings.error(
                f"{what} {entry.address} is defined twice",
                name_key_loc,
                detail=f"first defined at {entries[reg_key].key_loc}",
                address=entry.address,
                hint="names must be unique within a section across all files; rename or remove one",
            )
            continue
        entries[reg_key] = entry


def _rename_hint(name: Any) -> str | None:
    """``rename it, e.g. 'mc-demo'`` for an invalid name (``'mc demo!'``): runs of other characters
    become ``-``; None when nothing valid is left."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", str(name)).strip("-_")
    return f"rename it, e.g. '{slug}'" if slug and NAME_RE.fullmatch(slug) else None
