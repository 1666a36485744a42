"""schema.py: the generated JSON Schema accepts valid files and refuses unknown keys."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import CONNECTIONS_YAML, TOY_KINDS
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

from reconciler.config import build_config_schema, render_schema_json

VALID = (
    "version: 1\n"
    + CONNECTIONS_YAML
    + """\
orgs:
  acme: {ims_org_id: x}
applications:
  app:
    org: acme
    title: t
    depends_on: [orgs.acme]
    lifecycle: {prevent_destroy: true}
shares:
  s:
    folder: f
    members: [{user: bob, role: owner}]
"""
)


def _validator() -> Draft202012Validator:
    schema = build_config_schema(TOY_KINDS)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _yaml(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def test_schema_is_valid_and_accepts_a_valid_file() -> None:
    errors = list(_validator().iter_errors(_yaml(VALID)))
    assert errors == []


@pytest.mark.parametrize(
    "text",
    [
        "version: 1\nconnection: {}\n",
        "version: 2\n",
        "orgs:\n  acme: {ims_org_idd: x}\n",
        "orgs:\n  acme: {ims_org_id: x, lifecycle: {prevent: true}}\n",
        "orgs:\n  -bad: {ims_org_id: x}\n",
        "shares:\n  s: {folder: f, members: [{user: bob, role: admin}]}\n",
        "connections:\n  x: {type: aem, url: sandbox://aem, bogus: 1}\n",
        "connections:\n  x: {type: nope}\n",
    ],
)
def test_schema_refuses_invalid_files(text: str) -> None:
    assert list(_validator().iter_errors(_yaml(text))), text


def test_schema_keeps_descriptions_and_marks_references() -> None:
    schema = build_config_schema(TOY_KINDS)
    orgs = schema["properties"]["orgs"]["additionalProperties"]
    assert orgs["properties"]["ims_org_id"]["description"] == "The IMS org ID, <24 hex>@AdobeOrg."
    assert "depends_on" in orgs["properties"] and orgs["additionalProperties"] is False
    apps = schema["properties"]["applications"]["additionalProperties"]
    assert apps["properties"]["org"]["x-reference"] == "orgs"
    assert "application_id" in schema["properties"]["applications"]["description"]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    text = json.dumps(schema)
    assert "Client ID (API key)" in text  # connection field descriptions


def test_render_is_stable() -> None:
    a = render_schema_json(build_config_schema(TOY_KINDS))
    b = render_schema_json(build_config_schema(dict(reversed(list(TOY_KINDS.items())))))
    assert a == render_schema_json(json.loads(a))
    assert a.endswith("}\n") and a.startswith('{\n  "$defs"')
    assert json.loads(a) == json.loads(b)
