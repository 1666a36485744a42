"""What a removal really does (``PlannedChange.effect``) and a state move are said in every format:
the text plan's header, title symbol, legend and summary line, the apply's lines and summary, the
JSON plan (actions kept, ``effect`` added, valid against the schema), the Markdown comment, and
``show`` of a saved plan."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from reconciler.engine import Action, ApplyEvent, ApplyResult, Plan, PlannedChange
from reconciler.engine.model import Effect
from reconciler.render.jsonplan import plan_from_json, plan_json
from reconciler.render.markdown import render_markdown
from reconciler.render.text import TextRenderer, legend

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json").read_text())
LOSE = Effect(
    "will lose the memberships this tool added (Marketing Cloud); the account stays",
    "lost the memberships this tool added (Marketing Cloud); the account stays",
)
LEAVE_ORG = Effect(
    "will be removed from the org; the account itself stays (not created by this tool)",
    "removed from the org; the account itself stays (not created by this tool)",
    kept=False,
)
REMOVED = "removed from the configuration"


def _removals() -> Plan:
    return Plan(
        changes=[
            PlannedChange("users.bob", "users", Action.DELETE, reason=REMOVED, effect=LOSE),
            PlannedChange("users.dana", "users", Action.FORGET, reason=REMOVED, effect=LOSE),
            PlannedChange("users.eve", "users", Action.DELETE, reason=REMOVED, effect=LEAVE_ORG),
            PlannedChange("folders.x", "folders", Action.DELETE, reason=REMOVED),
        ],
        unchanged=3,
        lineage="l",
        config_digest="0" * 64,
    )


def _move() -> Plan:
    moved = PlannedChange("folders.demo", "folders", Action.NOOP, identity="author:/content/dam/mc-demo",
                          previous_address="folders.mc-demo")
    return Plan(changes=[moved], unchanged=10, lineage="l", config_digest="0" * 64)


def test_text_heads_a_removal_with_its_effect_and_counts_a_kept_object_as_forgotten() -> None:
    out = TextRenderer().plan(_removals())
    assert f"  # users.bob {LOSE.planned}: {REMOVED}\n  / users.bob\n" in out
    assert f"  # users.dana {LOSE.planned}: {REMOVED}\n  / users.dana\n" in out
    assert f"  # users.eve {LEAVE_ORG.planned}: {REMOVED}\n  - users.eve\n" in out  # leaves the org: destructive
    assert "  # folders.x will be DELETED: " in out
    assert "users.bob will be DELETED" not in out and "users.dana will be forgotten" not in out
    assert "Plan: 0 to create, 0 to adopt, 0 to update, 0 to replace, 2 to delete, 2 to forget. 3 unchanged." in out
    assert legend(_removals()) == "Symbols: - delete, / forget (left in place)."


def test_apply_lines_and_summary_say_what_was_done() -> None:
    render = TextRenderer()
    render.track(_removals())
    assert render.event(ApplyEvent("users.bob", Action.DELETE, "start")) == "users.bob: Forgetting..."
    done = render.event(ApplyEvent("users.bob", Action.DELETE, "done", "", 0.25, "org/bob@x.example"))
    assert done == f"users.bob: Forgotten (left in place) after 0.2s [id=org/bob@x.example]: {LOSE.done}"
    eve = render.event(ApplyEvent("users.eve", Action.DELETE, "done", "", 0.0))
    assert eve == f"users.eve: Destruction complete after 0.0s: {LEAVE_ORG.done}"
    folder = render.event(ApplyEvent("folders.x", Action.DELETE, "done", "", 0.0))
    assert folder == "folders.x: Destruction complete after 0.0s"
    result = ApplyResult(done={c.address: c.action for c in _removals().changes})
    assert render.apply_summary(result) == "Apply complete! 2 deleted, 2 forgotten."
    # without the plan (nothing tracked) the bare actions are named, as before
    assert TextRenderer().apply_summary(result) == "Apply complete! 3 deleted, 1 forgotten."


def test_json_keeps_the_actions_and_adds_the_effect() -> None:
    doc = plan_json(_removals())
    jsonschema.validate(doc, SCHEMA)
    by = {c["address"]: c for c in doc["resource_changes"]}
    assert by["users.bob"]["actions"] == ["delete"] and by["users.dana"]["actions"] == ["forget"]
    assert by["users.bob"]["effect"] == {"planned": LOSE.planned, "done": LOSE.done, "object_kept": True}
    assert by["users.eve"]["effect"]["object_kept"] is False and by["folders.x"]["effect"] is None
    assert doc["summary"]["delete"] == 3 and doc["summary"]["forget"] == 1  # the engine's counts, unchanged
    kept = doc["summary"]["delete_object_kept"]  # the text plan's counts, from the summary alone
    assert kept == 1 and (doc["summary"]["delete"] - kept, doc["summary"]["forget"] + kept) == (2, 2)
    # show of the saved plan counts as the text plan did, and says each effect
    shown = TextRenderer().plan(plan_from_json(json.loads(json.dumps(doc))))
    assert shown == TextRenderer().plan(_removals())
    assert "Plan: 0 to create, 0 to adopt, 0 to update, 0 to replace, 2 to delete, 2 to forget. 3 unchanged." in shown
    assert f"  # users.bob {LOSE.planned}: {REMOVED}" in shown


def test_markdown_never_lists_a_kept_account_as_destroyed() -> None:
    md = render_markdown(_removals())
    head = md.splitlines()[1]
    assert "2 to delete, 2 to forget" in head and "**2 destructive**" in head, head
    caution = md.split("> [!CAUTION]", 1)[1].split("####", 1)[0]
    assert "`users.bob`" not in caution and "`users.dana`" not in caution
    assert f"- **DELETE** `users.eve` — {LEAVE_ORG.planned}; {REMOVED}" in caution
    assert f"<code>/ users.bob</code> forget ({LOSE.planned}): {REMOVED}" in md
    assert "| 👋 forget | 2 |" in md and "| 🗑️ **delete** | 2 |" in md


def test_a_move_has_a_symbol_in_the_legend_and_applies_as_moved() -> None:
    out = TextRenderer().plan(_move())
    assert out.startswith("Symbols: -> move (the state record is renamed; no API call).\n"), out
    assert "  # folders.mc-demo has moved to folders.demo\n  -> folders.demo  (author:/content/dam/mc-demo)\n" in out
    assert "1 to move" in out
    render = TextRenderer()
    render.track(_move())
    assert render.event(ApplyEvent("folders.demo", Action.NOOP, "start")) is None  # no "Working..."
    done = render.event(ApplyEvent("folders.demo", Action.NOOP, "done", "", 0.0, "/content/dam/mc-demo"))
    assert done == "folders.demo: Moved from folders.mc-demo (the state record is renamed; no API call)"
    assert render.apply_summary(ApplyResult(done={"folders.demo": Action.NOOP})) == "Apply complete! 1 moved."


def test_a_move_with_an_update_counts_both() -> None:
    change = PlannedChange("folders.demo", "folders", Action.UPDATE, previous_address="folders.mc-demo")
    render = TextRenderer()
    render.track(Plan(changes=[change], unchanged=0))
    assert render.apply_summary(ApplyResult(done={"folders.demo": Action.UPDATE})) == "Apply complete! 1 moved, 1 updated."
    text = TextRenderer().plan(Plan(changes=[change], unchanged=0))
    assert "-> move" in text.splitlines()[0] and "~ update in place" in text.splitlines()[0]
