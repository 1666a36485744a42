"""Finding and reading the configuration files (internal).

:func:`find_files`: a file is read alone; a directory is searched recursively for ``*.yaml`` and
``*.yml`` files, in sorted order of their relative POSIX paths, skipping every hidden file or
directory (a path part starting with ``.``, such as the state directory ``.reconciler/``).
:func:`read_files`: each file is read as bytes, hashed into the configuration digest (sha256 over
relative name, length and content of every file), decoded as UTF-8 (a BOM is allowed) and parsed
with positions (:func:`~._yaml.parse_yaml`). A missing path, an empty directory, an unreadable file
or invalid UTF-8 becomes a diagnostic; nothing here raises.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ._entry import SourceFile
from ._yaml import parse_yaml
from .diagnostics import SourceLoc
from .report import Findings

__all__ = ["find_files", "read_files"]

SUFFIXES = (".yaml", ".yml")


def find_files(path: Path, findings: Findings) -> tuple[list[tuple[Path, str]], Path]:
    """``([(file, relative name), ...], root)``; root is the directory, or a file's parent."""
    if path.is_dir():
        found: list[tuple[Path, str]] = []
        for p in path.rglob("*"):
            rel = p.relative_to(path)
            if any(part.startswith(".") for part in rel.parts):
                continue
            if p.suffix in SUFFIXES and p.is_file():
                found.append((p, rel.as_posix()))
        found.sort(key=lambda item: item[1])
        if not found:
            findings.error(f"no *.yaml or *.yml files in directory {path}", None)
        return found, path
    if path.is_file():
        return [(path, path.name)], path.parent
    findings.error(f"configuration path not found: {path}", None, hint="give a YAML file or a directory of them")
    return [], path


def read_files(found: list[tuple[Path, str]], findings: Findings) -> tuple[list[SourceFile], str]:
    """Read, hash and parse ``found`` (in order); ``(parsed files, sha256 hex digest)``.

    Each file's display name is recorded in ``findings.order`` (diagnostics sort by it), also for
    files that could not be read or decoded (those are left out of the result).
    """
    digest = hashlib.sha256()
    files: list[SourceFile] = []
    for file_path, rel in found:
        display = str(file_path)
        findings.order[display] = len(findings.order)
        try:
            raw = file_path.read_bytes()
        except OSError as exc:
            findings.error(f"cannot read file: {exc.strerror}", SourceLoc(display, 1, 1))
            continue
        digest.update(rel.encode() + b"\0" + str(len(raw)).encode() + b"\0" + raw)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            before = raw[: exc.start]
            line = before.count(b"\n") + 1
            col = len(before) - (before.rfind(b"\n") + 1) + 1
            findings.error("file is not valid UTF-8", SourceLoc(display, line, col))
            continue
        parsed = parse_yaml(text, display)
        findings.extend(parsed.diagnostics)
        files.append(SourceFile(file_path, display, rel, parsed))
    return files, digest.hexdigest()
