"""`state push` of a document that is not a state made by `state pull`: one clear error saying what
is missing or malformed (not a Python KeyError), and nothing is written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.engine.state import snapshot_from_pull
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
        ({"lineage": "l", "serial": 1, "resources": [{"address": "folders.x"}]}, "resources[0] has no 'kind'"),
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
