"""schemas/config.schema.json is generated from the models and must not be stale; examples use it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from ruamel.yaml import YAML

from reconciler.schemagen import generate

ROOT = Path(__file__).resolve().parent.parent


def test_committed_schema_is_current() -> None:
    committed = (ROOT / "schemas" / "config.schema.json").read_text()
    assert committed == generate(), "schemas/config.schema.json is stale: run `make schema`"


def test_examples_validate_against_the_schema_and_carry_the_modeline() -> None:
    schema = json.loads(generate())
    files = sorted((ROOT / "examples").rglob("*.yaml"))
    assert files
    for f in files:
        if "invalid" in f.parts:
            continue
        text = f.read_text()
        assert text.startswith("# yaml-language-server: $schema="), f
        data = YAML(typ="safe").load(text)
        jsonschema.validate(data, schema)


def test_schema_rejects_an_unknown_key() -> None:
    schema = json.loads(generate())
    bad = {"version": 1, "folders": {"x": {"connection": "author", "titel": "typo"}}}
    try:
        jsonschema.validate(bad, schema)
    except jsonschema.ValidationError as exc:
        assert "titel" in str(exc)
    else:
        raise AssertionError("the schema accepted an unknown key")
