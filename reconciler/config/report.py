"""Findings and the validation report (internal): pydantic errors -> diagnostics at
``file:line:col``, with values that must not be shown kept out of them.

:class:`Findings` collects every diagnostic of one load together with the *sensitive* values seen
on the way (values from ``${env:}``/``${file:}``, values of secret fields, values shaped like
credentials); :meth:`Findings.finish` replaces each of them by ``(sensitive)`` in every
diagnostic and sorts the diagnostics by file order, line and column. One mistake is one error:
it also records the values already in error (:meth:`Findings.value_failed`) and the errors that
leave entries undeclared (:meth:`Findings.may_declare`, unparsed files), which keep knock-on
errors out.

:class:`ValidationReport` turns a spec model's ``ValidationError`` into diagnostics (missing
field, unknown key with a did-you-mean, a value not among a ``Literal``/enum's choices with the
allowed ones and a did-you-mean, other invalid values with what was expected), and adds the two
checks pydantic does not make: YAML 1.2 strict booleans (pydantic's own error for such a value is
then left out) and secrets written in clear.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ValidationError

from reconciler.refs import is_unresolved, tokenize

from ._entry import Entry, Path_, describe, dotted, get_at, where
from ._types import (
    flagged_strings,
    is_bool,
    is_secret,
    is_union,
    model_fields_by_key,
    models_in,
    split_annotated,
    type_at,
)
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


#: how many places of the references to one address an error folds in (see ``Findings.may_declare``)
_FOLD_LIMIT = 5


@dataclass
class _Shadow:
    """Entries of one kind that an error left unregistered (``Findings.may_declare``): the error's
    index in ``Findings.diags``, the names it may declare (None: any) and the references to them
    that were folded into it (``(address, position)``)."""

    index: int
    names: frozenset[str] | None
    refs: list[tuple[str, SourceLoc | None]] = dataclasses.field(default_factory=list)


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
        #: kind (section) -> the errors that left entries of it unregistered (:meth:`may_declare`)
        self.shadows: dict[str, list[_Shadow]] = {}
        #: ``(entry address, path)`` of values already in error (a malformed ``${...}``, an unset
        #: variable, an unreadable file; :meth:`value_failed`): their checks are not made again
        self.failed: set[tuple[str, Path_]] = set()

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

    def value_failed(self, address: str, path: Path_) -> None:
        """The value at ``path`` of the entry ``address`` is in error already (reported): the checks
        of its type or format are not made on what is left of it (see :attr:`failed`)."""
        self.failed.add((address, path))

    def may_declare(self, kind: str, names: Iterable[str] | None = None) -> None:
        """The error just recorded left entries of ``kind`` (a section, or ``connections``)
        unregistered: those named ``names``, or any when None (an invalid name: which one was meant
        is unknown). References to them that :meth:`undeclared_name` would report as not declared are
        folded into that error instead (:meth:`note_unchecked`): one mistake, one error."""
        frozen = None if names is None else frozenset(names)
        self.shadows.setdefault(kind, []).append(_Shadow(len(self.diags) - 1, frozen))

    def undeclared_name(
        self, summary: str, loc: SourceLoc | None, *, name: str, declared: list[str], what: str,
        address: str | None = None, ref: tuple[str, str] | None = None,
    ) -> None:
        """:meth:`undeclared`, saying what exists: the ``declared`` names of ``what`` (e.g.
        ``folders``) in the detail (at most ten, see ``listing``) and the closest to ``name`` as a
        did-you-mean hint. ``ref``: the ``(kind, name)`` referred to (default ``(what, name)``);
        when an error left it unregistered (:meth:`may_declare`) the reference is folded into that
        error instead."""
        kind, ref_name = ref or (what, name)
        for shadow in self.shadows.get(kind, ()):
            if shadow.names is None or ref_name in shadow.names:
                shadow.refs.append((f"{kind}.{ref_name}", loc))
                return
        near = did_you_mean(name, declared)
        self.undeclared(
            summary,
            loc,
            detail=f"declared {what}: {listing(declared)}" if declared else f"no {what} are declared",
            address=address,
            hint=f"did you mean '{near}'?" if near else None,
        )

    def note_unchecked(self) -> None:
        """After the checks: the references folded into the errors of :meth:`may_declare` are added to
        those errors' detail (``2 references to folders.mc-demo are not checked until this is fixed:
        main.yaml:118:13, ...``); and one warning says how many names were not checked and why (none
        when every file was parsed or nothing was left out), placed after the first unparsed file's
        error."""
        self._fold_shadowed()
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

    def _place(self, loc: SourceLoc | None) -> tuple[int, int, int]:
        """Sort key of a position: file order, line, column (unlocated first)."""
        if loc is None:
            return (-1, 0, 0)
        return (self.order.get(loc.file, len(self.order)), loc.line, loc.col)

    def _fold_shadowed(self) -> None:
        for shadows in self.shadows.values():
            for shadow in shadows:
                if not shadow.refs:
                    continue
                by_address: dict[str, list[str]] = {}
                for ref, loc in sorted(shadow.refs, key=lambda r: self._place(r[1])):
                    by_address.setdefault(ref, []).append(str(loc) if loc is not None else "?")
                lines = []
                for ref, places in by_address.items():
                    n = len(places)
                    more = f" (and {n - _FOLD_LIMIT} more)" if n > _FOLD_LIMIT else ""
                    lines.append(
                        f"{n} reference{'s' if n != 1 else ''} to {ref} {'are' if n != 1 else 'is'} not checked"
                        f" until this is fixed: {', '.join(places[:_FOLD_LIMIT])}{more}"
                    )
                d = self.diags[shadow.index]
                detail = "\n".join([d.detail, *lines] if d.detail else lines)
                self.diags[shadow.index] = dataclasses.replace(d, detail=detail)

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

        return sorted(out, key=lambda d: self._place(d.loc))


#: pydantic error type -> what the field needs, as the summary says it (its own wording otherwise)
_PLAIN = {
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "set_type": "expected a list",
    "string_type": "expected a string",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "dict_type": "expected a mapping (key: value lines)",
    "model_type": "expected a mapping (key: value lines)",
    "model_attributes_type": "expected a mapping (key: value lines)",
}


def _plain_msg(etype: str, msg: str, ctx: Mapping[str, Any] | None) -> str:
    """pydantic's message ``msg`` of error type ``etype`` (context ``ctx``) in the configuration's
    words: "expected a list" for "Input should be a valid list", "must not be empty" for a string of
    at least 1 character, "must be at least N characters"/"at most N"; other messages as they are."""
    if etype in _PLAIN:
        return _PLAIN[etype]
    ctx = ctx or {}
    if etype == "string_too_short":
        n = ctx.get("min_length")
        return "must not be empty" if n == 1 else f"must be at least {n} characters long"
    if etype == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters long"
    if etype == "too_short":
        n = ctx.get("min_length")
        return "must not be empty" if n == 1 else f"needs at least {n} items"
    if etype == "too_long":
        return f"takes at most {ctx.get('max_length')} items"
    return _clean_msg(msg)


def _misspelt_required(entry: Entry, model: type[BaseModel], errors: list[Any]) -> set[tuple[Path_, str]]:
    """``(parent path, field)`` of each missing required field that an unknown key beside it
    misspells (``tennant_url`` for ``tenant_url``): that key's "unknown key ... did you mean" error is
    the one error of the mistake, so the "missing required field" is left out."""
    missing: dict[Path_, set[str]] = {}
    extra: list[tuple[Path_, str]] = []
    for err in errors:
        loc = tuple(err.get("loc", ()))
        if not loc:
            continue
        if err.get("type") == "missing":
            missing.setdefault(_match_loc(entry.data, loc), set()).add(str(loc[-1]))
        elif err.get("type") == "extra_forbidden":
            path = _match_loc(entry.data, loc)
            if path:
                extra.append((path[:-1], str(path[-1])))
    out: set[tuple[Path_, str]] = set()
    for parent, key in extra:
        near = did_you_mean(key, sorted(missing.get(parent, ())))
        if near:
            out.add((parent, near))
    return out


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
        #: ``(entry address, path)`` of the values :meth:`check_strict_bools` reported: pydantic's
        #: own error for the same value is not reported again
        self.bool_errors: set[tuple[str, Path_]] = set()

    def check_scalars(self, entry: Entry, model: type[BaseModel]) -> bool:
        """:meth:`check_clear_secrets` and :meth:`check_strict_bools` from one walk of the entry's
        data; returns what ``check_strict_bools`` returns."""
        flagged = flagged_strings(entry.data, model)
        self.check_clear_secrets(entry, model, flagged)
        return self.check_strict_bools(entry, model, flagged)

    def check_clear_secrets(
        self, entry: Entry, model: type[BaseModel], flagged: list[tuple[Path_, str, Any]] | None = None
    ) -> None:
        """Warn for each secret field given literally (not by ``${env:}``/``${file:}``). ``flagged``:
        ``flagged_strings(entry.data, model)`` when the caller has it."""
        for path, value, tp in flagged if flagged is not None else flagged_strings(entry.data, model):
            if not value or path in entry.from_expr or is_unresolved(value) or not is_secret(tp):
                continue
            self.findings.add_sensitive(value)  # never shown, whatever it looks like
            if re.fullmatch(r"\$[A-Za-z_][A-Za-z0-9_]*", value):  # like the shell's $NAME: sent as written
                self.findings.warn(
                    f"secret {where(entry.address, path)} is written in clear and starts with '$' like a shell"
                    " variable; this tool does not expand $NAME",
                    entry.value_loc(path),
                    address=entry.address,
                    hint="an environment variable is written ${env:NAME} (or use ${file:path})",
                )
                continue
            self.findings.warn(
                f"secret {where(entry.address, path)} is written in clear in the configuration",
                entry.value_loc(path),
                address=entry.address,
                hint="use ${env:NAME} or ${file:path} so the secret stays out of git",
            )

    def check_strict_bools(
        self, entry: Entry, model: type[BaseModel], flagged: list[tuple[Path_, str, Any]] | None = None
    ) -> bool:
        """YAML 1.2: a string is never a boolean (pydantic would take 'yes'/'on'); True if all fine.
        ``flagged``: as for :meth:`check_clear_secrets`."""
        ok = True
        for path, value, tp in flagged if flagged is not None else flagged_strings(entry.data, model):
            if is_unresolved(value) or not is_bool(tp) or (entry.address, path) in self.findings.failed:
                continue
            ok = False
            self.bool_errors.add((entry.address, path))
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
        (or by values of unset variables, ``Entry.unset``). Values already in error are not judged
        again: a string :meth:`check_strict_bools` reported, a value whose interpolation failed
        (``Findings.failed``); one invalid choice (``Literal``/enum) is one error, whatever the union."""
        reported = False
        done: set[tuple[Path_, str]] = set()
        errors = exc.errors(include_url=False)
        misspelt = _misspelt_required(entry, model, errors)
        for err in errors:
            loc = tuple(err.get("loc", ()))
            etype = str(err.get("type", ""))
            if etype == "missing" and (_match_loc(entry.data, loc), str(loc[-1]) if loc else "") in misspelt:
                reported = True  # the misspelt key's error names it: one mistake, one error
                continue
            path = _match_loc(entry.data, loc)
            value = get_at(entry.data, path)
            if etype not in ("missing", "extra_forbidden"):
                if is_unresolved(value):
                    continue  # validated again once the reference is resolved
                if (entry.address, path) in self.bool_errors or (entry.address, path) in self.findings.failed:
                    reported = True  # reported already: the entry is invalid, this is no second error
                    continue
            if any(path[: len(u)] == u for u in entry.unset):
                continue  # an unset ${env:...} (secrets optional): judged once it is set
            msg = _plain_msg(etype, str(err.get("msg", "invalid value")), err.get("ctx"))
            choices = _choices(model, path) if etype in ("literal_error", "enum") else None
            key = (path, "choice") if choices is not None else (path, msg)
            if key in done:
                continue
            done.add(key)
            reported = True
            if etype == "missing":
                self._missing(entry, model, path, loc)
            elif etype == "extra_forbidden":
                self._extra(entry, model, path)
            elif choices is not None:
                self._not_a_choice(entry, model, path, value, choices)
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

    def _not_a_choice(self, entry: Entry, model: type[BaseModel], path: Path_, value: Any, choices: list[str]) -> None:
        """A value that is not one of the ``choices`` of a ``Literal``/enum field: the allowed values
        in the detail and the closest as a did-you-mean (never for a sensitive value)."""
        sensitive = self._is_sensitive(entry, model, path) or (isinstance(value, str) and looks_secret(value))
        if sensitive:
            if isinstance(value, str):
                self.findings.add_sensitive(value)
            got, near = f"{self._origin(entry, path)} (not shown)", None
        else:
            got = describe(value)
            near = did_you_mean(value, choices) if isinstance(value, str) else None
        self.findings.error(
            f"invalid value for '{dotted(path)}' in {entry.address}: not one of the allowed values",
            entry.value_loc(path),
            detail=f"got: {got}\nexpected one of: {', '.join(choices)}",
            address=entry.address,
            hint=f"did you mean '{near}'?" if near else None,
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
        about = _expected(model, path)
        if about and path:
            details.append(f"{path[-1]}: {about}")
        hint = None
        if etype == "string_type" and isinstance(value, int | float | bool) and not sensitive:
            hint = f'quote the value to make it a string: "{describe(value)}"'
        elif etype in ("list_type", "tuple_type", "set_type") and not sensitive and path and (
            value is None or isinstance(value, str | int | float | bool)
        ):
            plain = isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9][\w.@/-]*", value) is not None
            hint = f"write a list: {path[-1]}: [{value if plain else describe(value)}]"
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


def _choices(model: type[BaseModel], path: Path_) -> list[str] | None:
    """The values a ``Literal``/enum field at ``path`` allows (every choice of a union of them), as
    YAML writes them (``experience_cloud``, ``true``, ``3``); None when it is no such field."""
    out: list[str] = []
    pending = [type_at(model, path)] if path else []
    while pending:
        tp, _ = split_annotated(pending.pop(0))
        if is_union(tp):
            pending[:0] = list(get_args(tp))
        elif get_origin(tp) is Literal:
            out.extend(v if isinstance(v, str) else describe(v) for v in get_args(tp))
        elif isinstance(tp, type) and issubclass(tp, enum.Enum):
            out.extend(m.value if isinstance(m.value, str) else describe(m.value) for m in tp)
    return list(dict.fromkeys(out)) or None
