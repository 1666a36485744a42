"""Finding and reading the configuration files, within limits (internal).

Which files (:func:`find_files`):

* a file given by name is read alone, whatever its name;
* a directory is read like Terraform reads ``*.tf``: its own ``*.yaml`` and ``*.yml`` files, not
  its subdirectories (``recursive=True`` walks them too), in sorted order of their relative POSIX
  paths. Hidden names (starting with ``.``, such as ``.reconciler/`` or ``.gitlab-ci.yml``) are
  never configuration and are not read. A ``*.yaml`` entry that cannot be read (a broken symlink,
  a symlink loop, a FIFO) is an error naming it; a directory reached twice while walking (a
  symlink loop) is listed in a warning and not walked again.

Which files are configuration (:func:`read_files` with ``top_keys``, i.e. in a directory): a file
whose top level is a mapping with an integer ``version`` or with at least one configuration
section (``connections`` or a kind's name). Other YAML files beside the configuration (a
``docker-compose.yaml``, ``mkdocs.yml``, a list, ...) are not configuration: they are skipped and
listed by name in one warning. Empty files are configuration without content (they change
nothing). A file that is not valid YAML is an error (what it holds cannot be told).

Limits, each a one-line error naming the file or directory, checked before anything is read or
parsed, so that a wrong path fails fast with bounded memory:

* :data:`MAX_FILE_BYTES` per file (checked with ``stat``, and again while reading);
* :data:`MAX_TOTAL_BYTES` over all files of one load;
* :data:`MAX_FILES` YAML files, and (``recursive=True``) :data:`MAX_ENTRIES` directory entries
  looked at.

Reading (:func:`read_files`): each file is read as bytes, decoded as UTF-8 (a BOM is allowed) and
parsed with positions (:func:`~._yaml.parse_yaml`); the configuration digest is sha256 over the
relative name, length and content of every configuration file, in order. Every problem is a
diagnostic; nothing here raises.
"""

from __future__ import annotations

import errno
import hashlib
import itertools
import os
import stat
from collections.abc import Collection
from pathlib import Path

from ._entry import SourceFile
from ._yaml import MAX_CHARS, parse_yaml
from .diagnostics import SourceLoc
from .report import Findings

__all__ = ["MAX_ENTRIES", "MAX_FILES", "MAX_FILE_BYTES", "MAX_TOTAL_BYTES", "find_files", "read_files"]

SUFFIXES = (".yaml", ".yml")
#: largest configuration file, in bytes (a 10,000-resource configuration is about 1.1 MB)
MAX_FILE_BYTES = MAX_CHARS
#: largest total over the files of one load, in bytes (the same: memory is bounded by the total;
#: 10 MiB, about 90,000 resources, validate in about 12 s and 600 MiB on the 2-core machine)
MAX_TOTAL_BYTES = MAX_FILE_BYTES
#: most YAML files in one load
MAX_FILES = 1000
#: most directory entries looked at by a recursive walk
MAX_ENTRIES = 100_000

Found = list[tuple[Path, str]]


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MiB" if n >= 1024 * 1024 else f"{n} bytes"


def find_files(path: Path, findings: Findings, *, recursive: bool = False) -> tuple[Found, Path]:
    """``([(file, relative name), ...], root)``; root is the directory, or a file's parent.

    Reports a missing path, a directory without YAML files, unreadable ``*.yaml`` entries and
    the :data:`MAX_FILES` / :data:`MAX_ENTRIES` limits (then nothing is returned).
    """
    if path.is_dir():
        reported = len(findings.diags)
        found = _walk(path, findings) if recursive else _list(path, findings)
        if found is None:
            return [], path
        found.sort(key=lambda item: item[1])
        if not found and not any(d.severity == "error" for d in findings.diags[reported:]):
            where = "directory or its subdirectories" if recursive else "directory"
            hint = None if recursive else "subdirectories are not read; read them with -R (--recursive)"
            findings.error(f"no *.yaml or *.yml files in {where} {path}", None, hint=hint)
        return found, path
    if path.is_file():
        return [(path, path.name)], path.parent
    findings.error(f"configuration path not found: {path}", None, hint="give a YAML file or a directory of them")
    return [], path


def _usable(entry: os.DirEntry[str], findings: Findings) -> bool | None:
    """True: a regular file to read; False: not one (a directory); None: unusable, reported."""
    try:
        mode = entry.stat().st_mode  # follows symlinks
    except OSError as exc:
        what = "a symlink loop" if exc.errno == errno.ELOOP else "a broken symlink" if entry.is_symlink() else None
        reason = what or (exc.strerror or "unreadable").lower()
        findings.error(f"cannot read {entry.path}: {reason}", SourceLoc(entry.path, 1, 1))
        return None
    if stat.S_ISDIR(mode):
        return False
    if not stat.S_ISREG(mode):
        findings.error(f"cannot read {entry.path}: not a regular file", SourceLoc(entry.path, 1, 1))
        return None
    return True


def _too_many(path: Path, findings: Findings) -> None:
    findings.error(
        f"more than {MAX_FILES} YAML files in {path}",
        None,
        hint="point the reconciler at the configuration's own directory",
    )


def _list(path: Path, findings: Findings) -> Found | None:
    """The directory's own ``*.yaml``/``*.yml`` files (None: past :data:`MAX_FILES`, reported)."""
    found: Found = []
    try:
        entries = list(os.scandir(path))
    except OSError as exc:
        findings.error(f"cannot list directory {path}: {exc.strerror}", None)
        return None
    subdirs: list[str] = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if not entry.name.endswith(SUFFIXES):
            if len(subdirs) < _PEEK_DIRS and entry.is_dir() and _holds_yaml(entry.path):
                subdirs.append(entry.name)
            continue
        if _usable(entry, findings):
            found.append((Path(entry.path), entry.name))
            if len(found) > MAX_FILES:
                _too_many(path, findings)
                return None
    if subdirs:
        findings.warn(
            f"not read: subdirector{'y' if len(subdirs) == 1 else 'ies'} {', '.join(sorted(subdirs))}"
            " of the configuration directory (holding YAML files)",
            None,
            hint="a directory's own *.yaml files are its configuration; subdirectories are read only with"
            " --recursive (-R)",
        )
    return found


#: subdirectories looked into (one level) for YAML files that are not read, and entries of each
_PEEK_DIRS = 100
_PEEK_ENTRIES = 1000


def _holds_yaml(directory: str) -> bool:
    """Whether ``directory`` directly holds a (non-hidden) YAML file, among its first entries."""
    try:
        with os.scandir(directory) as it:
            entries = itertools.islice(it, _PEEK_ENTRIES)
            return any(e.name.endswith(SUFFIXES) and not e.name.startswith(".") for e in entries)
    except OSError:
        return False


def _walk(root: Path, findings: Findings) -> Found | None:
    """Every ``*.yaml``/``*.yml`` below ``root``, hidden names skipped, each directory once."""
    found: Found = []
    seen_dirs: dict[tuple[int, int], str] = {}
    loops: list[str] = []
    looked = 0
    pending = [(root, "")]
    while pending:
        directory, rel = pending.pop()
        try:
            st = directory.stat()
            entries = list(os.scandir(directory))
        except OSError as exc:
            findings.error(f"cannot list directory {directory}: {exc.strerror}", None)
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            loops.append(f"{rel or '.'} (a symlink loop: already read as {seen_dirs[key] or '.'})")
            continue
        seen_dirs[key] = rel
        looked += len(entries)
        if looked > MAX_ENTRIES:
            findings.error(
                f"more than {MAX_ENTRIES} directory entries under {root}",
                None,
                hint="point the reconciler at the configuration's own directory",
            )
            return None
        for entry in entries:
            if entry.name.startswith("."):
                continue
            sub = f"{rel}/{entry.name}" if rel else entry.name
            if entry.is_dir():  # follows symlinks; loops are caught by seen_dirs
                pending.append((Path(entry.path), sub))
            elif entry.name.endswith(SUFFIXES) and _usable(entry, findings):
                found.append((Path(entry.path), sub))
                if len(found) > MAX_FILES:
                    _too_many(root, findings)
                    return None
    if loops:
        findings.warn(f"skipped {len(loops)} director{'y' if len(loops) == 1 else 'ies'}: {'; '.join(loops)}", None)
    return found


def _read(file_path: Path, display: str, findings: Findings) -> bytes | None:
    """The file's bytes, within :data:`MAX_FILE_BYTES` (None: reported)."""
    try:
        size = file_path.stat().st_size
        if size <= MAX_FILE_BYTES:
            with file_path.open("rb") as fh:
                raw = fh.read(MAX_FILE_BYTES + 1)  # the file may grow, or not be what stat said
            size = len(raw)
    except OSError as exc:
        findings.error(f"cannot read file: {exc.strerror}", SourceLoc(display, 1, 1))
        return None
    if size > MAX_FILE_BYTES:
        findings.error(
            f"file is too large for a configuration file ({_mib(size)}; the limit is {_mib(MAX_FILE_BYTES)})",
            SourceLoc(display, 1, 1),
            hint="is this the right file? split a very large configuration into several files",
        )
        return None
    return raw


def _decode(raw: bytes, display: str, findings: Findings) -> str | None:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        findings.error(
            "file is not valid UTF-8", SourceLoc(display, line, col),
            hint="save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`); YAML files are UTF-8",
        )
        return None


def is_configuration(data: object, top_keys: Collection[str]) -> bool:
    """Whether a directory's file holding ``data`` is configuration (see the module docstring)."""
    if data is None:
        return True  # empty: configuration without content
    if not isinstance(data, dict):
        return False
    version = data.get("version")
    if isinstance(version, int) and not isinstance(version, bool):
        return True
    return any(key != "version" and key in top_keys for key in data)


def read_files(
    found: Found, findings: Findings, *, top_keys: Collection[str] | None = None
) -> tuple[list[SourceFile], str]:
    """Read and parse ``found`` (in order); ``(configuration files, sha256 hex digest)``.

    ``top_keys`` (reading a directory: ``version``, ``connections`` and the kinds' names): files
    that are not configuration (:func:`is_configuration`) are left out, their diagnostics
    dropped, and listed in one warning. Each file's display name is recorded in
    ``findings.order`` (diagnostics sort by it), also for files that could not be read or
    decoded (those are left out of the result).
    """
    digest = hashlib.sha256()
    files: list[SourceFile] = []
    skipped: list[str] = []
    total = 0
    for file_path, rel in found:
        display = str(file_path)
        findings.order[display] = len(findings.order)
        raw = _read(file_path, display, findings)
        if raw is None:
            continue
        total += len(raw)
        if total > MAX_TOTAL_BYTES:
            findings.error(
                f"configuration files are too large together (the limit is {_mib(MAX_TOTAL_BYTES)})",
                SourceLoc(display, 1, 1),
                hint="is this the right directory?",
            )
            break  # the rest is not read
        text = _decode(raw, display, findings)
        if text is None:
            continue
        parsed = parse_yaml(text, display)
        failed = parsed.data is None and any(d.severity == "error" for d in parsed.diagnostics)
        if top_keys is not None and not failed and not is_configuration(parsed.data, top_keys):
            skipped.append(rel)
            continue
        findings.extend(parsed.diagnostics)
        if failed:
            findings.unparsed.append(display)
        digest.update(rel.encode() + b"\0" + str(len(raw)).encode() + b"\0" + raw)
        files.append(SourceFile(file_path, display, rel, parsed))
    if skipped and not files and not any(d.severity == "error" for d in findings.diags):
        findings.error(
            "none of the YAML files is configuration",
            None,
            hint="a configuration file has a top-level 'version: 1' or a section such as 'connections'",
        )
    if skipped:
        findings.warn(
            f"skipped {len(skipped)} YAML file{'s' if len(skipped) != 1 else ''} that"
            f" {'are' if len(skipped) != 1 else 'is'} not configuration: {', '.join(skipped)}",
            None,
            hint="a configuration file has a top-level 'version: 1' or a section such as 'connections'",
        )
    return files, digest.hexdigest()
