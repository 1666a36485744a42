"""``reconciler sandbox info``: the seeded sandbox world as text (what to write in a configuration
that plans against ``sandbox://`` URLs)."""

from __future__ import annotations

from typing import Any


def sandbox_info_text(seed: dict[str, Any], services: list[dict[str, Any]]) -> str:
    """``seed``: ``reconciler.sandbox.seed_summary()``; ``services``: one ``{"name", "port",
    "description", "base_path", "hint"}`` per emulated service. Returns the lines, no trailing newline."""
    c = seed["client"]
    lines = ["Services (sandbox://NAME in a configuration; `reconciler sandbox serve` ports):"]
    for s in services:
        hint = f"  ({s['hint']})" if s.get("hint") else ""
        path = f", API at {s['base_path']}" if s.get("base_path") else ""
        lines.append(f"  sandbox://{s['name']:<10} {s['description']}, port {s['port']}{path}{hint}")
    lines += ["", "Adobe credential of the reconciler (adobe connection):",
              f"  client_id            {c['client_id']}",
              f"  client_secret        {c['client_secret']}",
              f"  technical account    {c['technical_account_id']}",
              "", "IMS orgs (orgs: ims_org_id):"]
    for o in seed["orgs"]:
        cc = ", Creative Cloud entitled" if o["creative_cloud_entitled"] else ""
        lines.append(f"  {o['ims_org_id']}  {o['name']} (Console org {o['console_org_id']}, role {o['role']}{cc})")
    lines.append(f"  AEM Assets is connected to the Creative Cloud org {seed['cc_connection']}")
    lines += ["", "Users (User Management API) and groups:"]
    for u in seed["users"]:
        lines.append(f"  {u['email']:<28} {u['type']:<12} {u['org']}  groups: {', '.join(u['groups']) or '-'}")
    for org, groups in seed["groups"].items():
        lines.append(f"  groups of {org}: " + ", ".join(f"{g['name']} ({g['type']})" for g in groups))
    a = seed["aem"]
    lines += ["", "AEM author:",
              "  users                " + ", ".join(f"{u}/{p}" for u, p in a["users"].items()),
              "  bearer tokens        " + ", ".join(a["bearer_tokens"]),
              f"  existing folder      {a['existing_folder']}"]
    w = seed["workfront"]
    lines += ["", f"Workfront ({w['customer']}):", "  API keys             " + ", ".join(w["api_keys"])]
    for p in w["projects"]:
        lines.append(f"  project              {p['name']}  (portfolio {p['portfolio']}, program {p['program']})")
    lines.append("  custom fields        " + ", ".join(w["custom_fields"]))
    lines.append("  custom forms         " + ", ".join(w["custom_forms"]))
    return "\n".join(lines)
