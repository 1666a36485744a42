"""``${env:...}`` and ``${file:...}`` interpolation at load time (internal).

Syntax (tokenized by :func:`~.refs.tokenize`): ``${env:NAME}``, ``${env:NAME:-default}``,
``${file:path}`` (relative to the directory of the file that names it, ``~`` expanded, read as
UTF-8, trailing newlines stripped, each file read once per load), ``$${`` for a literal ``${``.
``${kind.name.attr}`` references stay in the string: when a string keeps a reference it is
returned in *template form* (``$${`` escapes kept, ``${`` in substituted values escaped) so that
:func:`~.refs.substitute` can resolve it later.

Every substituted value is registered as sensitive (never shown in a diagnostic) and its path
recorded in :attr:`~._entry.Entry.tainted`. Unset variables, unreadable files and malformed
expressions become diagnostics, and the value is recorded in
:attr:`~.report.Findings.failed` so that what is left of it is not judged again (one mistake, one
error); nothing here raises. With ``require_env=False`` (``validate`` and
``graph``, which never send a secret anywhere) an unset variable without a default is a warning
instead: it stands for an empty string and its path is recorded in :attr:`~._entry.Entry.unset`,
so the loader does not judge that value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler.refs import REF_PATTERN, Token, tokenize

from ._entry import Entry, Path_, describe, where
from .diagnostics import SourceLoc
from .report import Findings

__all__ = ["Interpolator"]

#: (kind, text) pieces of a string: kind is text / escape / ref / secret (a substituted value)
_Piece = tuple[str, str]


class Interpolator:
    """Substitutes ``${env:}``/``${file:}`` in entries; ``environ`` stands for ``os.environ``."""

    def __init__(self, environ: Mapping[str, str], findings: Findings, *, require_env: bool = True) -> None:
        self.environ = environ
        self.require_env = require_env
        self.findings = findings
        self.file_cache: dict[Path, str | OSError | UnicodeDecodeError] = {}

    def entry(self, entry: Entry) -> dict[str, Any]:
        """The entry's raw mapping with every string interpolated ({} for an empty or bad entry)."""
        raw = entry.raw
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            what = "connection" if entry.section == "connections" else "resource"
            self.findings.error(
                f"{what} {entry.address} must be a mapping of fields, got {describe(raw)}",
                entry.value_loc(()),
                address=entry.address,
            )
            return {}
        result = self._value(entry, raw, ())
        assert isinstance(result, dict)
        return result

    def _value(self, entry: Entry, value: Any, path: Path_) -> Any:
        if isinstance(value, dict):
            return {k: self._value(entry, v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self._value(entry, v, (*path, i)) for i, v in enumerate(value)]
        if isinstance(value, str) and "${" in value:
            return self._string(entry, value, path)
        return value

    def _string(self, entry: Entry, value: str, path: Path_) -> str:
        tokens = tokenize(value)
        pieces = [p for tok in tokens for p in self._pieces(entry, tok, path)]
        if any(kind == "secret" for kind, _ in pieces):
            entry.tainted.add(path)
        if any(t.type in ("env", "file") for t in tokens):
            entry.from_expr.add(path)
        final = "".join("${" if k == "escape" else text for k, text in pieces)
        if not any(t.type == "ref" for t in tokens) and not REF_PATTERN.search(final):
            return final
        return self._template(entry, pieces, path)

    def _pieces(self, entry: Entry, tok: Token, path: Path_) -> list[_Piece]:
        """What one token stands for (nothing when it is in error, which is reported)."""
        if tok.type in ("text", "escape", "ref"):
            return [(tok.type, {"text": tok.text, "escape": "", "ref": tok.raw}[tok.type])]
        loc = entry.file.parsed.locate((*entry.base, *path), tok.raw) or entry.value_loc(path)
        if tok.type == "env":
            env_value = self.environ.get(tok.var)
            if env_value is not None:
                self.findings.add_sensitive(env_value)
                return [("secret", env_value)]
            if tok.default is not None:
                return [("text", tok.default)]
            if not self.require_env:
                entry.unset.add(path)
                self.findings.warn(
                    f"environment variable {tok.var} is not set: {tok.raw} in {where(entry.address, path)}"
                    " is not checked (plan and apply will need it)",
                    loc,
                    address=entry.address,
                    hint=f"export {tok.var}=... before plan or apply",
                )
                return [("secret", "")]
            self.findings.value_failed(entry.address, path)
            self.findings.error(
                f"environment variable {tok.var} is not set",
                loc,
                detail=f"{tok.raw} in {where(entry.address, path)} needs it",
                address=entry.address,
                hint=f"set it before running (export {tok.var}=...), or give a default: ${{env:{tok.var}:-default}}",
            )
            return []
        if tok.type == "file":
            content = self._read_file(entry, tok.path, tok.raw, loc)
            if content is None:
                self.findings.value_failed(entry.address, path)
                return []
            return [("secret", content)]
        self.findings.value_failed(entry.address, path)
        shell = re.fullmatch(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-(.*))?\}", tok.raw, re.DOTALL)
        if shell:  # the shell's ${NAME} or ${NAME:-default}
            default = f":-{shell.group(2)}" if shell.group(2) is not None else ""
            hint = f"an environment variable is written ${{env:{shell.group(1)}{default}}}"
        elif "unterminated" in tok.reason:
            hint = "close it with '}' (or write $${ for a literal ${)"
        else:
            hint = "write $${ for a literal ${"
        self.findings.error(f"invalid interpolation {tok.raw}: {tok.reason}", loc, address=entry.address, hint=hint)
        return []

    def _template(self, entry: Entry, pieces: list[_Piece], path: Path_) -> str:
        """Template form: references stay, '${' from escapes and substituted values is escaped."""
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
                    self.findings.error(
                        "an interpolated value ends with '$' right before a ${...} reference",
                        entry.value_loc(path),
                        address=entry.address,
                        hint="'$${' would read as an escape; put a character between them",
                    )
                out.append(escaped)
        return "".join(out)

    def _read_file(self, entry: Entry, rel: str, raw: str, loc: SourceLoc) -> str | None:
        target = Path(os.path.expanduser(rel))
        relative = not target.is_absolute()
        if relative:
            target = entry.file.path.parent / target
        cached = self.file_cache.get(target)
        if cached is None:
            try:
                cached = target.read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                cached = exc
            self.file_cache[target] = cached
        if isinstance(cached, OSError):
            self.findings.error(
                f"cannot read {raw}: {cached.strerror or cached}",
                loc,
                detail=(
                    f"resolved to {target} (relative to the directory of {entry.file.display})" if relative
                    else f"resolved to {target}" if str(target) != rel
                    else ""
                ),
                address=entry.address,
            )
            return None
        if isinstance(cached, UnicodeDecodeError):
            self.findings.error(f"cannot read {raw}: not UTF-8 text", loc, address=entry.address)
            return None
        content = cached.rstrip("\r\n")
        self.findings.add_sensitive(content)
        return content
