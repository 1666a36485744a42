"""The quickstart on a hardened AEM author (WebDAV bundle stopped: HTTP DELETE answers 405).

The reconciler deletes through the Sling POST servlet (``:operation=delete``), which works on every
author, so plan, apply, plan and a removal all pass when the sandbox refuses HTTP DELETE.
"""

from __future__ import annotations

import json
from pathlib import Path

from reconciler import sandbox
from tests.helpers import Run, sync_client


def _db(quickstart: Path) -> Path:
    return quickstart / ".reconciler" / "sandbox.db"


def test_sandbox_refuses_http_delete_when_hardened(tmp_path: Path) -> None:
    db = tmp_path / "world.db"
    sandbox.reset_world(db)
    sandbox.set_aem_hardened(db, True)
    assert sandbox.aem_hardened(db)
    aem = sync_client("aem", db)
    aem.auth = ("admin", "admin")
    refused = aem.delete("/content/dam/we-retail")
    put = aem.put("/content/dam/we-retail", content=b"x")
    deleted = aem.post("/content/dam/we-retail", data={":operation": "delete"})
    assert refused.status_code == 405 and "405 Method DELETE not supported" in refused.text
    assert "POST" in refused.headers["allow"] and "DELETE" not in refused.headers["allow"]
    assert put.status_code == 405
    assert deleted.status_code == 200
    assert "/content/dam/we-retail" not in sandbox.world_counts(db)["nodes"]
    sandbox.set_aem_hardened(db, False)
    assert not sandbox.aem_hardened(db)


def test_quickstart_on_a_hardened_author(quickstart: Path, cli: Run) -> None:
    db = _db(quickstart)
    sandbox.reset_world(db)
    sandbox.set_aem_hardened(db, True)

    applied = cli("apply", "--auto-approve", quickstart)
    assert applied.exit_code == 0, applied.output
    assert "Apply complete!" in applied.output
    again = cli("plan", quickstart, "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes." in again.output

    # remove the folder and its shares: deleting the folder must not use HTTP DELETE
    main = quickstart / "main.yaml"
    text = main.read_text()
    main.write_text(text[: text.index("# Step 5")])
    removed = cli("apply", "--auto-approve", quickstart)
    assert removed.exit_code == 0, removed.output
    assert "405" not in removed.output
    nodes = sandbox.world_counts(db)["nodes"]
    assert "/content/dam/mc-demo" not in json.dumps(nodes)
    assert sandbox.aem_hardened(db)  # the switch stays on in the world
    last = cli("plan", quickstart, "--detailed-exitcode")
    assert last.exit_code == 0, last.output


def test_missing_parents_of_a_folder_are_plain_folders(quickstart: Path, cli: Run) -> None:
    """``/content/dam/campaigns/2023``: the reconciler creates ``/content/dam/campaigns`` as a
    ``sling:Folder`` first (the POST servlet alone would make it a ``sling:OrderedFolder``, the
    default child type of ``/content/dam``); it is not managed, so it stays when the folder goes."""
    db = _db(quickstart)
    sandbox.reset_world(db)
    sandbox.set_aem_hardened(db, True)
    extra = quickstart / "campaigns.yaml"
    extra.write_text(
        "version: 1\nfolders:\n  campaign-2023:\n    connection: author\n"
        "    path: /content/dam/campaigns/2023/spring\n    title: Spring 2023\n"
    )
    applied = cli("apply", "--auto-approve", quickstart)
    assert applied.exit_code == 0, applied.output
    nodes = sandbox.world_counts(db)["nodes"]
    assert nodes["/content/dam/campaigns"] == "sling:Folder"
    assert nodes["/content/dam/campaigns/2023"] == "sling:Folder"
    assert nodes["/content/dam/campaigns/2023/spring"] == "sling:Folder"
    assert cli("plan", quickstart, "--detailed-exitcode").exit_code == 0
    extra.unlink()
    removed = cli("apply", "--auto-approve", quickstart)
    assert removed.exit_code == 0, removed.output
    nodes = sandbox.world_counts(db)["nodes"]
    assert "/content/dam/campaigns/2023/spring" not in nodes
    assert nodes["/content/dam/campaigns/2023"] == "sling:Folder"
