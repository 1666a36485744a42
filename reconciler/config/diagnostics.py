"""Diagnostics: what is wrong, where (``file:line:col``), and what is expected.

Every problem the configuration layer finds becomes a :class:`Diagnostic`; loading collects all
of them and raises one :class:`ConfigError` carrying the list, so a user fixes everything in one
round instead of one error per run.

Rendered form (:meth:`Diagnostic.format`)::

    examples/q/main.yaml:12:5: error: unknown key 'clinet_id' in cloud_configs.assets-sync
      expected one of: client_id, tenant_url
      hint: did you mean 'client_id'?

Diagnostics never contain values that came from ``${env:...}``/``${file:...}`` or that were given
to a secret field: such values are referred to by origin ("the value of ${env:X}") instead.

Errors of the configuration layer (its whole exception hierarchy)::

    ConfigError      raised by load_config (and by the layers above for their own load-time rules)
                     with every Diagnostic found; never anything else for a problem in the files

Every internal step (discovery, YAML, interpolation, validation report, meta keys, references)
records diagnostics instead of raising. The only other exceptions are ``ValueError`` raised by
model validators (``connections.py``, kinds' spec models), which pydantic turns into a
``ValidationError`` and the loader into diagnostics, and programming errors.
"""

from __future__ import annotations

import difflib
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, NamedTuple

__all__ = ["ConfigError", "Diagnostic", "SourceLoc", "did_you_mean", "listing", "not_found"]

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_COLORS = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m"}
_DIM_CYAN = "\x1b[36m"


class SourceLoc(NamedTuple):
    """A position in a configuration file; ``line`` and ``col`` are 1-based.

    ``str(loc)`` is ``"file:line:col"``, the form editors and CI annotators recognise. A named
    tuple, not a dataclass: the YAML reader makes two per value (200,000 for 10,000 resources), and
    a tuple is built in half the time.
    """

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Diagnostic:
    """One finding about the configuration.

    Attributes:
        severity: ``"error"`` (loading fails) or ``"warning"`` (reported, loading goes on).
        summary: one line saying what is wrong.
        detail: optional further lines (what is expected, the other place of a duplicate, ...).
        loc: where in the source, if known.
        address: the resource (``kind.name``) or connection (``connections.name``) concerned.
        hint: an optional suggestion ("did you mean 'client_id'?", how to set a variable).
    """

    severity: Literal["error", "warning"]
    summary: str
    detail: str = ""
    loc: SourceLoc | None = None
    address: str | None = None
    hint: str | None = None

    def format(self, *, color: bool = False) -> str:
        """Render as ``"<loc>: <severity>: <summary>"`` plus indented detail and hint lines.

        Without a location the address (if any) is used as the prefix. ``color`` adds ANSI
        colours (callers pass ``True`` only on a TTY).
        """
        prefix = str(self.loc) if self.loc is not None else (self.address or "")
        sev: str = self.severity
        if color:
            sev = f"{_COLORS[self.severity]}{sev}{_RESET}"
            prefix = f"{_BOLD}{prefix}{_RESET}" if prefix else prefix
        head = f"{prefix}: {sev}: {self.summary}" if prefix else f"{sev}: {self.summary}"
        lines = [head]
        if self.detail:
            lines.extend(f"  {line}" for line in self.detail.splitlines())
        if self.hint:
            hint_lines = self.hint.splitlines() or [""]
            label = f"{_DIM_CYAN}hint:{_RESET}" if color else "hint:"
            lines.append(f"  {label} {hint_lines[0]}")
            lines.extend(f"        {line}" for line in hint_lines[1:])
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


class ConfigError(Exception):
    """The configuration is invalid; ``diagnostics`` lists every error (and warning) found.

    ``str(error)`` is all diagnostics formatted, separated by newlines.
    """

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        super().__init__(self.format())

    def format(self, *, color: bool = False) -> str:
        """All diagnostics rendered (see :meth:`Diagnostic.format`), one block per diagnostic."""
        return "\n".join(d.format(color=color) for d in self.diagnostics)

    def __str__(self) -> str:
        return self.format()

    @property
    def errors(self) -> list[Diagnostic]:
        """Only the diagnostics of severity ``"error"``."""
        return [d for d in self.diagnostics if d.severity == "error"]


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """Return the closest of ``choices`` to ``word`` (difflib ratio >= 0.6), or ``None``.

    Matching is case-insensitive; an exact case-insensitive match wins. The returned string is
    the choice as spelled in ``choices``.
    """
    options = [c for c in choices if c != word]
    if not options:
        return None
    lowered: dict[str, str] = {}
    for c in options:
        lowered.setdefault(c.lower(), c)
    if word.lower() in lowered:
        return lowered[word.lower()]
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


#: how many existing names :func:`not_found` lists at most
NOT_FOUND_LIMIT = 10


def listing(names: Iterable[str], limit: int = NOT_FOUND_LIMIT) -> str:
    """``names`` (in their order) joined by ", ", at most ``limit`` of them, then
    ``" (and N more)"``: how messages list what exists without listing a thousand names."""
    items = list(names)
    return ", ".join(items[:limit]) + (f" (and {len(items) - limit} more)" if len(items) > limit else "")


def not_found(word: str, choices: Iterable[str], *, label: str, limit: int = NOT_FOUND_LIMIT) -> str:
    """The end of a "``word`` is not found" message: ``"; did you mean <closest>?"`` (see
    :func:`did_you_mean`; left out when nothing is close), then a second line, indented two spaces,
    ``"<label>: <existing choices>"``: sorted, those of the same kind as an address ``word``
    (``kind.name``) first, at most ``limit`` then ``"(and N more)"``, wrapped at 100 columns;
    ``"<label>: none"`` when there are no choices."""
    kind = word.split(".", 1)[0] + "." if "." in word else None
    names = sorted(dict.fromkeys(choices), key=lambda n: (kind is None or not n.startswith(kind), n))
    if not names:
        return f"\n  {label}: none"
    near = did_you_mean(word, names)
    shown = listing(names, limit)
    listed = textwrap.fill(shown, width=100, initial_indent=f"  {label}: ", subsequent_indent="    ",
                           break_on_hyphens=False, break_long_words=False)
    return (f"; did you mean {near}?" if near else "") + "\n" + listed
