"""Warnings of loading the configuration, carried in a plan (``Plan.warnings``).

Loading the configuration (``reconciler.config.load_config`` and the offline rules of
``reconciler.rules``) yields warnings such as "secret ... is written in clear", an unset
``${env:...}`` with a default, or a change that cannot be made in place. The CLI prints them on
stderr, as diagnostics (``file:line:col: warning: ...``); so that the JSON plan, a saved plan file and
the Markdown comment carry them too, it adds them to the plan as :class:`ConfigWarning` notes. The
text view skips them (they are on stderr already); ``show PLANFILE`` prints them on stderr again,
as ``plan`` did.

Diagnostics never contain a secret value (``reconciler.config.diagnostics``): a warning names the
field, never its value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from reconciler.engine import Note

if TYPE_CHECKING:  # imported when formatting: the configuration layer costs 0.17 s to import (pydantic)
    from reconciler.config.diagnostics import Diagnostic

#: the ``source`` of a configuration warning in the JSON plan (``plan`` for the planner's own)
SOURCE = "configuration"
_HINT_INDENT = "      "  # + the 2 spaces of a detail line: Diagnostic.format's 8 for a hint's next lines


@dataclass(frozen=True)
class ConfigWarning(Note):
    """A configuration warning as a plan note. ``location``: where (``file:line:col``, or the address
    when the file position is unknown; ``""`` when neither). ``summary`` starts with ``location: ``
    (when there is one), so a reader of the JSON or Markdown plan sees where without another field;
    ``detail`` holds the diagnostic's detail lines, then its hint (``hint: ...``)."""

    location: str = ""

    @classmethod
    def of(cls, diagnostic: Diagnostic) -> ConfigWarning:
        """The note of one configuration diagnostic (its severity is kept: ``warning``)."""
        d = diagnostic
        location = str(d.loc) if d.loc is not None else (d.address or "")
        lines = d.detail.splitlines()
        if d.hint:
            hint = d.hint.splitlines() or [""]
            lines += [f"hint: {hint[0]}"] + [_HINT_INDENT + h for h in hint[1:]]
        summary = f"{location}: {d.summary}" if location else d.summary
        return cls(d.severity, summary, "\n".join(lines), location)

    @property
    def message(self) -> str:
        """``summary`` without its ``location: `` prefix."""
        prefix = f"{self.location}: "
        return self.summary[len(prefix):] if self.location and self.summary.startswith(prefix) else self.summary

    def format(self, *, color: bool = False) -> str:
        """The warning as the CLI prints it on stderr (``Diagnostic.format``): ``file:line:col:
        warning: summary``, then the indented detail and hint lines."""
        from reconciler.config.diagnostics import Diagnostic

        severity: Literal["error", "warning"] = "error" if self.severity == "error" else "warning"
        detail, hint = self._detail_and_hint()
        return Diagnostic(severity, self.message, detail, address=self.location or None, hint=hint).format(color=color)

    def _detail_and_hint(self) -> tuple[str, str | None]:
        """``detail`` split back into the diagnostic's detail and hint (its last ``hint: `` line and
        the indented lines after it), so that the hint prints as ``Diagnostic.format`` prints it."""
        lines = self.detail.splitlines()
        for i in range(len(lines) - 1, -1, -1):
            if lines[i].startswith("hint: ") or lines[i] == "hint:":
                rest = lines[i + 1:]
                if all(r.startswith(_HINT_INDENT) or not r for r in rest):
                    hint = [lines[i].removeprefix("hint:").removeprefix(" ")] + [r[len(_HINT_INDENT):] for r in rest]
                    return "\n".join(lines[:i]), "\n".join(hint)
                break
        return self.detail, None


def config_warnings(diagnostics: Iterable[Diagnostic]) -> list[ConfigWarning]:
    """The notes of the ``warning`` diagnostics among ``diagnostics``, in order."""
    return [ConfigWarning.of(d) for d in diagnostics if d.severity == "warning"]
