"""The user content a plan destroys is said in every output format: the text plan's note, the JSON
plan's ``content_loss`` fields (per change and in the summary) and the Markdown comment, even when
the comment is shortened to bare addresses."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from reconciler.engine import Action, Plan, PlannedChange
from reconciler.render.jsonplan import plan_json
from reconciler.render.markdown import content_loss_note, render_markdown
from reconciler.render.text import TextRenderer

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json").read_text())
NOTE = "deletes /content/dam/x and its 37 assets; apply refuses it unless the resource sets lifecycle: {allow_content_loss: true}"


def _plan(n_filler: int = 0) -> Plan:
    lossy = PlannedChange("folders.x", "folders", Action.DELETE, reason="removed from the configuration",
                          notes=[NOTE], content_loss=37)
    empty = PlannedChange("folders.y", "folders", Action.DELETE, reason="removed from the configuration")
    filler = [PlannedChange(f"folders.d-{i:05d}", "folders", Action.DELETE, reason="removed from the configuration " * 4)
              for i in range(n_filler)]
    return Plan(changes=[lossy, empty, *filler], unchanged=0, lineage="l", config_digest="0" * 64)


def test_text_says_what_is_lost() -> None:
    out = TextRenderer().plan(_plan())
    assert "deletes /content/dam/x and its 37 assets" in out


def test_json_has_a_dedicated_count_per_change_and_in_the_summary() -> None:
    doc = plan_json(_plan())
    jsonschema.validate(doc, SCHEMA)
    by = {c["address"]: c for c in doc["resource_changes"]}
    assert by["folders.x"]["content_loss"] == 37 and by["folders.y"]["content_loss"] == 0
    assert doc["summary"]["content_loss"] == 37
    assert plan_json(Plan(changes=[], unchanged=1))["summary"]["content_loss"] == 0


def test_markdown_says_it_in_the_head_and_beside_the_delete() -> None:
    md = render_markdown(_plan())
    head = md.splitlines()[1]
    assert "**2 destructive**" in head and "destroys 37 piece(s) of user content" in head
    assert "deletes /content/dam/x and its 37 assets" in md


def test_a_shortened_markdown_comment_still_says_what_is_lost() -> None:
    plan = _plan(n_filler=600)
    md = render_markdown(plan, limit=40_000)
    assert "Shortened" in md and "the reasons of the destructive actions" in md  # the compact form
    assert "`folders.x` (deletes /content/dam/x and its 37 assets)" in md
    assert "`folders.y`," in md or "`folders.y`\n" in md  # nothing lost: no note
    assert "destroys 37 piece(s) of user content" in md.splitlines()[1]


def test_the_note_falls_back_to_a_count() -> None:
    bare = PlannedChange("folders.z", "folders", Action.REPLACE, content_loss=3)
    assert content_loss_note(bare) == "destroys 3 piece(s) of user content"
    assert content_loss_note(PlannedChange("folders.z", "folders", Action.DELETE)) == ""
