"""The top-level ``import:`` blocks: take existing objects under management by id.

``import: [{to: folders.campaigns, id: /content/dam/campaigns}]`` says that the object ``id`` already
exists and that the declared resource ``to`` is it: the plan looks it up and adopts it (recorded as
*adopted*: this tool never deletes it), and stops with an error instead of creating anything when it
is not found or when the id names another object than the declaration finds. Terraform 1.5's
``import`` blocks are the model (https://developer.hashicorp.com/terraform/language/import); once
the object is in the state, the block does nothing and may be removed.

The id is the object's remote id or its natural key as the plan prints it (``identity``), with or
without the connection's prefix: ``author:/content/dam/x`` or ``/content/dam/x``; a user's e-mail.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from ._entry import Registry, SourceFile, describe
from .diagnostics import SourceLoc
from .report import Findings

__all__ = ["ADDRESS_RE", "META_SECTIONS", "check_imports", "import_blocks"]

#: a resource address, ``kind.name``
ADDRESS_RE = re.compile(r"[a-z][a-z0-9_]*\.[A-Za-z0-9][A-Za-z0-9_-]*")

#: top-level keys that are neither connections nor kinds (besides version and backend)
META_SECTIONS = ("moved", "import")

_HINT = "write: import: [{to: folders.campaigns, id: /content/dam/campaigns}]"


class _HasImportId(Protocol):
    import_id: str | None


def import_blocks(f: SourceFile, value: Any, loc: SourceLoc, registry: Registry, findings: Findings) -> None:
    """Shape of the ``import:`` blocks: a list of ``{to: ADDRESS, id: ID}`` (strings). Appends
    ``(to, id, position)`` to ``registry.imports``; the addresses are checked by ``check_imports``."""
    if value is None:
        return
    if not isinstance(value, list):
        findings.error(f"import must be a list of {{to, id}} mappings, got {describe(value)}", loc, hint=_HINT)
        return
    for i, item in enumerate(value):
        item_loc = f.parsed.locs.get(("import", i), (loc, loc))[1]
        if (
            not isinstance(item, dict)
            or sorted(item) != ["id", "to"]
            or not all(isinstance(v, str) and v for v in item.values())
        ):
            findings.error(f"import[{i}] must be a mapping of to (an address) and id (a string)", item_loc, hint=_HINT)
            continue
        registry.imports.append((item["to"], item["id"], item_loc))


def check_imports(registry: Registry, resources: Mapping[str, _HasImportId], findings: Findings) -> None:
    """Each block's ``to`` is a declared resource, imported once; sets ``import_id`` on it."""
    seen: dict[str, SourceLoc] = {}
    for dst, remote, loc in registry.imports:
        if not ADDRESS_RE.fullmatch(dst):
            findings.error(f"import: {dst!r} is not a resource address", loc, hint="write kind.name, e.g. folders.demo")
        elif dst not in registry.resources:
            findings.error(
                f"import: {dst} (to) is not declared",
                loc,
                hint=f"declare {dst} (`reconciler export` writes the YAML of existing objects), or remove this block",
            )
        elif dst in seen:
            findings.error(f"import: {dst} is imported twice", loc, detail=f"first at {seen[dst]}")
        else:
            seen[dst] = loc
            if dst in resources:
                resources[dst].import_id = remote
