"""``plan_from_json`` gives back the plan a JSON plan was made from, as the views see it: for any
plan, ``plan_from_json(plan_json(plan))`` (through a JSON file, as a plan file stores it) renders to
the same text and Markdown, and its JSON is the same document, valid against the schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.engine import SENSITIVE_MASK, UNKNOWN, Action, DriftItem, FieldChange, Note, Plan, PlannedChange
from reconciler.engine.model import Effect
from reconciler.render.config_warnings import ConfigWarning
from reconciler.render.jsonplan import plan_from_json, plan_json
from reconciler.render.markdown import render_markdown
from reconciler.render.text import TextRenderer

SCHEMA = jsonschema.Draft202012Validator(
    json.loads((Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json").read_text())
)

addresses = st.from_regex(r"[a-z][a-z0-9_]{0,8}\.[A-Za-z0-9][A-Za-z0-9_-]{0,8}", fullmatch=True)
texts = st.text(max_size=12)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts | st.sampled_from(
    ["(known after apply)", SENSITIVE_MASK, "two\nlines", ""]
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
                      max_leaves=6)


@st.composite
def field_changes(draw: st.DrawFn) -> FieldChange:
    sensitive = draw(st.booleans())
    if sensitive:  # masked by the engine, or known only after apply
        before, after = SENSITIVE_MASK, draw(st.sampled_from([SENSITIVE_MASK, UNKNOWN]))
    else:
        before, after = draw(values), draw(values | st.just(UNKNOWN))
    return FieldChange(draw(texts), before, after, sensitive=sensitive, forces_replacement=draw(st.booleans()),
                       explanation=draw(st.sampled_from(["", "added: \"x\"", "sensitive value set"])))


effects = st.none() | st.builds(Effect, texts, texts, st.booleans())


@st.composite
def planned_changes(draw: st.DrawFn) -> PlannedChange:
    address = draw(addresses)
    action = draw(st.sampled_from([a for a in Action if a != Action.CHECK]))  # checks are Plan.checks
    changes = draw(st.lists(field_changes(), max_size=4))
    unknown = sorted({f.path for f in changes if f.after is UNKNOWN and not f.sensitive})
    after: dict[str, Any] | None = None
    if action not in (Action.DELETE, Action.FORGET) and draw(st.booleans()):
        after = {**draw(st.dictionaries(texts, values, max_size=3)), **dict.fromkeys(unknown, UNKNOWN)}
    return PlannedChange(
        address,
        address.split(".")[0],
        action,
        reason=draw(texts | st.sampled_from(["drift: deleted outside this tool", "not found"])),
        changes=changes,
        waits_for=draw(st.lists(addresses, max_size=2)),
        before=draw(st.none() | st.dictionaries(texts, values, max_size=3)),
        after=after,
        unknown=unknown,
        notes=draw(st.lists(texts, max_size=2)),
        identity=draw(st.none() | texts),
        previous_address=draw(st.none() | addresses),
        keeps_previous=action == Action.REPLACE and draw(st.booleans()),
        content_loss=draw(st.integers(min_value=0, max_value=99)),
        effect=draw(effects),
    )


warnings = st.lists(
    st.builds(Note, st.just("warning"), texts, texts)
    | st.builds(ConfigWarning, st.just("warning"), texts, texts, st.sampled_from(["", "a.yaml:1:2", "folders.x"])),
    max_size=3,
)
drift_items = st.builds(
    DriftItem, addresses, texts,
    changes=st.lists(st.builds(FieldChange, texts, values, values), min_size=1, max_size=3), deleted=st.booleans(),
)
plans = st.builds(
    Plan,
    changes=st.lists(planned_changes(), max_size=5),
    unchanged=st.integers(min_value=0, max_value=999),
    checks=st.lists(addresses, max_size=2),
    warnings=warnings,
    lineage=st.uuids().map(str),
    serial=st.integers(min_value=0, max_value=99),
    config_digest=st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
    targets=st.lists(addresses, max_size=2),
    drift=st.lists(drift_items, max_size=2),
    refresh_only=st.booleans(),
)


def _saved(plan: Plan) -> Plan:
    """The plan as ``show`` reads it from a plan file."""
    return plan_from_json(json.loads(json.dumps(plan_json(plan), sort_keys=True)))


@settings(max_examples=150, deadline=None)
@given(plans, st.booleans())
def test_a_saved_plan_renders_as_the_plan(plan: Plan, color: bool) -> None:
    doc = plan_json(plan)
    SCHEMA.validate(doc)
    again = _saved(plan)
    assert TextRenderer(color=color).plan(again) == TextRenderer(color=color).plan(plan)
    assert render_markdown(again) == render_markdown(plan)
    assert plan_json(again) == json.loads(json.dumps(doc))


def test_values_known_after_apply_come_back_unknown() -> None:
    created = PlannedChange(
        "cloud_configs.x", "cloud_configs", Action.CREATE,
        changes=[FieldChange("client_id", None, UNKNOWN), FieldChange("password", SENSITIVE_MASK, UNKNOWN, sensitive=True)],
        after={"client_id": UNKNOWN}, unknown=["client_id"],
    )
    again = _saved(Plan([created], 0, config_digest="0" * 64)).changes[0]
    assert [f.after for f in again.changes] == [UNKNOWN, UNKNOWN] and again.after == {"client_id": UNKNOWN}
    assert "      + client_id = (known after apply)" in TextRenderer().plan(Plan([again], 0))


def test_an_older_plan_file_without_the_newer_fields_still_reads() -> None:
    created = PlannedChange(
        "cloud_configs.x", "cloud_configs", Action.CREATE,
        changes=[FieldChange("client_id", None, UNKNOWN), FieldChange("password", SENSITIVE_MASK, UNKNOWN, sensitive=True),
                 FieldChange("title", None, None)],
        unknown=["client_id"],
    )
    doc = plan_json(Plan([created], 0, warnings=[Note("warning", "w", "")], config_digest="0" * 64))
    for f in doc["resource_changes"][0]["changes"]:
        del f["known_after_apply"], f["explanation"]
    for w in doc["warnings"]:
        del w["source"], w["location"]
    again = plan_from_json(doc).changes[0]
    assert [f.after for f in again.changes] == [UNKNOWN, UNKNOWN, None]


def test_another_major_format_version_is_refused() -> None:
    doc = plan_json(Plan([], 0, config_digest="0" * 64))
    with pytest.raises(ValueError, match=r"format_version '2\.0'"):
        plan_from_json({**doc, "format_version": "2.0"})
