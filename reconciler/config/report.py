"""Findings and the validation report (internal): pydantic errors -> diagnostics at
``file:line:col``, with values that must not be shown kept out of them.

:class:`Findings` collects every diagnostic of one load together with the *sensitive* values seen
on the way (values from ``${env:}``/``${file:}``, values of secret fields, values shaped like
credentials); :meth:`Findings.finish` replaces each of them by ``(sensitive)`` in every
diagnostic and sorts the diagnostics by file order, line and column.

:class:`ValidationReport` turns a spec model's ``ValidationError`` into diagnostics (missing
field, unknown key with a did-you-mean, invalid value with what was expected), and adds the two
checks pydantic does not make: YAML 1.2 strict booleans and secrets written in clear.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError

from reconciler.refs import is_unresolved, tokenize

from ._entry import Entry, Path_, describe, dotted, get_at, where
from ._types import flagged_strings, is_bool, is_secret, model_fields_by_key, models_in, type_at
from .diagnostics import Diagnostic, SourceLoc, did_you_mean, listing
from .meta import META_KEYS

__all__ = ["MIN_REDACT_LEN", "Findings", "ValidationReport", "looks_secret"]

SENSITIVE = "(sensitive)"
#: shorter values are not redacted (they would blank out ordinary words)
MIN_REDACT_LEN = 6

_SECRET_SHAPES = (
    re.compile(r"p8e-[A-Za-z0-9_-]{8,}"),  # Adobe client secrets
    re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),  # JWT / bearer tokens
)


def looks_secret(value: str) -> bool:
    """Heuristic: a value shaped like a credential is never echoed, whatever field it is in."""
    return any(p.search(value) for p in _SECRET_SHAPES)


class Findings:
    """The diagnostics of one load, the sensitive values to keep out of them, and the file order.

    ``order`` maps a file's display name to its position (diagnostics sort by it).
    """

    def __init__(self) -> None:
        self.diags: list[Diagnostic] = []
        self.sensitive: set[str] = set()
        self.order: dict[str, int] = {}
        #: display names of the files that could not be parsed (YAML syntax errors): what they
        #: declare is unknown, so :meth:`undeclared` records nothing while there is one
        self.unparsed: list[str] = []
        #: how many :meth:`undeclared` errors were left out because of ``unparsed`` files
        self.unchecked = 0

    def error(
        self,
        summary: str,
        loc: SourceLoc | None,
        *,
        detail: str = "",
        address: str | None = None,
        hint: str | None = None,
    ) -> None:
        """Record an error (loading fails at the end)."""
        self.diags.append(Diagnostic("error", summary, detail=detail, loc=loc, address=address, hint=hint))

    def undeclared(
        self, summary: str, loc: SourceLoc | None, *, detail: str = "", address: str | None = None,
        hint: str | None = None,
    ) -> None:
        """Record an error saying something named is not declared, unless a file could not be parsed
        (``unparsed``): it may be declared there, and its syntax error is the one to fix (counted in
        ``unchecked`` instead, see :meth:`note_unchecked`)."""
        if self.unparsed:
            self.unchecked += 1
            return
        self.error(summary, loc, detail=detail, address=address, hint=hint)

    def undeclared_name(
        self, summary: str, loc: SourceLoc | None, *, name: str, declared: list[str], what: str,
        address: str | None = None,
    ) -> None:
        """:meth:`undeclared`, saying what exists: the ``declared`` names of ``what`` (e.g.
        ``folders``) in the detail (at most ten, see ``listing``) and the closest to ``name`` as a
        did-you-mean hint."""
        near = did_you_mean(name, declared)
        self.undeclared(
            summary,
            loc,
            detail=f"declared {what}: {listing(declared)}" if declared else f"no {what} are declared",
            address=address,
            hint=f"did you mean '{near}'?" if near else None,
        )

    def note_unchecked(self) -> None:
        """After the checks: one warning saying how many names were not checked and why (none when
        every file was parsed or nothing was left out), placed after the first unparsed file's error."""
        if self.unchecked:
            n = self.unchecked
            first = self.unparsed[0]
            loc = next((d.loc for d in self.diags if d.loc is not None and d.loc.file == first), None)
            self.warn(
                f"{n} reference{'s' if n != 1 else ''} to undeclared names {'were' if n != 1 else 'was'} not"
                f" reported: {', '.join(self.unparsed)} could not be parsed and may declare them",
                loc,
                hint="fix the YAML syntax error first",
            )

    def warn(self, summary: str, loc: SourceLoc | None, *, address: str | None = None, hint: str | None = None) -> None:
        """Record a warning (reported; loading goes on)."""
        self.diags.append(Diagnostic("warning", summary, loc=loc, address=address, hint=hint))

    def extend(self, diags: list[Diagnostic]) -> None:
        """Record diagnostics made elsewhere (e.g. by the YAML parser)."""
        self.diags.extend(diags)

    def add_sensitive(self, value: str) -> None:
        """Keep ``value`` out of every diagnostic (values under :data:`MIN_REDACT_LEN` are ignored)."""
        if len(value) >= MIN_REDACT_LEN:
            self.sensitive.add(value)

    def redact(self, text: str | None) -> str | None:
        """``text`` with every sensitive value replaced by ``(sensitive)``."""
        if not text:
            return text
        for secret in sorted(self.sensitive, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, SENSITIVE)
        return text

    def finish(self) -> list[Diagnostic]:
        """All diagnostics, redacted, sorted by (file order, line, col); unlocated ones first."""
        out = [
            Diagnostic(
                d.severity,
                self.redact(d.summary) or "",
                detail=self.redact(d.detail) or "",
                loc=d.loc,
                address=d.address,
                hint=self.redact(d.hint),
            )
            for d in self.diags
        ]

        def key(d: Diagnostic) -> tuple[int, int, int]:
            if d.loc is None:
                return (-1, 0, 0)
            return (self.order.get(d.loc.file, len(self.order)), d.loc.line, d.loc.col)

        return sorted(out, key=key)


def _clean_msg(msg: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    return msg


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


class ValidationReport:
    """Checks and reports an entry's data against its model, into ``findings``."""

    def __init__(self, findings: Findings) -> None:
        self.findings = findings

    def check_clear_secrets(self, entry: Entry, model: type[BaseModel]) -> None:
        """Warn for each secret field given literally (not by ``${env:}``/``${file:}``)."""
        for path, value, tp in flagged_strings(entry.data, model):
            if not value or path in entry.from_expr or is_unresolved(value) or not is_secret(tp):
                continue
            self.findings.add_sensitive(value)
            self.findings.warn(
                f"secret {where(entry.address, path)} is written in clear in the configuration",
                entry.value_loc(path),
                address=entry.address,
                hint="use ${env:NAME} or ${file:path} so the secret stays out of git",
            )

    def check_strict_bools(self, entry: Entry, model: type[BaseModel]) -> bool:
        """YAML 1.2: a string is never a boolean (pydantic would take 'yes'/'on'); True if all fine."""
        ok = True
        for path, value, tp in flagged_strings(entry.data, model):
            if is_unresolved(value) or not is_bool(tp):
                continue
            ok = False
            sensitive = self._is_sensitive(entry, model, path)
            shown = f"{self._origin(entry, path)} (not shown)" if sensitive else describe(value)
            self.findings.error(
                f"invalid value for '{dotted(path)}' in {entry.address}: expected true or false",
                entry.value_loc(path),
                detail=f"got: {shown}",
                address=entry.address,
                hint="YAML 1.2: write true or false (yes/no/on/off are strings)",
            )
        return ok

    def report(self, entry: Entry, model: type[BaseModel], exc: ValidationError) -> bool:
        """Report the errors of ``exc``; return True if some were not caused by unresolved references
        (or by values of unset variables, ``Entry.unset``)."""
        reported = False
        done: set[tuple[Path_, str]] = set()
        for err in exc.errors(include_url=False):
            loc = tuple(err.get("loc", ()))
            etype = str(err.get("type", ""))
            path = _match_loc(entry.data, loc)
            value = get_at(entry.data, path)
            if etype not in ("missing", "extra_forbidden") and is_unresolved(value):
                continue  # validated again once the reference is resolved
            if any(path[: len(u)] == u for u in entry.unset):
                continue  # an unset ${env:...} (secrets optional): judged once it is set
            msg = _clean_msg(str(err.get("msg", "invalid value")))
            if (path, msg) in done:
                continue
            done.add((path, msg))
            reported = True
            if etype == "missing":
                self._missing(entry, model, path, loc)
            elif etype == "extra_forbidden":
                self._extra(entry, model, path)
            else:
                self._invalid(entry, model, path, msg, etype, value)
        return reported

    def _is_sensitive(self, entry: Entry, model: type[BaseModel], path: Path_) -> bool:
        if any(path[: len(t)] == t or t[: len(path)] == path for t in entry.tainted):
            return True
        return is_secret(type_at(model, path))

    def _origin(self, entry: Entry, path: Path_) -> str:
        value = get_at(entry.raw, path) if isinstance(entry.raw, dict) else None
        if isinstance(value, str) and "${" in value:
            exprs = [t.raw for t in tokenize(value) if t.type in ("env", "file")]
            if exprs:
                return "the value of " + ", ".join(exprs)
        return "a secret value"

    def _missing(self, entry: Entry, model: type[BaseModel], path: Path_, loc: tuple[Any, ...]) -> None:
        missing = str(loc[-1]) if loc else "?"
        detail = ""
        for m in models_in(type_at(model, path)):
            fi = model_fields_by_key(m).get(missing)
            if fi is not None and fi.description:
                detail = f"{missing}: {fi.description}"
                break
        self.findings.error(
            f"missing required field '{missing}' in {where(entry.address, path)}",
            entry.key_loc_of(path),
            detail=detail,
            address=entry.address,
        )

    def _extra(self, entry: Entry, model: type[BaseModel], path: Path_) -> None:
        key = str(path[-1]) if path else "?"
        parent = path[:-1]
        allowed: list[str] = []
        for m in models_in(type_at(model, parent)):
            allowed.extend(k for k in model_fields_by_key(m) if k not in allowed)
        if not parent:
            allowed.extend(k for k in META_KEYS if entry.section != "connections" and k not in allowed)
        misplaced = _misplaced(model, entry, parent, key)
        suggestion = None if misplaced else did_you_mean(key, allowed)
        self.findings.error(
            f"unknown key '{key}' in {where(entry.address, parent)}",
            entry.key_loc_of(path),
            detail=f"expected one of: {', '.join(allowed)}" if allowed else "",
            address=entry.address,
            hint=misplaced or (f"did you mean '{suggestion}'?" if suggestion else None),
        )

    def _invalid(self, entry: Entry, model: type[BaseModel], path: Path_, msg: str, etype: str, value: Any) -> None:
        sensitive = self._is_sensitive(entry, model, path)
        if isinstance(value, str) and looks_secret(value):
            sensitive = True
            self.findings.sensitive.add(value)
        details = []
        custom = etype in ("value_error", "assertion_error")  # the kind's message says what is wrong
        if not sensitive and not custom and (value is None or isinstance(value, str | int | float | bool)):
            details.append(f"got: {describe(value)}")
        elif sensitive:
            details.append(f"got: {self._origin(entry, path)} (not shown)")
        expected = _expected(model, path)
        if expected:
            details.append(f"expected: {expected}")
        hint = None
        if etype == "string_type" and isinstance(value, int | float | bool) and not sensitive:
            hint = f'quote the value to make it a string: "{describe(value)}"'
        elif etype == "bool_parsing" and isinstance(value, str) and not sensitive:
            hint = "YAML 1.2: write true or false (yes/no/on/off are strings)"
        summary = (
            f"invalid value for '{dotted(path)}' in {entry.address}: {msg}"
            if path
            else f"invalid {entry.address}: {msg}"
        )
        self.findings.error(summary, entry.value_loc(path), detail="\n".join(details), address=entry.address, hint=hint)


def _keys_of(model: type[BaseModel], path: Path_) -> list[str]:
    """The keys a mapping at ``path`` below ``model`` may have (every model it may be)."""
    return [k for m in models_in(type_at(model, path)) for k in model_fields_by_key(m)]


def _misplaced(model: type[BaseModel], entry: Entry, parent: Path_, key: str) -> str | None:
    """The hint for an unknown ``key`` at ``parent`` (below the resource or connection ``entry``)
    that is a key one level further in (of a field of ``parent``, or of each entry of a list field)
    or further out (of an enclosing mapping): a wrong indentation, not a typo. None when neither."""
    for field in _keys_of(model, parent):
        for sub, what in (((field,), f"'{field}'"), ((field, 0), f"each entry of '{field}'")):
            if key in _keys_of(model, (*parent, *sub)):
                return f"'{key}' is a key of {what}, not of {where(entry.address, parent)}: check its indentation"
    for n in range(len(parent) - 1, -1, -1):
        outer = parent[:n]
        if key in _keys_of(model, outer) or (not outer and entry.section != "connections" and key in META_KEYS):
            return f"'{key}' is a key of {where(entry.address, outer)}: it looks indented too far"
    return None


def _expected(model: type[BaseModel], path: Path_) -> str | None:
    """The description of the field at ``path`` (from the first model that has one), if any."""
    tp = type_at(model, path[:-1]) if path else None
    for m in models_in(tp):
        fi = model_fields_by_key(m).get(str(path[-1]))
        if fi is not None and fi.description:
            return fi.description
    return None
