"""Writing an ``Export`` as YAML files with ruamel.yaml (round-trip types, so comments are kept).

Layout of the output directory (one file per kind, in the kinds' documentation order):

- ``connections.yaml``: ``version: 1`` and the connections (secrets as ``${env:...}``);
- ``<kind>.yaml`` for every kind with an exported resource or a skipped object (``orgs.yaml``,
  ``applications.yaml``, ..., ``workfront_metadata_mappings.yaml``); objects that could not be
  exported are listed in comments at the top of their kind's file;
- ``reconciler.schema.json``: the JSON Schema every file names in its first line
  (``# yaml-language-server: $schema=./reconciler.schema.json``).

Every file starts with the modeline and then ``MARKER``; a later export into the same directory
replaces the files that carry it (and removes those of kinds no longer exported) and refuses to
overwrite any other file unless ``force``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from reconciler.kinds import REGISTRY

from .model import Entry, Export

MODELINE = "# yaml-language-server: $schema=./reconciler.schema.json"
MARKER = "# Exported by `reconciler export`"
SCHEMA_FILE = "reconciler.schema.json"


class OutputExists(Exception):
    """The output directory holds a file export did not write; the message names it."""


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _node(value: Any) -> Any:
    """``value`` as round-trip nodes: lists of scalars and small mappings in a list in flow style."""
    if isinstance(value, dict):
        m = CommentedMap()
        for k, v in value.items():
            m[k] = _node(v)
        return m
    if isinstance(value, list):
        s = CommentedSeq(_node(v) for v in value)
        if all(not isinstance(v, dict | list) for v in value):
            s.fa.set_flow_style()
        else:
            for item in s:
                if isinstance(item, CommentedMap) and all(not isinstance(v, dict | list) for v in item.values()):
                    item.fa.set_flow_style()
        return s
    return value


def _entry(entry: Entry) -> CommentedMap:
    m = CommentedMap()
    for key, value in entry.data.items():
        m[key] = _node(value)
    for key, note in entry.notes.items():
        if key in m:
            m.yaml_add_eol_comment(note, key)
    if entry.commented and m:
        first = next(iter(m))
        m.yaml_set_comment_before_after_key(first, before="\n".join(entry.commented), indent=4)
    return m


def render_kind(kind: str, entries: Mapping[str, Entry], header: list[str]) -> str:
    """The YAML text of one kind's file: modeline, ``MARKER``, ``header`` lines, the section."""
    root = CommentedMap()
    section = CommentedMap()
    for name, entry in entries.items():
        section[name] = _entry(entry)
        if entry.header:
            section.yaml_set_comment_before_after_key(name, before="\n".join(entry.header), indent=2)
    if kind == "connections":
        root["version"] = 1
    root[kind] = section if entries else CommentedMap()
    lines = [MODELINE[2:], "", MARKER[2:], *header]
    root.yaml_set_start_comment("\n".join(lines))
    buf = io.StringIO()
    _yaml().dump(root, buf)
    text = buf.getvalue()
    return text.replace(f"{kind}: {{}}\n", f"{kind}: {{}}  # nothing to export\n")


def _header(out: Export, kind: str, source: str) -> list[str]:
    n = len(out.kinds.get(kind, {}))
    lines = [f"{n} {kind} read from {source}."]
    skipped = out.skipped.get(kind, [])
    if skipped:
        lines.append("Not exported:")
        lines += [f"  - {s}" for s in skipped]
    if out.filtered.get(kind):
        lines.append(f"{out.filtered[kind]} more left out by --exclude/--path-prefix.")
    return lines


def plan_files(out: Export, connections: Mapping[str, Entry], source: str) -> dict[str, str]:
    """File name -> text, for every file of the export (the schema file excluded)."""
    header = ["The connections the export read (secrets as ${env:...}: set the variables export listed)."]
    files = {"connections.yaml": render_kind("connections", connections, header)}
    for kind in REGISTRY:
        if out.kinds.get(kind) or out.skipped.get(kind):
            files[f"{kind}.yaml"] = render_kind(kind, out.kinds.get(kind, {}), _header(out, kind, source))
    return files


def _ours(path: Path) -> bool:
    try:
        head = path.read_text(encoding="utf-8").splitlines()[:4]
    except (OSError, UnicodeDecodeError):
        return False
    return MARKER in head


def write_files(directory: Path, files: Mapping[str, str], schema: str, *, force: bool = False) -> list[Path]:
    """Write ``files`` (name -> text) and the schema into ``directory`` (created if needed); remove
    the YAML files of an earlier export that this one does not write. Returns the paths written.
    Raises ``OutputExists`` (nothing written) when a file to write, or a YAML file in the
    directory, was not written by an export, unless ``force``."""
    directory.mkdir(parents=True, exist_ok=True)
    existing = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    foreign = [p for p in existing if not _ours(p)]
    if foreign and not force:
        raise OutputExists(
            f"{directory} holds {', '.join(p.name for p in foreign)}, not written by an export; export into an"
            " empty directory (the files would merge with them), or pass --force to overwrite"
        )
    for p in existing:
        if p.name not in files and _ours(p):
            p.unlink()
    written = []
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
        written.append(directory / name)
    (directory / SCHEMA_FILE).write_text(schema, encoding="utf-8")
    return written
