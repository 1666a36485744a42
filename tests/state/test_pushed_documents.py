"""`state push` of a document that is not a state made by `state pull`: one clear error saying what
is missing or malformed (not a Python KeyError), and nothing is written. Every record is checked
(address form, a known kind equal to the address's prefix, field types) before the push writes:
a hand-edited record the engine would misread (a list as ``remote_id``) is refused, naming it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.engine import StateStore
from reconciler.engine.state import StateRecord, snapshot_from_pull
from reconciler.kinds import REGISTRY
from tests.helpers import Run

RECORD = {"address": "folders.x", "kind": "folders", "remote_id": "/content/dam/x", "managed": True}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({}, "missing 'lineage', 'serial' and 'resources'"),
        ({"lineage": "l", "serial": 1}, "missing 'resources'"),
        ([], "the document is a list, not a mapping with 'lineage', 'serial' and 'resources'"),
        ("text", "the document is a string, not a mapping with 'lineage', 'serial' and 'resources'"),
        ({"lineage": "l", "serial": "1", "resources": []}, "'lineage' must be a string and 'serial' an integer"),
        ({"lineage": "l", "serial": 1, "resources": {}}, "'resources' must be a list, got a mapping"),
        ({"lineage": "l", "serial": 1, "resources": [RECORD, 3]}, "resources[1] is a number, not a mapping"),
        ({"lineage": "l", "serial": 1, "resources": [{"address": "folders.x"}]}, "resources[0] (folders.x) has no 'kind'"),
        ({"lineage": "l", "serial": 1, "resources": [], "intents": [{"kind": "folders"}]}, "intents[0] has no 'address'"),
        ({"lineage": "l", "serial": 1, "resources": [], "key_check": 7}, "'key_check' must be a string"),
    ],
)
def test_a_malformed_document_says_what_is_wrong(doc: Any, message: str) -> None:
    with pytest.raises(ValueError) as info:
        snapshot_from_pull(doc)
    assert str(info.value) == message


def test_a_pulled_document_is_read() -> None:
    snap = snapshot_from_pull({"lineage": "l", "serial": 3, "resources": [RECORD], "intents": None})
    assert (snap.lineage, snap.serial, list(snap.records), snap.intents) == ("l", 3, ["folders.x"], {})
    assert snap.records["folders.x"].remote_id == "/content/dam/x"


def test_state_push_of_an_empty_document_is_one_clear_error(tmp_path: Path, cli: Run) -> None:
    (tmp_path / "main.yaml").write_text("version: 1\n")
    doc = tmp_path / "empty.json"
    doc.write_text(json.dumps({}))
    pushed = cli("state", "push", "-c", tmp_path, doc)
    assert pushed.exit_code == 1
    assert pushed.output.splitlines() == [
        "Error: not a state made by `reconciler state pull`: missing 'lineage', 'serial' and 'resources'"
    ]
    assert not (tmp_path / ".reconciler").exists()  # nothing written


def _doc(*records: dict[str, Any], intents: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"lineage": "l", "serial": 1, "resources": list(records), "intents": intents or []}


def _with(**fields: Any) -> dict[str, Any]:
    return {**RECORD, **fields}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (_doc(_with(remote_id=[1, 2])), "resources[0] (folders.x) is malformed: 'remote_id' is a list;"
         " it must be the object's id as a non-empty string; restore it from the pulled document (or remove the entry)"),
        (_doc(_with(remote_id="")), "resources[0] (folders.x) is malformed: 'remote_id' is ''; it must be"),
        (_doc(RECORD, _with(address="folders.old", kind="nonsense")), "resources[1] (folders.old) is malformed:"
         " 'kind' is 'nonsense', not a known kind; write 'folders', the kind its address starts with"),
        (_doc(_with(address="nonsense.old", kind="nonsense")), "resources[0] (nonsense.old) is malformed:"
         " 'kind' is 'nonsense', not a known kind; write one of orgs, applications,"),
        (_doc(_with(kind="users")), "resources[0] (folders.x) is malformed: 'kind' is 'users' but the address is of"
         " kind 'folders'; make them the same (rename a resource with `reconciler state mv`"),
        (_doc(_with(kind=3)), "resources[0] (folders.x) is malformed: 'kind' is a number (3), not a string"),
        (_doc(_with(address="x")), "resources[0] is malformed: 'address' is 'x', not a resource address;"
         " write <kind>.<name>, e.g. folders.mc-demo"),
        (_doc(_with(address=["folders.x"])), "resources[0] is malformed: 'address' is a list, not a resource"),
        (_doc(_with(managed="yes")), "resources[0] (folders.x) is malformed: 'managed' is 'yes'; write true or false"),
        (_doc(_with(prevent_destroy=1)), "resources[0] (folders.x) is malformed: 'prevent_destroy' is a number (1);"),
        (_doc(_with(outputs=[])), "resources[0] (folders.x) is malformed: 'outputs' is a list, not a mapping"),
        (_doc(_with(attributes="a")), "resources[0] (folders.x) is malformed: 'attributes' is a string, not a mapping"),
        (_doc(_with(secret_hashes={"password": 5})), "resources[0] (folders.x) is malformed: 'secret_hashes' holds"
         " a value that is not a string"),
        (_doc(_with(dependencies="folders.y")), "resources[0] (folders.x) is malformed: 'dependencies' must be a list"),
        (_doc(_with(check_status="ok")), "resources[0] (folders.x) is malformed: 'check_status' is 'ok'; write null,"),
        (_doc(RECORD, RECORD), "resources[1] (folders.x) is malformed: its address is also resources[0];"
         " keep one entry per address"),
        (_doc(intents=[{"address": "folders.y", "kind": "nonsense"}]), "intents[0] (folders.y) is malformed:"
         " 'kind' is 'nonsense', not a known kind"),
        (_doc(intents=[{"address": "folders.y", "kind": "folders", "natural_key": 4}]), "intents[0] (folders.y)"
         " is malformed: intent entries hold strings"),
    ],
)
def test_a_malformed_record_is_named_with_its_field(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as info:
        snapshot_from_pull(doc, kinds=REGISTRY)
    assert str(info.value).startswith(message), str(info.value)


def test_known_kinds_are_checked_only_when_given() -> None:
    """The engine does not know the kinds: without ``kinds`` any kind equal to the prefix reads."""
    snap = snapshot_from_pull(_doc(_with(address="nonsense.x", kind="nonsense")))
    assert snap.records["nonsense.x"].kind == "nonsense"


def test_a_secret_hash_is_never_shown_in_the_message() -> None:
    with pytest.raises(ValueError) as info:
        snapshot_from_pull(_doc(_with(secret_hashes=["SECRET-HASH-VALUE"])), kinds=REGISTRY)
    assert "SECRET-HASH-VALUE" not in str(info.value) and "'secret_hashes' is a list" in str(info.value)


def _pulled_state(root: Path, cli: Run) -> dict[str, Any]:
    """A state of three records and one intent at ``root``, as ``state pull`` prints it."""
    (root / "main.yaml").write_text("version: 1\n")
    store = StateStore(root / ".reconciler" / "state.db")
    store.put(StateRecord("folders.campaigns", "folders", "author:/content/dam/campaigns", managed=True,
                          outputs={"path": "/content/dam/campaigns"}, attributes={"title": "Campaigns"}))
    store.put(StateRecord("folders.old", "folders", "author:/content/dam/old", managed=False,
                          dependencies=["folders.campaigns"], check_status="passed"))
    store.put(StateRecord("users.ann", "users", "ann", managed=True, secret_hashes={"password": "ab12"}))
    store.close()
    pulled = cli("state", "pull", "-c", root)
    assert pulled.exit_code == 0, pulled.output
    doc: dict[str, Any] = json.loads(pulled.output)
    return doc


def test_push_of_the_user_test_edits_is_refused_and_writes_nothing(tmp_path: Path, cli: Run) -> None:
    before = _pulled_state(tmp_path, cli)
    edited = json.loads(json.dumps(before))
    edited["resources"][0]["remote_id"] = [1, 2]
    edited["resources"][1]["kind"] = "nonsense"
    (tmp_path / "pp2.json").write_text(json.dumps(edited))
    pushed = cli("state", "push", "-c", tmp_path, tmp_path / "pp2.json")
    assert pushed.exit_code == 1
    assert pushed.output.startswith(
        "Error: not a state made by `reconciler state pull`: resources[0] (folders.campaigns) is malformed:"
        " 'remote_id' is a list; it must be the object's id as a non-empty string"
    ), pushed.output
    assert json.loads(cli("state", "pull", "-c", tmp_path).output) == before


def test_push_of_a_pulled_state_is_accepted(tmp_path: Path, cli: Run) -> None:
    before = _pulled_state(tmp_path, cli)
    (tmp_path / "s.json").write_text(json.dumps(before))
    pushed = cli("state", "push", "-c", tmp_path, tmp_path / "s.json")
    assert pushed.exit_code == 0, pushed.output
    after = json.loads(cli("state", "pull", "-c", tmp_path).output)
    assert after["resources"] == before["resources"] and after["serial"] == before["serial"] + 1


#: for each field of a pulled record, values of a type it never has
_WRONG: dict[str, st.SearchStrategy[Any]] = {
    "address": st.one_of(st.integers(), st.lists(st.text(max_size=3), max_size=2), st.just("no-dot"), st.none()),
    "kind": st.one_of(st.integers(), st.none(), st.just("nonsense"), st.just("orgs"), st.booleans()),
    "remote_id": st.one_of(st.integers(), st.lists(st.integers(), max_size=3), st.none(), st.just(""), st.just("  ")),
    "managed": st.one_of(st.integers(), st.text(max_size=5), st.none()),
    "prevent_destroy": st.one_of(st.integers(), st.text(max_size=5), st.none()),
    "outputs": st.one_of(st.lists(st.integers(), max_size=2), st.text(max_size=5), st.integers()),
    "attributes": st.one_of(st.lists(st.integers(), max_size=2), st.text(max_size=5), st.integers(), st.none()),
    "secret_hashes": st.one_of(st.lists(st.text(max_size=3), max_size=2), st.text(max_size=5),
                               st.dictionaries(st.text(max_size=3), st.integers(), min_size=1, max_size=2)),
    "dependencies": st.one_of(st.text(max_size=5), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
                              st.lists(st.integers(), min_size=1, max_size=2)),
    "check_status": st.one_of(st.integers(), st.just("ok"), st.lists(st.text(max_size=3), max_size=2)),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(0, 2), field=st.sampled_from(sorted(_WRONG)), data=st.data())
def test_push_refuses_a_pulled_document_with_one_wrong_field(
    tmp_path_factory: pytest.TempPathFactory, cli: Run, index: int, field: str, data: st.DataObject
) -> None:
    root = tmp_path_factory.mktemp("push")
    before = _pulled_state(root, cli)
    edited = json.loads(json.dumps(before))
    edited["resources"][index][field] = data.draw(_WRONG[field], label=field)
    (root / "edited.json").write_text(json.dumps(edited))
    pushed = cli("state", "push", "-c", root, root / "edited.json")
    assert pushed.exit_code == 1, pushed.output
    assert f"resources[{index}]" in pushed.output and f"'{field}'" in pushed.output, pushed.output
    assert "Traceback" not in pushed.output
    assert json.loads(cli("state", "pull", "-c", root).output) == before  # nothing written
