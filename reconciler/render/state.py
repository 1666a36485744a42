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
    """One state record, ``key = value`` per line with the ``=`` signs aligned: attributes as JSON,
    outputs (multi-line values cut to their first line), tracked secrets masked, the last health check."""
    owner = "created by this tool" if rec.managed else "adopted or read: never deleted"
    rows: list[tuple[str, str]] = [
        ("kind", rec.kind),
        ("remote_id", rec.remote_id),
        ("managed", f"{str(rec.managed).lower()}  ({owner})"),
    ]
    if rec.prevent_destroy:
        rows.append(("prevent_destroy", "true"))
    rows += [(k, json.dumps(v)) for k, v in sorted(rec.attributes.items())]
    rows += [(k, "(sensitive)") for k in sorted(rec.secret_hashes)]
    rows += [(f"output.{k}", json.dumps(_first_line(v))) for k, v in sorted(rec.outputs.items())]
    if rec.check_status:
        rows.append(("health check", rec.check_status))
    width = max(len(k) for k, _ in rows)
    return "\n".join([f"# {rec.address}"] + [f"{k.ljust(width)} = {v}" for k, v in rows])


def _first_line(value: Any) -> Any:
    """A multi-line string cut to its first line and `` ...``; any other value as is."""
    return value if not (isinstance(value, str) and "\n" in value) else value.strip().splitlines()[0] + " ..."


def state_json(dump: dict[str, Any]) -> dict[str, Any]:
    """``StateStore.dump()`` as ``show -json`` prints it: the same document with ``format_version``
    a "major.minor" string, as in plans (``"1.0"``; the state's own format version is an integer)."""
    version = dump.get("format_version")
    return {**dump, "format_version": f"{int(version)}.0" if isinstance(version, int) else version}


def outputs_text(outputs: dict[str, dict[str, Any]]) -> str:
    """``reconciler output``: ``{address: {attribute: value}}`` as ``address.attribute = value``
    lines (values as JSON, multi-line strings cut to their first line); a note when there are none."""
    lines = [
        f"{addr}.{k} = {json.dumps(_first_line(v), default=str)}"
        for addr, values in sorted(outputs.items())
        for k, v in sorted(values.items())
    ]
    return "\n".join(lines) if lines else "No outputs: nothing in the state has any."


def output_value(value: Any) -> str:
    """One output as ``output ADDR.ATTR`` prints it: a string raw (a PEM key as is, for a file),
    anything else as JSON."""
    return value.rstrip("\n") if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)

