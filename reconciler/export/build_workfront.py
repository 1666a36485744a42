"""Workfront integrations, linked folders and metadata mappings from the Workfront snapshots (pure).

- ``workfront_integrations``: the integrations listing; ``aem`` names the AEM connections whose URL
  is one of the integration's ``aemHosts`` (an integration on an AEM no connection names is skipped:
  add the connection and export again); ``linked_folders`` as stored, defaults left out.
- ``workfront_linked_folders``: each AEM-linked document folder: the linked object by ``id`` (its
  name in a comment), the AEM folder as ``${folders.<name>.path}`` when exported, ``folder_name``
  when it is not the AEM folder's name.
- ``workfront_metadata_mappings``: each mapping row; defaults (``applies_to: documents``,
  ``direction: workfront_to_aem``) left out.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from reconciler.kinds.workfront_integrations import LinkedFolderSettings
from reconciler.kinds.workfront_linked_folders import ID_FIELDS

from .context import BuildContext, sorted_by
from .model import Entry, ref, slug
from .read import WorkfrontSnapshot


def _linked_settings(entry: Entry, stored: dict[str, Any]) -> None:
    """``linked_folders`` without defaults, when the model reads it back as stored."""
    try:
        model = LinkedFolderSettings.model_validate(stored)
    except ValidationError:
        entry.data["linked_folders"] = stored
        entry.notes["linked_folders"] = "as Workfront stores it; not valid here: validate reports it"
        return
    if model.model_dump(mode="json") == stored:
        entry.data["linked_folders"] = model.model_dump(mode="json", exclude_defaults=True)
    else:
        entry.data["linked_folders"] = stored


def _integration(bc: BuildContext, snap: WorkfrontSnapshot, item: dict[str, Any]) -> Entry | str:
    by_url = bc.aem_by_url()
    hosts = sorted(str(h) for h in item.get("aemHosts") or [])
    missing = [h for h in hosts if h not in by_url]
    if missing or not hosts:
        return f"no AEM connection has the URL {', '.join(missing) or '(none)'}: add one and export again"
    entry = Entry({"workfront": snap.connection, "type": item.get("type"), "aem": [by_url[h] for h in hosts]})
    entry.notes["aem"] = "the connections whose url is the integration's AEM host: " + ", ".join(hosts)
    entry.data["name"] = item.get("name")
    if item.get("repository") is not None:
        entry.data["repository"] = item["repository"]
        entry.notes["repository"] = "fixed once saved: changing it replaces the integration"
    if item.get("connectorVersion") is not None:
        entry.data["connector_version"] = item["connectorVersion"]
    entry.data["features"] = sorted(item.get("features") or [])
    if item.get("linkedFolders") is not None:
        _linked_settings(entry, item["linkedFolders"])
    entry.header.append(f"Workfront integration ID {item.get('ID')}")
    return entry


def build_integrations(bc: BuildContext, workfront: list[WorkfrontSnapshot]) -> None:
    """One ``workfront_integrations`` resource per integration on an AEM this configuration names."""
    for snap in workfront:
        for item in snap.integrations:
            made = _integration(bc, snap, item)
            if isinstance(made, str):
                bc.out.skip("workfront_integrations", f"integration {item.get('name')!r}: {made}")
                continue
            bc.add("workfront_integrations", slug(str(item.get("name")), "integration"), made,
                   ("integrations", snap.connection, str(item["ID"])))


def _folder_ref(bc: BuildContext, aem: list[str], path: str) -> str:
    for conn in aem:
        name = bc.index.get(("folders", conn, path))
        if name is not None:
            return ref("folders", name, "path")
    return path


def build_linked_folders(bc: BuildContext, workfront: list[WorkfrontSnapshot]) -> None:
    """One ``workfront_linked_folders`` resource per AEM-linked Workfront folder of an exported integration."""
    for snap in workfront:
        for item in snap.integrations:
            integration = bc.index.get(("integrations", snap.connection, str(item["ID"])))
            rows = snap.linked.get(str(item["ID"]), [])
            if integration is None:
                if rows:
                    bc.out.skip("workfront_linked_folders",
                                f"{len(rows)} linked folders of integration {item.get('name')!r}: it is not exported")
                continue
            aem = sorted({c for h in item.get("aemHosts") or [] if (c := bc.aem_by_url().get(str(h)))})
            for row in sorted(rows, key=lambda r: (str((r.get("linkedFolder") or {}).get("externalStorageID")),
                                                   str(r.get("ID")))):
                obj = next((o for o, key in ID_FIELDS.items() if row.get(key)), "project")
                obj_name = (row.get(obj) or {}).get("name") if isinstance(row.get(obj), dict) else None
                folder = str((row.get("linkedFolder") or {}).get("externalStorageID") or "")
                entry = Entry({"integration": integration, "object": obj, "id": row.get(ID_FIELDS[obj])})
                entry.notes["id"] = f'{obj} "{obj_name}"' if obj_name else f"the linked {obj}"
                entry.data["folder"] = _folder_ref(bc, aem, folder)
                if row.get("name") != folder.rstrip("/").rsplit("/", 1)[-1]:
                    entry.data["folder_name"] = row.get("name")
                bc.add("workfront_linked_folders", slug(str(obj_name or folder.rsplit("/", 1)[-1]), "linked"), entry)


def build_mappings(bc: BuildContext, workfront: list[WorkfrontSnapshot]) -> None:
    """One ``workfront_metadata_mappings`` resource per mapping row of an exported integration."""
    for snap in workfront:
        for item in snap.integrations:
            integration = bc.index.get(("integrations", snap.connection, str(item["ID"])))
            if integration is None:
                if snap.mappings.get(str(item["ID"])):
                    bc.out.skip("workfront_metadata_mappings",
                                f"the mappings of integration {item.get('name')!r}: it is not exported")
                continue
            for row in sorted_by(snap.mappings.get(str(item["ID"]), []), "appliesTo", "source", "target"):
                entry = Entry({"integration": integration, "source": row.get("source"), "target": row.get("target")})
                if row.get("appliesTo") != "documents":
                    entry.data["applies_to"] = row.get("appliesTo")
                if row.get("direction") != "workfront_to_aem":
                    entry.data["direction"] = row.get("direction")
                suffix = "-folders" if row.get("appliesTo") == "folders" else ""
                base = slug(f"{row.get('source')}-{str(row.get('target')).split(':')[-1]}{suffix}", "mapping")
                bc.add("workfront_metadata_mappings", base, entry)
