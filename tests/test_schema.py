"""The JSON Schemas and data files: generated or packaged inside ``reconciler``, published in ``schemas/``.

The packaged copies (``reconciler/data``) are what the installed tool reads; ``schemas/`` is the copy
editors and reviewers see in the repository. They must be byte-for-byte the same, and the
configuration schema must match a fresh rendering of the kinds' models.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from reconciler import data
from reconciler.cli import main
from reconciler.schemagen import generate

ROOT = Path(__file__).resolve().parent.parent


def test_packaged_config_schema_is_current() -> None:
    assert data.read_text("config") == generate(), "reconciler/data/config.schema.json is stale: run `make schema`"


@pytest.mark.parametrize("name", sorted(data.FILES))
def test_published_copy_in_schemas_is_the_packaged_file(name: str) -> None:
    published = (ROOT / "schemas" / data.FILES[name]).read_text(encoding="utf-8")
    assert published == data.read_text(name), f"schemas/{data.FILES[name]} differs from the packaged copy: run `make schema`"


def test_every_packaged_data_file_is_declared() -> None:
    on_disk = {p.name for p in (ROOT / "reconciler" / "data").iterdir() if p.suffix in (".json", ".yaml")}
    assert on_disk == set(data.FILES.values())


@pytest.mark.parametrize("which", ["config", "plan"])
def test_schema_command_prints_the_packaged_schema(which: str) -> None:
    result = CliRunner().invoke(main, ["schema", which])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed == json.loads(data.read_text(which))
    jsonschema.Draft202012Validator.check_schema(printed)


def test_schema_command_defaults_to_config_and_refuses_unknown() -> None:
    runner = CliRunner()
    assert json.loads(runner.invoke(main, ["schema"]).stdout)["title"] == json.loads(data.read_text("config"))["title"]
    bad = runner.invoke(main, ["schema", "state"])
    assert bad.exit_code == 1 and "'state' is not one of 'config', 'plan'" in bad.output


def test_examples_validate_against_the_schema_and_carry_the_modeline() -> None:
    schema = json.loads(generate())
    files = sorted((ROOT / "examples").rglob("*.yaml"))
    assert files
    for f in files:
        if "invalid" in f.parts:
            continue
        text = f.read_text()
        assert text.startswith("# yaml-language-server: $schema="), f
        data_ = YAML(typ="safe").load(text)
        jsonschema.validate(data_, schema)


def test_schema_rejects_an_unknown_key() -> None:
    schema = json.loads(generate())
    bad = {"version": 1, "folders": {"x": {"connection": "author", "titel": "typo"}}}
    try:
        jsonschema.validate(bad, schema)
    except jsonschema.ValidationError as exc:
        assert "titel" in str(exc)
    else:
        raise AssertionError("the schema accepted an unknown key")
