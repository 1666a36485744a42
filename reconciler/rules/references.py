"""References whose attribute has the wrong meaning for the field they feed, checked offline.

``client_id: ${applications.x.credential_id}`` is a valid reference (the attribute exists) that
feeds the wrong value: AEM needs the Application ID. :data:`EXPECTED` says, per referencing field,
which ``kind.attribute`` may feed it and what that value is; a reference to anything else in that
field is an error naming what was referenced, what is expected and the fixed reference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reconciler.config.diagnostics import Diagnostic
from reconciler.config.loader import LoadedConfig


@dataclass(frozen=True)
class Expected:
    """What may feed a field: ``kind``'s attribute ``attr`` (``${<kind>.<name>.<attr>}``), ``what``
    the value is (for messages)."""

    kind: str
    attr: str
    what: str


#: (referencing kind, dotted field; ``*`` matches one list index) -> the attributes that may feed it
EXPECTED: dict[tuple[str, str], tuple[Expected, ...]] = {
    ("cloud_configs", "client_id"): (
        Expected("applications", "application_id", "the Adobe application's ID (client ID), seed 000 step 2"),
    ),
    ("application_keys", "certificate"): (
        Expected("cloud_configs", "public_key", "the certificate AEM generated for the configuration, seed 000 step 3"),
    ),
    ("workfront_linked_folders", "folder"): (Expected("folders", "path", "the AEM folder's path under /content/dam"),),
}

#: what a wrongly used attribute is, to say why it does not fit
MEANING: dict[tuple[str, str], str] = {
    ("applications", "credential_id"): "the Developer Console credential's id (not the client ID AEM needs)",
    ("applications", "technical_account_id"): "the technical account's id",
    ("applications", "project_id"): "the Developer Console project's id",
    ("applications", "workspace_id"): "the Developer Console workspace's id",
    ("applications", "org_console_id"): "the org's Developer Console id",
    ("applications", "name"): "the Console project's name",
    ("cloud_configs", "path"): "the configuration's JCR path",
    ("folders", "primary_type"): "the folder's node type",
}


def _matches(pattern: str, path: str) -> bool:
    return re.fullmatch(re.escape(pattern).replace(r"\*", r"\d+"), path) is not None


def rule_reference_meaning(loaded: LoadedConfig) -> list[Diagnostic]:
    """Every ``${kind.name.attr}`` in a field of :data:`EXPECTED` names one of its expected
    attributes; otherwise an error at the field, with the reference that fits."""
    out: list[Diagnostic] = []
    for decl in loaded.resources.values():
        for path, ref in decl.attr_refs:
            expected = next((e for (k, f), e in EXPECTED.items() if k == decl.kind and _matches(f, path)), None)
            if expected is None or any(e.kind == ref.kind and e.attr == ref.attr for e in expected):
                continue
            good = expected[0]
            name = ref.name if ref.kind == good.kind else "<name>"
            meaning = MEANING.get((ref.kind, ref.attr), f"attribute {ref.attr!r} of {ref.kind}")
            out.append(
                Diagnostic(
                    "error",
                    f"{decl.address}: {path} is fed {ref}, which is {meaning}; {path} must be"
                    f" {good.what}",
                    "expected: " + " or ".join("${" + f"{e.kind}.<name>.{e.attr}" + "}" for e in expected),
                    decl.loc_of(path),
                    decl.address,
                    f"{path}: " + "${" + f"{good.kind}.{name}.{good.attr}" + "}",
                )
            )
    return out


RULES = [rule_reference_meaning]
