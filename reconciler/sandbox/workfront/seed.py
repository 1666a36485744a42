"""Workfront's part of the sandbox world: one generic object table plus the seeded objects.

Objects (``PORT``, ``PRGM``, ``PROJ``, ``DOCFDR``, ``LNKFDR``, ``DOCU``, ``PARAM``, ``CTGY``, ``USER``)
are JSON documents keyed by a 32-hex ``ID``; the native AEM integration's settings (which have no
public API) are stored as ``AEMINT`` objects and their metadata mapping rows as ``AEMMAP``.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from typing import Any

WORKFRONT_SCHEMA = """
CREATE TABLE IF NOT EXISTS wf_objects (
    id TEXT PRIMARY KEY, objcode TEXT NOT NULL, data TEXT NOT NULL, seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS wf_objects_code ON wf_objects(objcode, seq);
"""

WORKFRONT_SEED: dict[str, Any] = {
    "api_keys": {"sandbox-workfront-api-key": "admin@acme.example"},
    "customer": {"name": "Acme Corp", "domain": "acme"},
    "portfolios": {
        "Spring Campaigns": {
            "programs": {"Launch 2026": ["Spring Launch", "Summer Teaser", "Autumn Preview"]},
        },
        "Scale Test": {"programs": {"Bulk": [f"Scale Project {i:02d}" for i in range(1, 13)]}},
    },
    "custom_fields": [
        {"name": "Campaign Code", "fieldType": "TEXT"},
        {"name": "Region", "fieldType": "DROPDOWN", "options": ["EMEA", "AMER", "APAC"]},
    ],
    "custom_forms": [{"name": "Asset Metadata", "catObjCode": "DOCU"}],
}


def wf_date(when: dt.datetime | None = None) -> str:
    """Workfront's date format: ``2017-03-24T17:00:00:000+0000`` (a colon before the milliseconds)."""
    when = when or dt.datetime.now(dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S:") + f"{when.microsecond // 1000:03d}" + when.strftime("%z")


def new_id() -> str:
    return uuid.uuid4().hex


def insert_object(conn: sqlite3.Connection, objcode: str, data: dict[str, Any]) -> dict[str, Any]:
    """Insert one object (``ID`` generated when missing); returns it."""
    data = {"ID": data.get("ID") or new_id(), "objCode": objcode, **{k: v for k, v in data.items() if k != "ID"}}
    (seq,) = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM wf_objects").fetchone()
    conn.execute(
        "INSERT INTO wf_objects(id, objcode, data, seq) VALUES (?,?,?,?)", (data["ID"], objcode, json.dumps(data), seq)
    )
    return data


def seed_workfront(conn: sqlite3.Connection) -> None:
    """Create the Workfront tables and seed them (once per world)."""
    _create_tables(conn)
    if conn.execute("SELECT value FROM meta WHERE key='workfront_seeded'").fetchone() is not None:
        return
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('workfront_seeded', ?)", (wf_date(),))
    now = wf_date()
    admin = insert_object(
        conn,
        "USER",
        {"name": "Admin User", "username": "admin@acme.example", "emailAddr": "admin@acme.example", "entryDate": now},
    )
    for pname, port in WORKFRONT_SEED["portfolios"].items():
        portfolio = insert_object(conn, "PORT", {"name": pname, "ownerID": admin["ID"], "entryDate": now})
        for gname, projects in port["programs"].items():
            program = insert_object(
                conn, "PRGM", {"name": gname, "portfolioID": portfolio["ID"], "ownerID": admin["ID"], "entryDate": now}
            )
            for i, name in enumerate(projects):
                insert_object(
                    conn,
                    "PROJ",
                    {
                        "name": name,
                        "portfolioID": portfolio["ID"],
                        "programID": program["ID"],
                        "ownerID": admin["ID"],
                        "status": "CUR" if i % 2 == 0 else "PLN",
                        "description": f"{name} ({pname})",
                        "referenceNumber": 1000 + i,
                        "entryDate": now,
                    },
                )
    for field in WORKFRONT_SEED["custom_fields"]:
        insert_object(conn, "PARAM", {"name": field["name"], "fieldType": field["fieldType"], "entryDate": now})
    for form in WORKFRONT_SEED["custom_forms"]:
        insert_object(conn, "CTGY", {"name": form["name"], "catObjCode": form["catObjCode"], "entryDate": now})


def _create_tables(conn: sqlite3.Connection) -> None:
    for stmt in WORKFRONT_SCHEMA.split(";"):
        if stmt.strip():
            conn.execute(stmt)
