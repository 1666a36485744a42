"""Terminal rendering of plans and apply progress, Terraform-style.

Symbols: ``+`` create, ``~`` update, ``-/+`` replace, ``-`` delete, ``<=`` read, ``=>`` adopt,
``/`` forget, ``->`` move (the state record is renamed, no API call). A delete or forget whose
``PlannedChange.effect`` says what it really does is headed by that effect ("will lose the memberships
this tool added ...; the account stays"), and a delete whose object stays (``effect.kept``) is shown
and counted as a forget (``shown_action``). Colour only when ``color=True`` (the CLI passes whether
stdout is a terminal). Sensitive values never reach this module in clear: the engine masks them as
``(sensitive)``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import click

from reconciler.engine import Action, ApplyEvent, ApplyResult, Plan, PlannedChange, Unknown

from .config_warnings import ConfigWarning

MOVE_SYMBOL = "->"

_COLORS = {
    Action.CREATE: "green",
    Action.UPDATE: "yellow",
    Action.REPLACE: "red",
    Action.DELETE: "red",
    Action.READ: "cyan",
    Action.ADOPT: "cyan",
    Action.FORGET: "magenta",
    Action.CHECK: "blue",
}
_VERB = {
    Action.CREATE: "will be created",
    Action.UPDATE: "will be updated in place",
    Action.REPLACE: "must be REPLACED (deleted, then created)",
    Action.DELETE: "will be DELETED",
    Action.READ: "will be read",
    Action.ADOPT: "will be adopted",
    Action.FORGET: "will be forgotten (left in place)",
    Action.CHECK: "will be checked",
}


def fmt_value(value: Any) -> str:
    """A value as the plan shows it: JSON-like, ``(known after apply)``, ``(sensitive)`` as is."""
    if isinstance(value, Unknown):
        return "(known after apply)"
    if isinstance(value, str):
        if value in ("(sensitive)", "(known after apply)"):
            return value
        if "\n" in value:
            first = value.strip().splitlines()[0]
            return json.dumps(first + " ...")
        return json.dumps(value)
    return json.dumps(value, default=str, sort_keys=True)


_MEANING = {
    Action.CREATE: "create",
    Action.UPDATE: "update in place",
    Action.REPLACE: "replace (delete, then create)",
    Action.DELETE: "delete",
    Action.READ: "read",
    Action.ADOPT: "adopt (take over an existing object)",
    Action.FORGET: "forget (left in place)",
}


def legend(plan: Plan) -> str:
    """One line explaining every symbol this plan's text uses (actions, ``~`` of changed attributes
    and drift, ``?`` of health checks), e.g. ``Symbols: + create, ~ update in place, ? health check``."""
    used = [c.shown_action for c in plan.changes]
    parts = [f"{a.symbol} {_MEANING[a]}" for a in _MEANING if a in used]
    if any(c.is_move for c in plan.changes):
        parts.append(f"{MOVE_SYMBOL} move (the state record is renamed; no API call)")
    if plan.drift or any(c.changes for c in plan.changes if c.action not in (Action.CREATE, Action.ADOPT)):
        if Action.UPDATE not in used:
            parts.append("~ attribute changes (before -> after)")
    if plan.checks:
        parts.append("? health check (Test Connection) run after apply")
    return "Symbols: " + ", ".join(parts) + "."


class TextRenderer:
    """Writes plans and progress with ``click.echo``. ``color``: use ANSI colours."""

    def __init__(self, *, color: bool = False) -> None:
        self.color = color
        self._planned: dict[str, PlannedChange] = {}

    def _s(self, text: str, fg: str | None = None, bold: bool = False) -> str:
        return click.style(text, fg=fg, bold=bold) if self.color else text

    def plan(self, plan: Plan, *, accepting: bool = False) -> str:
        """The whole plan as text (no trailing newline). ``accepting``: the drift is being accepted
        right now (``drift --accept``, ``apply --refresh-only``), so no hint to run those. The
        configuration's warnings among ``plan.warnings`` (``ConfigWarning``) are left out: the CLI
        prints them on stderr (``ConfigWarning.format``)."""
        lines: list[str] = []
        if plan.targets:
            lines.append(
                self._s(
                    "Warning: resource targeting is in effect; the plan may be incomplete."
                    " Use -target only for exceptional situations.",
                    "yellow",
                    True,
                )
            )
            lines.append("")
        for w in plan.warnings:
            if isinstance(w, ConfigWarning):  # the CLI prints these on stderr, as diagnostics
                continue
            lines.append(self._s(f"Warning: {w.summary}", "yellow", True))
            if w.detail:
                lines.append(f"  {w.detail}")
            lines.append("")
        lines.extend(self.drift(plan))
        if plan.refresh_only:
            if plan.drift and not accepting:
                lines.append(
                    "This is a refresh-only plan: nothing will change in the services. To accept these"
                    " changes into the state, run `reconciler apply --refresh-only` (or `reconciler drift --accept`)."
                )
            elif not plan.drift:
                lines.append(self._s("No drift.", bold=True) + " The services match what was last applied.")
            return "\n".join(lines)
        if not plan.has_changes:
            lines.append(
                self._s("No changes.", bold=True) + " The services match the configuration"
                f" ({plan.unchanged} resource{'s' if plan.unchanged != 1 else ''} checked)."
            )
            return "\n".join(lines)
        listed = [c for c in plan.changes]
        if listed:
            lines.append(legend(plan))
            lines.append("The reconciler will perform the following actions, in this order:")
            lines.append("")
        for c in listed:
            lines.extend(self.change(c))
            lines.append("")
        if plan.checks:
            lines.append(self._s("Health checks after apply (? = will be checked):", bold=True))
            for addr in plan.checks:
                lines.append(f"  ? {addr}")
            lines.append("")
        lines.append(self.summary(plan))
        return "\n".join(lines)

    def drift(self, plan: Plan) -> list[str]:
        """The "changed outside" section: what differs from the last apply, before any action."""
        if not plan.drift:
            return []
        lines = [self._s("Objects have changed outside of the reconciler (drift since the last apply):", bold=True), ""]
        for d in plan.drift:
            if d.deleted:
                lines.append(self._s(f"  - {d.address}: deleted outside the reconciler", "red"))
                continue
            lines.append(self._s(f"  ~ {d.address}", "yellow"))
            width = max(len(f.path) for f in d.changes)
            for f in d.changes:
                lines.append(f"      ~ {f.path.ljust(width)} = {fmt_value(f.before)} -> {fmt_value(f.after)}")
        lines.append("")
        return lines

    def change(self, c: PlannedChange) -> list[str]:
        if c.is_move:
            moved = self._s(f"  # {c.previous_address} has moved to {c.address}", bold=True)
            if c.action == Action.NOOP:
                title = f"  {MOVE_SYMBOL} {c.address}" + (f"  ({c.identity})" if c.identity else "")
                return [moved, title, "      (the state record is renamed; no API call)"]
            return [moved, *self._change(c)]
        return self._change(c)

    def _change(self, c: PlannedChange) -> list[str]:
        shown = c.shown_action
        fg = _COLORS.get(shown)
        verb = _VERB.get(c.action, c.action.value)
        if c.effect is not None:
            verb = c.effect.planned
        if c.keeps_previous:
            verb = "will be replaced (the old object is forgotten and left in place, not deleted)"
        head = f"  # {c.address} {verb}"
        if c.reason:
            head += f": {c.reason}"
        out = [self._s(head, bold=True)]
        if c.waits_for:
            out.append(f"  #   waits for {', '.join(c.waits_for)}")
        for note in c.notes:
            out.append(self._s(f"  #   note: {note}", "yellow"))
        title = f"  {shown.symbol} {c.address}"
        if c.identity:
            title += f"  ({c.identity})"
        out.append(self._s(title, fg))
        width = max((len(f.path) for f in c.changes), default=0)
        for f in c.changes:
            if c.action in (Action.CREATE, Action.ADOPT) and f.before is None:
                line = f"      + {f.path.ljust(width)} = {fmt_value(f.after)}"
            else:
                line = f"      ~ {f.path.ljust(width)} = {fmt_value(f.before)} -> {fmt_value(f.after)}"
            if f.forces_replacement:
                line += self._s("  # forces replacement", "red")
            elif f.explanation and f.explanation not in ("sensitive value changed", "sensitive value set"):
                line += f"  # {f.explanation}"
            out.append(line)
        return out

    @staticmethod
    def summary(plan: Plan) -> str:
        return summary_line(shown_counts(plan), plan.unchanged, len(plan.checks))

    def track(self, plan: Plan) -> None:
        """Remember ``plan``'s changes, so that the apply's lines and summary say what each action
        really does (a change's ``effect``, a move); without it they name the bare actions."""
        self._planned = plan.by_address()

    def event(self, e: ApplyEvent) -> str | None:
        """One progress line for an apply event, or None for events not shown. A move with nothing
        else to do (a ``no-op`` event) shows one line when done; a change with an ``effect`` (see
        ``track``) says it when done."""
        planned = self._planned.get(e.address)
        effect = planned.effect if planned is not None and e.action in (Action.DELETE, Action.FORGET) else None
        if e.action == Action.NOOP:  # only a move runs as a no-op: the state record is renamed
            if e.phase == "done":
                was = f" from {planned.previous_address}" if planned is not None and planned.previous_address else ""
                return self._s(f"{e.address}: Moved{was} (the state record is renamed; no API call)", "green")
            if e.phase == "start":
                return None
        shown = Action.FORGET if effect is not None and effect.kept else e.action
        verb = _EVENT_VERBS.get(shown, ("Working...", "Done"))
        if e.phase == "start":
            return f"{e.address}: {verb[0]}"
        if e.phase == "done":
            rid = f" [id={e.remote_id}]" if e.remote_id else ""
            what = f": {effect.done}" if effect is not None else ""
            return self._s(f"{e.address}: {verb[1]} after {e.elapsed_s:.1f}s{rid}{what}", "green")
        if e.phase == "failed":
            return self._s(f"{e.address}: FAILED: {e.message}", "red", True)
        if e.phase == "skipped":
            return self._s(f"{e.address}: skipped ({e.message})", "yellow")
        if e.phase == "retry":
            return self._s(f"{e.address}: {e.message}; retrying in {e.elapsed_s:.1f}s", "yellow")
        return None

    def apply_summary(self, result: ApplyResult) -> str:
        """The last lines of an apply: health checks, then ``Apply complete! 1 created, 1 moved.`` (or
        what failed). Counts by action as the plan showed them (``track``: a delete whose object
        stays counts as forgotten; a move as moved, with any other action of the same resource)."""
        lines = []
        for addr, check in result.checks.items():
            status = self._s("passed", "green") if check.ok else self._s("FAILED", "red", True)
            lines.append(f"Health check {addr}: {status}: {check.message}")
        counts: dict[str, int] = {}
        for addr, action in result.done.items():
            planned = self._planned.get(addr)
            shown = planned.shown_action if planned is not None else action
            if shown != Action.NOOP:
                counts[_DONE_WORD[shown]] = counts.get(_DONE_WORD[shown], 0) + 1
            if action == Action.NOOP or (planned is not None and planned.is_move):
                counts["moved"] = counts.get("moved", 0) + 1
        done = ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "nothing done"
        failed_checks = sum(1 for c in result.checks.values() if not c.ok)
        if result.ok:
            lines.append(self._s(f"Apply complete! {done}.", "green", True))
        else:
            lines.append(
                self._s(
                    f"Apply failed: {done}; {len(result.failed)} failed, {len(result.skipped)} skipped"
                    + (f", {failed_checks} health check(s) failed." if failed_checks else "."),
                    "red",
                    True,
                )
            )
            for addr, msg in result.failed.items():
                lines.append(f"  {addr}: {msg}")
            lines.append("What completed is recorded in the state; fix the cause and run apply again.")
        return "\n".join(lines)


_EVENT_VERBS = {
    Action.CREATE: ("Creating...", "Creation complete"),
    Action.UPDATE: ("Modifying...", "Modifications complete"),
    Action.REPLACE: ("Replacing...", "Replacement complete"),
    Action.DELETE: ("Destroying...", "Destruction complete"),
    Action.ADOPT: ("Adopting...", "Adoption complete"),
    Action.READ: ("Reading...", "Read complete"),
    Action.FORGET: ("Forgetting...", "Forgotten (left in place)"),
}
_DONE_WORD = {
    Action.CREATE: "created",
    Action.UPDATE: "updated",
    Action.REPLACE: "replaced",
    Action.DELETE: "deleted",
    Action.ADOPT: "adopted",
    Action.READ: "read",
    Action.FORGET: "forgotten",
    Action.CHECK: "checked",
}


def shown_counts(plan: Plan) -> dict[str, int]:
    """``plan.counts()`` as the text and Markdown views count: a delete whose remote object stays
    (``PlannedChange.shown_action``) counts as a forget."""
    n = plan.counts()
    for c in plan.changes:
        if c.shown_action != c.action:
            n[c.action.value] -= 1
            n[c.shown_action.value] = n.get(c.shown_action.value, 0) + 1
    return {k: v for k, v in n.items() if v}


def summary_line(n: Mapping[str, int], unchanged: int, checks: int) -> str:
    """``Plan: 1 to create, 0 to adopt, ... N unchanged.``: ``n`` is the count per action name
    (``Plan.counts()``, or the ``summary`` of a JSON plan); forget, read, move and check only when
    there are any."""
    parts = [f"{n.get(a, 0)} to {a}" for a in ("create", "adopt", "update", "replace", "delete")]
    parts += [f"{n[a]} to {a}" for a in ("forget", "read", "move") if n.get(a)]
    if checks:
        parts.append(f"{checks} to check")
    return f"Plan: {', '.join(parts)}. {unchanged} unchanged."
