"""JSON Schema (draft 2020-12) of a whole configuration file, generated from the pydantic models.

:func:`build_config_schema` returns one schema for a single file: ``version``, ``connections``
(a map of the connection union, discriminated by ``type``) and one section per kind (a map from a
name to the kind's spec plus the meta keys ``depends_on``/``lifecycle``). Unknown keys are refused
at every level the models forbid them and at the top level; field descriptions are kept so that
editors show them on hover. :func:`render_schema_json` gives the stable text written to
``schemas/config.schema.json`` (a test compares it with a fresh rendering).

The schema checks one file: ``version`` is not required there because files merge; cross-file
rules (duplicate names, references) are the loader's.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .connections import CONNECTION_MODELS
from .loader import CONFIG_VERSION, KindSchema

__all__ = ["SCHEMA_DIALECT", "build_config_schema", "render_schema_json"]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_-]*$"
_ADDRESS_PATTERN = "^[a-z][a-z0-9_]*\\.[A-Za-z0-9][A-Za-z0-9_-]*$"


def _meta_properties() -> dict[str, Any]:
    return {
        "depends_on": {
            "type": "array",
            "items": {"type": "string", "pattern": _ADDRESS_PATTERN},
            "uniqueItems": True,
            "description": "Explicit dependencies: addresses (<kind>.<name>) this resource waits for, "
            "in addition to the ones its references imply.",
        },
        "lifecycle": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "prevent_destroy": {
                    "type": "boolean",
                    "default": False,
                    "description": "Refuse to delete this resource (plan fails instead).",
                },
                "allow_content_loss": {
                    "type": "boolean",
                    "default": False,
                    "description": "Let apply delete or replace this resource although that destroys user "
                    "content (a folder's assets); without it apply refuses such an action.",
                },
            },
            "description": "Lifecycle options of this resource.",
        },
    }


def _refs_in(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            out.add(ref[len("#/$defs/") :])
        for value in node.values():
            _refs_in(value, out)
    elif isinstance(node, list):
        for value in node:
            _refs_in(value, out)


def _prune(schema: dict[str, Any]) -> None:
    """Drop ``$defs`` entries nothing refers to."""
    defs: dict[str, Any] = schema.get("$defs", {})
    live: set[str] = set()
    _refs_in({k: v for k, v in schema.items() if k != "$defs"}, live)
    pending = list(live)
    while pending:
        name = pending.pop()
        found: set[str] = set()
        _refs_in(defs.get(name, {}), found)
        for item in found - live:
            live.add(item)
            pending.append(item)
    for name in list(defs):
        if name not in live:
            del defs[name]
    if not defs:
        schema.pop("$defs", None)


def build_config_schema(kinds: Mapping[str, KindSchema]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one configuration file for the given kinds.

    Returns a plain ``dict``; definitions shared by several models live in ``$defs``.
    """
    models: list[type[BaseModel]] = list(CONNECTION_MODELS.values())
    for kind in kinds.values():
        if kind.model not in models:
            models.append(kind.model)
    key_map, defs_doc = models_json_schema([(m, "validation") for m in models], ref_template="#/$defs/{model}")
    defs: dict[str, Any] = dict(defs_doc.get("$defs", {}))

    def ref_name(model: type[BaseModel]) -> str:
        ref = key_map[(model, "validation")]["$ref"]
        return str(ref).rsplit("/", 1)[-1]

    conn_refs = {ctype: f"#/$defs/{ref_name(m)}" for ctype, m in CONNECTION_MODELS.items()}
    properties: dict[str, Any] = {
        "version": {
            "type": "integer",
            "const": CONFIG_VERSION,
            "description": f"Configuration format version; {CONFIG_VERSION}. Required in at least one "
            "file; all files that give it must agree.",
        },
        "connections": {
            "type": ["object", "null"],
            "description": "Endpoints the reconciler talks to, by name: type aem, adobe or workfront.",
            "propertyNames": {"pattern": _NAME_PATTERN},
            "additionalProperties": {
                "oneOf": [{"$ref": ref} for ref in conn_refs.values()],
                "discriminator": {"propertyName": "type", "mapping": conn_refs},
            },
        },
    }
    properties["moved"] = {
        "type": ["array", "null"],
        "description": "Renamed resources: each {from, to} renames the state record of `from` to `to` (no API "
        "call), so the object is neither deleted nor adopted again.",
        "items": {
            "type": "object",
            "required": ["from", "to"],
            "additionalProperties": False,
            "properties": {"from": {"type": "string"}, "to": {"type": "string"}},
        },
    }
    properties["import"] = {
        "type": ["array", "null"],
        "description": "Existing objects to take under management: each {to, id} adopts the object `id` (its "
        "remote id or natural key, e.g. /content/dam/x) as the declared resource `to`; the plan fails instead "
        "of creating it when it is not found.",
        "items": {
            "type": "object",
            "required": ["to", "id"],
            "additionalProperties": False,
            "properties": {"to": {"type": "string"}, "id": {"type": "string", "minLength": 1}},
        },
    }
    for section, kind in kinds.items():
        model_schema = copy.deepcopy(defs[ref_name(kind.model)])
        model_schema.setdefault("properties", {}).update(_meta_properties())
        model_schema["additionalProperties"] = False
        title = model_schema.pop("title", None)
        description = getattr(kind, "description", None) or model_schema.get("description") or title
        outputs = sorted(kind.outputs)
        section_desc = f"Resources of kind {section}: a map from a name to its spec."
        if description:
            section_desc += f" {description}"
        if outputs:
            section_desc += f" Attributes for ${{{section}.<name>.<attr>}}: {', '.join(outputs)} and the spec fields."
        properties[section] = {
            "type": ["object", "null"],
            "description": section_desc,
            "propertyNames": {"pattern": _NAME_PATTERN},
            "additionalProperties": model_schema,
        }
    schema: dict[str, Any] = {
        "$schema": SCHEMA_DIALECT,
        "$id": "https://github.com/aem-assets-reconciler/schemas/config.schema.json",
        "title": "AEM Assets reconciler configuration",
        "description": "One configuration file. Files of a directory merge; names are unique per section. "
        "Strings may use ${env:NAME}, ${env:NAME:-default}, ${file:path} and ${kind.name.attr}.",
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
        "$defs": defs,
    }
    _prune(schema)
    return schema


def render_schema_json(schema: Mapping[str, Any]) -> str:
    """Stable JSON text of ``schema``: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
