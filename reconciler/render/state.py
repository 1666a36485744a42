"""Text views of the state (``reconciler show`` without a plan file, ``reconciler state show``).

Secrets are never in the state: a tracked sensitive attribute shows as ``(sensitive)``.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.engine import StateRecord


def state_summary(dump: dict[str, Any]) -> str:
    """``StateStore.dump()`` as a header line and one line per resource (address, remote id, owner)."""
    lines = [f"State lineage {dump['lineage']}, serial {dump['serial']}: {len(dump['resources'])} resources."]
    for r in dump["resources"]:
        owner = "created here" if r["managed"] else "adopted/read"
        lines.append(f"  {r['address']}  [{r['remote_id']}]  ({owner})")
    return "\n".join(lines)


def state_record(rec: StateRecord) -> str:
    """One state record, ``key = value`` per line: attributes as JSON, outputs (multi-line values
    cut to their first line), tracked secrets masked, the last health check."""
    lines = [f"# {rec.address}", f"kind         = {rec.kind}", f"remote_id    = {rec.remote_id}"]
    owner = "created by this tool" if rec.managed else "adopted or read: never deleted"
    lines.append(f"managed      = {str(rec.managed).lower()}  ({owner})")
    if rec.prevent_destroy:
        lines.append("prevent_destroy = true")
    lines += [f"{k:<12} = {json.dumps(v)}" for k, v in sorted(rec.attributes.items())]
    lines += [f"{k:<12} = (sensitive)" for k in sorted(rec.secret_hashes)]
    for k, v in sorted(rec.outputs.items()):
        shown = v if not (isinstance(v, str) and "\n" in v) else v.strip().splitlines()[0] + " ..."
        lines.append(f"output.{k:<5} = {json.dumps(shown)}")
    if rec.check_status:
        lines.append(f"health check = {rec.check_status}")
    return "\n".join(lines)


def saved_plan_text(doc: dict[str, Any]) -> str:
    """A saved JSON plan (``reconciler show FILE``): one line per change, its field changes, the
    summary; ``No changes.`` when it has none."""
    lines = []
    for c in doc["resource_changes"]:
        lines.append(f"  {'/'.join(c['actions'])}: {c['address']}" + (f" ({c['reason']})" if c["reason"] else ""))
        for f in c["changes"]:
            lines.append(f"      {f['path']}: {json.dumps(f['before'])} -> {json.dumps(f['after'])}")
    s = doc["summary"]
    lines.append(
        f"Plan: {s.get('create', 0)} to create, {s.get('adopt', 0)} to adopt, {s.get('update', 0)} to update,"
        f" {s.get('replace', 0)} to replace, {s.get('delete', 0)} to delete. {s.get('unchanged', 0)} unchanged."
    )
    if not s.get("has_changes"):
        lines = ["No changes."]
    return "\n".join(lines)
