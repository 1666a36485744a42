"""A plan as a pull-request comment (GitHub Markdown), never longer than GitHub's 65,535 characters.

Layout: a summary line and table; destructive actions (delete, replace) first and loud; drift;
per-resource details in collapsed ``<details>`` sections; warnings; a Mermaid graph of the changed
resources and what they wait for. When the whole comment would be too long it degrades in steps,
always keeping the summary and every destructive action, and says what it left out:

1. drop the Mermaid graph; 2. list non-destructive changes as addresses only (no details);
3. drop the non-destructive list; 4. list destructive actions as bare addresses (each still saying
the user content it destroys, "deletes /content/dam/x and its 37 assets"); 5. (only past about 2,500
destructive actions) cut that list, saying how many are not shown. The summary line says how much
user content the plan destroys in total, in every step.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from reconciler.engine import Action, Plan, PlannedChange

from .graph import to_mermaid
from .text import fmt_value, shown_counts

LIMIT = 65_535
MERMAID_MAX_NODES = 80
#: warnings listed in the comment; the others are counted
WARNINGS_MAX = 50
MARKER = "<!-- aem-assets-reconciler plan -->"

_ICON = {
    Action.CREATE: "➕",
    Action.UPDATE: "✏️",
    Action.REPLACE: "♻️",
    Action.DELETE: "🗑️",
    Action.ADOPT: "📥",
    Action.FORGET: "👋",
    Action.READ: "🔍",
}


def _summary(plan: Plan, title: str) -> list[str]:
    n = shown_counts(plan)
    if plan.refresh_only:
        head = f"### {title}: refresh-only, {len(plan.drift)} object(s) changed outside the reconciler"
        return [MARKER, head, ""]
    if not plan.has_changes:
        return [
            MARKER,
            f"### {title}: no changes",
            "",
            f"The services match the configuration ({plan.unchanged} resources checked).",
            "",
        ]
    destructive = n.get("delete", 0) + n.get("replace", 0)
    shown = ("create", "adopt", "update", "replace", "delete", "forget", "move")
    parts = [f"{n[k]} to {k}" for k in shown if n.get(k)]
    if plan.checks:
        parts.append(f"{len(plan.checks)} to check")
    head = f"### {title}: " + (", ".join(parts) or "health checks only")
    if destructive:
        head += f" — ⚠️ **{destructive} destructive**"
    lost = sum(c.content_loss for c in plan.changes)
    if lost:
        head += f", **destroys {lost} piece(s) of user content**"
    lines = [MARKER, head, "", "| action | count |", "|---|---:|"]
    for action in (
        Action.CREATE,
        Action.ADOPT,
        Action.UPDATE,
        Action.REPLACE,
        Action.DELETE,
        Action.FORGET,
        Action.READ,
    ):
        if n.get(action.value):
            label = f"**{action.value}**" if action.is_destructive else action.value
            lines.append(f"| {_ICON[action]} {label} | {n[action.value]} |")
    if plan.checks:
        lines.append(f"| health checks | {len(plan.checks)} |")
    lines.append(f"| unchanged | {plan.unchanged} |")
    lines.append("")
    if plan.targets:
        lines += ["> [!WARNING]", "> Resource targeting is in effect (`--target`): the plan may be incomplete.", ""]
    return lines


def _moves(plan: Plan) -> list[str]:
    """One line per moved state record (no API call), as the text plan says it."""
    moves = [f"- 🚚 `{c.previous_address}` has moved to `{c.address}`" for c in plan.changes if c.is_move]
    return ["#### Moves (state only, no API call)", "", *moves, ""] if moves else []


def _destructive(changes: list[PlannedChange], *, compact: bool) -> list[str]:
    if not changes:
        return []
    lines = [
        "> [!CAUTION]",
        f"> **{len(changes)} destructive action(s):** each line says what is removed; what it does not say"
        " is kept is gone for good.",
        "",
    ]
    if compact:  # grouped, comma-separated: ~20 characters per address (plus what content it loses)
        for verb, action in (("DELETE", Action.DELETE), ("REPLACE", Action.REPLACE)):
            group = [f"`{c.address}`" + _loss(c) for c in changes if c.action == action]
            if group:
                lines += [f"**{verb}** ({len(group)}): " + ", ".join(group), ""]
        return lines
    for c in changes:
        verb = "DELETE" if c.action == Action.DELETE else "REPLACE"
        extra = "; ".join(([c.effect.planned] if c.effect is not None else []) + [c.reason, *c.notes])
        lines.append(f"- **{verb}** `{c.address}`" + (f" — {_esc(extra)}" if extra else ""))
    lines.append("")
    return lines


def content_loss_note(c: PlannedChange) -> str:
    """What ``c`` destroys, as the plan's note says it ("deletes /content/dam/x and its 37 assets"),
    or a count when no such note is there; "" when it destroys no user content."""
    if c.content_loss <= 0:
        return ""
    for note in c.notes:
        if note.startswith("deletes ") and f" {c.content_loss} " in note:
            return note.split(";", 1)[0]
    return f"destroys {c.content_loss} piece(s) of user content"


def _loss(c: PlannedChange) -> str:
    """`` (deletes /content/dam/x and its 2 assets)`` for a change that loses content, else ""."""
    note = content_loss_note(c)
    return f" ({_esc(note)})" if note else ""


LEGEND = (
    "In the diffs: `+` added, `-` removed, `!` changed in place (before -> after), list members one per"
    " line; `forces replacement` marks a change that cannot be made in place."
)


def _diff_lines(path: str, before: Any, after: Any, created: bool, forces: bool) -> list[str]:
    """One field change as ``diff`` lines. Changed scalars start with ``!`` (highlighted in GitHub's
    diff blocks, as tfcmt does for Terraform's ``~``); lists one member per line: ``+`` added, ``-``
    removed, two spaces kept."""
    tail = "  # forces replacement" if forces else ""
    if created and not isinstance(after, list):
        return [f"+ {path} = {fmt_value(after)}"]
    if not (isinstance(after, list) and (created or isinstance(before, list))):
        return [f"! {path} = {fmt_value(before)} -> {fmt_value(after)}{tail}"]
    old = [] if created else list(before)
    old_keys = [json.dumps(m, sort_keys=True, default=str) for m in old]
    new_keys = [json.dumps(m, sort_keys=True, default=str) for m in after]
    lines = [f"{'+' if created else '!'} {path} = [{tail}"]
    lines += [f"-     {k}" for k in old_keys if k not in new_keys]
    lines += [f"{'+' if k not in old_keys else ' '}     {k}" for k in new_keys]
    return [*lines, f"{'+' if created else ' '}   ]"]


def _details(c: PlannedChange) -> list[str]:
    shown = c.shown_action
    what = shown.value + (f" ({c.effect.planned})" if c.effect is not None else "")
    summary = f"<code>{shown.symbol} {c.address}</code> {_esc(what)}" + (f": {_esc(c.reason)}" if c.reason else "")
    body = []
    for f in c.changes:
        created = f.before is None and c.action in (Action.CREATE, Action.ADOPT)
        body += _diff_lines(f.path, f.before, f.after, created, f.forces_replacement)
    out = [f"<details><summary>{summary}</summary>", ""]
    if c.waits_for:
        out.append(f"Waits for: {', '.join(f'`{w}`' for w in c.waits_for)}")
        out.append("")
    for note in c.notes:
        out.append(f"- {_esc(note)}")
    if c.notes:
        out.append("")
    if body:
        out += ["```diff", *body, "```"]
    out += ["</details>", ""]
    return out


def _warnings(plan: Plan) -> list[str]:
    """The warnings section: the planner's and the configuration's warnings (``ConfigWarning``,
    its summary starting with ``file:line:col``), one item each, a multi-line detail on one line
    (``; ``); at most ``WARNINGS_MAX``, then how many more."""
    if not plan.warnings:
        return []
    out = ["#### Warnings", ""]
    for w in plan.warnings[:WARNINGS_MAX]:
        detail = "; ".join(line.strip() for line in w.detail.splitlines() if line.strip())
        out.append(f"- ⚠️ {_esc(w.summary)}" + (f": {_esc(detail)}" if detail else ""))
    if len(plan.warnings) > WARNINGS_MAX:
        out.append(f"- … and {len(plan.warnings) - WARNINGS_MAX} more (`reconciler plan` prints them all)")
    return [*out, ""]


def _esc(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _drift(plan: Plan) -> list[str]:
    if not plan.drift:
        return []
    out = [f"#### Changed outside the reconciler ({len(plan.drift)})", ""]
    for d in plan.drift:
        if d.deleted:
            out.append(f"- `{d.address}`: deleted outside the reconciler")
        else:
            fields = ", ".join(f"`{f.path}` {fmt_value(f.before)} → {fmt_value(f.after)}" for f in d.changes)
            out.append(f"- `{d.address}`: {fields}")
    out.append("")
    return out


def _graph(plan: Plan) -> list[str]:
    changed = {c.address: c for c in plan.changes}
    if not changed or len(changed) > MERMAID_MAX_NODES:
        return []
    edges = {a: set(c.waits_for) for a, c in changed.items()}
    labels = {a: f"({c.shown_action.symbol})" for a, c in changed.items()}
    kinds = {Action.CREATE: "create", Action.ADOPT: "create", Action.UPDATE: "update"}
    classes = {
        a: "destroy" if c.shown_action.is_destructive else kinds.get(c.shown_action, "") for a, c in changed.items()
    }
    return [
        "<details><summary>Graph of the changes (what waits for what; red: destructive)</summary>",
        "",
        "```mermaid",
        to_mermaid(edges, labels, classes),
        "```",
        "</details>",
        "",
    ]


def _metadata(meta: Mapping[str, str] | None) -> list[str]:
    """``meta`` (``commit``, ``target``, ``run_url``; empty values skipped) as one line under the title."""
    meta = {k: v for k, v in (meta or {}).items() if v}
    parts = []
    if "target" in meta:
        parts.append(f"target `{_esc(meta['target'])}`")
    if "commit" in meta:
        parts.append(f"commit `{_esc(meta['commit'][:12])}`")
    if "run_url" in meta:
        parts.append(f"[CI run]({meta['run_url']})")
    return [" · ".join(parts), ""] if parts else []


def render_markdown(
    plan: Plan, *, title: str = "Reconciler plan", limit: int = LIMIT, meta: Mapping[str, str] | None = None
) -> str:
    """The plan as a PR comment of at most ``limit`` characters (see the module docstring).
    ``meta``: optional ``commit``, ``target`` (a name for the configuration or environment) and
    ``run_url`` (the CI run), shown on one line under the title; the first line is always ``MARKER``."""
    # a replacement that forgets the old object (not created here) destroys nothing: listed with the others
    # a delete whose object stays (effect.kept) is shown as the forget it is: listed with the others
    destructive = [c for c in plan.changes if c.shown_action.is_destructive and not c.keeps_previous]
    others = [c for c in plan.changes if not c.shown_action.is_destructive or c.keeps_previous]
    warnings = _warnings(plan)
    checks = []
    if plan.checks:
        checks = ["#### Health checks after apply", ""] + [f"- `{a}`" for a in plan.checks] + [""]
    head = _summary(plan, title)
    head = [*head[:2], "", *_metadata(meta), *head[3:]] if _metadata(meta) else head
    left_out: list[str] = []

    def assemble(dest_compact: bool, other_mode: str, graph: bool, dest: list[PlannedChange]) -> str:
        body = head + _moves(plan) + _destructive(dest, compact=dest_compact) + _drift(plan)
        if others and other_mode == "details":
            body += ["#### Changes", "", LEGEND, ""]
            for c in others:
                body += _details(c)
            for c in destructive:
                body += _details(c)
        elif others and other_mode == "list":
            body += ["#### Changes", ""] + [f"- {c.shown_action.value} `{c.address}`" for c in others] + [""]
        body += warnings + checks
        if graph:
            body += _graph(plan)
        if left_out:
            body += [
                "> [!NOTE]",
                "> Shortened to fit a pull-request comment: "
                + "; ".join(left_out)
                + ". Run `reconciler plan` for the full plan.",
                "",
            ]
        return "\n".join(body).rstrip() + "\n"

    attempts = [
        (False, "details", True, None),
        (False, "details", False, "the graph"),
        (False, "list", False, "per-resource details"),
        (False, "none", False, f"the list of {len(others)} non-destructive change(s)"),
        (True, "none", False, "the reasons of the destructive actions"),
    ]
    for dest_compact, mode, graph, dropped in attempts:
        if dropped:
            left_out.append(dropped)
        text = assemble(dest_compact, mode, graph, destructive)
        if len(text) <= limit:
            return text
    # last resort: cut the destructive list itself, saying how many are not shown
    keep = len(destructive)
    while keep > 0:
        keep = keep * 9 // 10
        left_out.append(f"{len(destructive) - keep} destructive action(s) not shown")
        text = assemble(True, "none", False, destructive[:keep])
        if len(text) <= limit:
            return text
        left_out.pop()
    return assemble(True, "none", False, [])[:limit]
