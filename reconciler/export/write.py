"""Writing an ``Export`` as YAML files with ruamel.yaml (round-trip types, so comments are kept).

Layout of the output directory (one file per kind, in the kinds' documentation order):

- ``connections.yaml``: ``version: 1`` and the connections (secrets as ``${env:...}``);
- ``<kind>.yaml`` for every kind with an exported resource or a skipped object (``orgs.yaml``,
  ``applications.yaml``, ..., ``workfront_metadata_mappings.yaml``); objects that could not be
  exported are listed in comments at the top of their kind's file;
- ``reconciler.schema.json``: the JSON Schema every file names in its first line
  (``# yaml-language-server: $schema=./reconciler.schema.json``).

Every file starts with the modeline and then ``MARKER``. A later export into the same directory
replaces the files that carry it for the kinds it covers (and removes those of covered kinds with
nothing left to write), leaves the files of the kinds a ``--kind`` filter leaves out alone, and
refuses (unless ``force``) to write among YAML files that do not carry it, and, when filtered,
to drop resources from a file an earlier export wrote (the next plan would forget them).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from reconciler.kinds import REGISTRY

from .model import Entry, Export

MODELINE = "# yaml-language-server: $schema=./reconciler.schema.json"
MARKER = "# Exported by `reconciler export`"
SCHEMA_FILE = "reconciler.schema.json"


class OutputExists(Exception):
    """The output directory holds a file export did not write, or a filtered export would drop
    resources an earlier export wrote; the message names the files (and resources)."""


@dataclass(frozen=True)
class OutFile:
    """One file to write: ``section`` (the kind, or ``connections``), its ``text``, and the resource
    ``names`` it holds (the keys of its section, in order)."""

    section: str
    text: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class Shrink:
    """A file an earlier export wrote that loses resources: ``before`` (the names it held),
    ``after`` (how many it holds now; 0 when removed), ``dropped`` (names held before, not now)."""

    file: str
    section: str
    before: tuple[str, ...]
    after: int
    dropped: tuple[str, ...]


@dataclass
class Written:
    """What ``write_files`` did to the output directory (file names, sorted). ``written``: paths
    written; of the files an earlier export wrote: ``replaced`` (new content), ``unchanged`` (same
    content written again), ``removed`` (a section covered with nothing left to write), ``kept``
    (a section this export does not cover: left alone); ``shrunk``: files that lost resources;
    ``overwritten_foreign``: files not written by an export that ``force`` overwrote."""

    written: list[Path] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    shrunk: list[Shrink] = field(default_factory=list)
    overwritten_foreign: list[str] = field(default_factory=list)


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


def plan_files(out: Export, connections: Mapping[str, Entry], source: str) -> dict[str, OutFile]:
    """File name -> ``OutFile``, for every file of the export (the schema file excluded)."""
    header = ["The connections the export read (secrets as ${env:...}: set the variables export listed)."]
    files = {"connections.yaml": OutFile("connections", render_kind("connections", connections, header),
                                         tuple(connections))}
    for kind in REGISTRY:
        if out.kinds.get(kind) or out.skipped.get(kind):
            entries = out.kinds.get(kind, {})
            text = render_kind(kind, entries, _header(out, kind, source))
            files[f"{kind}.yaml"] = OutFile(kind, text, tuple(entries))
    return files


def _ours(path: Path) -> bool:
    try:
        head = path.read_text(encoding="utf-8").splitlines()[:4]
    except (OSError, UnicodeDecodeError):
        return False
    return MARKER in head


def held(path: Path, section: str) -> tuple[str, ...]:
    """The resource names ``path`` holds under ``section`` (``folders:`` -> its keys, in file order);
    empty when the file cannot be read or parsed (a hand-broken file: nothing to compare)."""
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError):
        return ()
    body = data.get(section) if isinstance(data, dict) else None
    return tuple(str(k) for k in body) if isinstance(body, dict) else ()


def first_few(names: Sequence[str], n: int = 5) -> str:
    """``names`` joined with ", ", at most ``n`` of them and "and K more" (``("a", "b")`` -> ``a, b``)."""
    shown = ", ".join(names[:n])
    return shown + (f" and {len(names) - n} more" if len(names) > n else "")


def _shrink_message(s: Shrink, narrowing: str) -> str:
    kind = s.section
    return (
        f"{s.file} holds {len(s.before)} {kind} an earlier export wrote; this export ({narrowing}) would write"
        f" {s.after} of them, so the next plan would forget the other {len(s.dropped)}"
        f" ({first_few([f'{kind}.{n}' for n in s.dropped])}); nothing was written. Export without the filter"
        " that leaves them out, into another directory, or pass --force to replace the file anyway (a forgotten"
        " object stays in the services)"
    )


def write_files(
    directory: Path, files: Mapping[str, OutFile], schema: str, *,
    covers: Callable[[str], bool] = lambda section: True, narrowing: str | None = None, force: bool = False,
) -> Written:
    """Write ``files`` and the schema into ``directory`` (created if needed) and remove the files an
    earlier export wrote for a section this export covers but no longer writes; files of the
    sections ``covers(section)`` rejects (kinds a ``--kind`` filter leaves out) are left alone.
    ``narrowing``: the filters (``--path-prefix /x``) when the export is filtered, else None.

    Raises ``OutputExists`` (nothing written) when a YAML file in ``directory`` was not written by
    an export, or when a filtered export (``narrowing``) would drop resources from a file an earlier
    export wrote (the next plan would forget them), unless ``force``. Returns what changed."""
    # a builder may note what it skipped for a kind this export does not cover (the integrations of a
    # --kind workfront_metadata_mappings export): such a file is never written, so a kept one stays kept
    files = {name: f for name, f in files.items() if covers(f.section)}
    directory.mkdir(parents=True, exist_ok=True)
    existing = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    foreign = [p for p in existing if not _ours(p)]
    if foreign and not force:
        raise OutputExists(
            f"{directory} holds {', '.join(p.name for p in foreign)}, not written by an export; export into an"
            " empty directory (the files would merge with them), or pass --force to overwrite"
        )
    done = Written(overwritten_foreign=[p.name for p in foreign if p.name in files])
    ours = [p for p in existing if p not in foreign]
    for p in ours:
        section = p.stem
        if not covers(section):
            done.kept.append(p.name)
            continue
        new = files.get(p.name)
        before = held(p, section)
        after = set(new.names) if new is not None else set()
        dropped = tuple(n for n in before if n not in after)
        if dropped:
            done.shrunk.append(Shrink(p.name, section, before, len(after), dropped))
        if new is None:
            done.removed.append(p.name)
        elif p.read_text(encoding="utf-8") == new.text:
            done.unchanged.append(p.name)
        else:
            done.replaced.append(p.name)
    if narrowing is not None and done.shrunk and not force:
        raise OutputExists("\n".join(_shrink_message(s, narrowing) for s in done.shrunk))
    for name in done.removed:
        (directory / name).unlink()
    for name, f in files.items():
        (directory / name).write_text(f.text, encoding="utf-8")
        done.written.append(directory / name)
    (directory / SCHEMA_FILE).write_text(schema, encoding="utf-8")
    return done
