"""The import rules of the plan (``engine.imports``): an import adopts, never creates, and names the
object it was given."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from reconciler.engine.imports import check_import, id_matches, imported_record
from reconciler.engine.model import Action, Observed, PlannedChange
from reconciler.engine.state import StateRecord

FOLDER = Observed("/content/dam/x", {"path": "/content/dam/x", "title": "X"}, {"path": "/content/dam/x"})


def _change(action: Action = Action.ADOPT) -> PlannedChange:
    return PlannedChange("folders.x", "folders", action, identity="author:/content/dam/x")


def test_an_id_is_the_remote_id_or_the_natural_key_with_or_without_its_prefix() -> None:
    for good in ("/content/dam/x", "author:/content/dam/x", " /content/dam/x "):
        assert id_matches(good, "/content/dam/x", "author:/content/dam/x")
    assert id_matches("dana@example.com", "ABC@AdobeID", "ACME@AdobeOrg/dana@example.com")
    for bad in ("/content/dam/y", "x", "author", ""):
        assert not id_matches(bad, "/content/dam/x", "author:/content/dam/x")


@given(st.text(min_size=1).filter(lambda s: s.strip() and s.strip() not in {"/content/dam/x", "author:/content/dam/x"}))
def test_no_other_id_matches(other: str) -> None:
    assert not id_matches(other, "/content/dam/x", "author:/content/dam/x")


def test_found_and_named_the_adopt_gets_a_note_and_no_error() -> None:
    errors: list[tuple[str | None, str]] = []
    change = _change()
    check_import("folders.x", "/content/dam/x", change, FOLDER, None, errors)
    assert errors == [] and any("import block" in n for n in change.notes)


def test_a_missing_object_or_a_create_is_an_error() -> None:
    for obs, action in ((None, Action.CREATE), (FOLDER, Action.CREATE)):
        errors: list[tuple[str | None, str]] = []
        check_import("folders.x", "/content/dam/x", _change(action), obs, None, errors)
        assert len(errors) == 1 and "an import never creates" in errors[0][1]


def test_another_object_is_an_error_and_a_record_of_another_id_too() -> None:
    errors: list[tuple[str | None, str]] = []
    check_import("folders.x", "/content/dam/other", _change(), FOLDER, None, errors)
    rec = StateRecord("folders.x", "folders", "/content/dam/x", managed=True)
    check_import("folders.x", "/content/dam/other", _change(Action.NOOP), FOLDER, rec, errors)
    check_import("folders.x", "/content/dam/x", _change(Action.NOOP), FOLDER, rec, errors)  # already imported
    assert [m.split(" ", 3)[1] for _, m in errors] == ["the", "folders.x"]


def test_the_imported_record_is_adopted_with_the_observed_attributes() -> None:
    rec = imported_record("folders.x", "folders", {"path": "/content/dam/x", "title": "Wanted", "ordered": False},
                          FOLDER, ["orgs.a"], prevent_destroy=False)  # fmt: skip
    assert rec.managed is False and rec.remote_id == "/content/dam/x" and rec.secret_hashes == {}
    assert rec.attributes == {"path": "/content/dam/x", "title": "X", "ordered": False}
    assert rec.outputs == {"path": "/content/dam/x"} and rec.dependencies == ["orgs.a"]


def test_apply_of_an_import_whose_object_vanished_since_the_plan_fails_without_creating(tmp_path: Path) -> None:
    from reconciler.engine import StateStore

    from .test_engine import World, res, run_apply, run_plan

    state, world = StateStore(tmp_path / "s.db"), World()
    world.objects["x"] = {"id": "id-x", "attrs": {"name": "x"}}
    wanted = dataclasses.replace(res("x"), import_id="x")
    result = run_plan([wanted], state, world)
    assert [c.action for c in result.plan.changes] == [Action.ADOPT]
    del world.objects["x"]  # deleted by hand between plan and apply
    out = run_apply(result, state, world)
    assert "things.x" in out.failed and "an import never creates" in out.failed["things.x"]
    assert world.writes == [] and state.get("things.x") is None
