"""Issue 10 through the CLI on the embedded sandbox: plans a reviewer can trust (moves, not deletes)."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler import sandbox
from tests.helpers import QUICKSTART, Run, Served


def _rename_folder(quickstart: Path, *, moved_block: bool = False) -> None:
    main = quickstart / "main.yaml"
    text = main.read_text().replace("  mc-demo:\n    connection: author\n", "  demo:\n    connection: author\n    path: /content/dam/mc-demo\n")
    text = text.replace("    folder: mc-demo\n", "    folder: demo\n")
    if moved_block:
        text += "\nmoved:\n  - {from: folders.mc-demo, to: folders.demo}\n"
    main.write_text(text)


def _applied(quickstart: Path, cli: Run) -> None:
    out = cli("apply", "--auto-approve", quickstart)
    assert out.exit_code == 0, out.output


def test_renamed_key_with_the_same_path_is_a_move_not_a_delete(quickstart: Path, cli: Run) -> None:
    _applied(quickstart, cli)
    _rename_folder(quickstart)
    out = cli("plan", quickstart)
    assert out.exit_code == 0, out.output
    assert "folders.mc-demo has moved to folders.demo" in out.output
    assert "delete" not in out.output.lower().replace("0 to delete", "")
    assert "1 to move" in out.output and "0 to adopt" in out.output
    doc = json.loads(cli("plan", "-json", quickstart).stdout)  # warnings go to stderr
    (moved,) = [c for c in doc["resource_changes"] if c["previous_address"]]
    assert moved["address"] == "folders.demo" and moved["previous_address"] == "folders.mc-demo"
    assert doc["summary"]["move"] == 1 and doc["summary"]["delete"] == 0
    md = cli("plan", "--format", "markdown", quickstart)
    assert "`folders.mc-demo` has moved to `folders.demo`" in md.output, md.output
    _applied(quickstart, cli)
    nodes = sandbox.world_counts(quickstart / ".reconciler" / "sandbox.db")["nodes"]
    assert "/content/dam/mc-demo" in nodes  # the folder (and its assets) are still there
    again = cli("plan", "--detailed-exitcode", quickstart)
    assert again.exit_code == 0 and "No changes." in again.output, again.output
    state = json.loads(cli("state", "pull", "-c", quickstart).stdout)
    addrs = {r["address"]: r for r in state["resources"]}
    assert "folders.mc-demo" not in addrs and addrs["folders.demo"]["managed"] is True


def test_moved_block_renames_the_state_record(quickstart: Path, cli: Run) -> None:
    _applied(quickstart, cli)
    _rename_folder(quickstart, moved_block=True)
    out = cli("plan", quickstart)
    assert out.exit_code == 0, out.output
    assert "folders.mc-demo has moved to folders.demo" in out.output
    _applied(quickstart, cli)
    assert "No changes." in cli("plan", quickstart).output


def test_moved_block_to_an_undeclared_resource_is_an_error_with_position(quickstart: Path, cli: Run) -> None:
    main = quickstart / "main.yaml"
    main.write_text(main.read_text() + "\nmoved:\n  - {from: folders.old, to: folders.nowhere}\n")
    out = cli("validate", quickstart)
    assert out.exit_code == 1
    assert "moved: folders.nowhere (to) is not declared" in out.output
    assert "main.yaml:" in out.output


def _forget(quickstart: Path, address: str) -> None:
    from reconciler.engine import StateStore, forget_address

    store = StateStore(quickstart / ".reconciler" / "state.db")
    try:
        forget_address(store, address)
    finally:
        store.close()


def test_adopting_an_ordered_folder_declared_unordered_is_refused_unless_replace_is_asked(
    quickstart: Path, cli: Run
) -> None:
    main = quickstart / "main.yaml"
    text = main.read_text()
    main.write_text(text.replace("folders:\n", "folders:\n  ordered-one:\n    connection: author\n    ordered: true\n", 1))
    _applied(quickstart, cli)
    _forget(quickstart, "folders.ordered-one")  # the folder now exists, unknown to this state
    main.write_text(text.replace("folders:\n", "folders:\n  ordered-one:\n    connection: author\n", 1))
    refused = cli("plan", quickstart)  # adopting it would delete what this tool did not create
    assert refused.exit_code == 1, refused.output
    assert ("folders.ordered-one: author:/content/dam/ordered-one exists and is not in this state,"
            " but ordered cannot change in place") in refused.stderr
    assert "set what exists: ordered: true (configured: false)" in refused.stderr
    assert "-replace=folders.ordered-one" in refused.stderr and "will be" not in refused.stdout
    assert "sandbox info" not in refused.stderr  # nothing is misspelt or missing: no sandbox hint
    assert cli("apply", "-auto-approve", quickstart).exit_code == 1  # apply plans the same way
    nodes = sandbox.world_counts(quickstart / ".reconciler" / "sandbox.db")["nodes"]
    assert nodes["/content/dam/ordered-one"] == "sling:OrderedFolder"

    out = cli("plan", "-replace=folders.ordered-one", quickstart)  # asked for: counted as what it does
    assert out.exit_code == 0, out.output
    assert "forces replacement" in out.output and "1 to replace" in out.output and "0 to adopt" in out.output
    assert "not created by this tool: replacing it deletes" in out.output
    doc = json.loads(cli("plan", "-json", "-replace=folders.ordered-one", quickstart).stdout)
    assert doc["summary"]["replace"] == 1 and doc["summary"]["adopt"] == 0
    done = cli("apply", "-auto-approve", "-replace=folders.ordered-one", quickstart)
    assert done.exit_code == 0, done.output
    nodes = sandbox.world_counts(quickstart / ".reconciler" / "sandbox.db")["nodes"]
    assert nodes["/content/dam/ordered-one"] == "sling:Folder"
    again = cli("plan", "--detailed-exitcode", quickstart)
    assert again.exit_code == 0 and "No changes." in again.output and "drift" not in again.output, again.output


def test_adopting_a_folder_with_another_title_is_an_update_and_then_no_drift(quickstart: Path, cli: Run) -> None:
    _applied(quickstart, cli)
    _forget(quickstart, "folders.mc-demo")
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace("    title: MC Demo\n", "    title: MC Demo renamed\n"))
    out = cli("plan", quickstart)
    assert out.exit_code == 0, out.output
    assert "1 to update" in out.output and "0 to adopt" in out.output and "adopting it and updating" in out.output
    _applied(quickstart, cli)
    again = cli("plan", "--detailed-exitcode", quickstart)
    assert again.exit_code == 0 and "No changes." in again.output, again.output
    state = json.loads(cli("state", "pull", "-c", quickstart).stdout)
    (folder,) = [r for r in state["resources"] if r["address"] == "folders.mc-demo"]
    assert folder["managed"] is False  # adopted: never deleted by this tool


def _managed(cli: Run, path: Path) -> dict[str, bool]:
    state = json.loads(cli("state", "pull", "-c", path).stdout)
    return {r["address"]: r["managed"] for r in state["resources"]}


def test_objects_created_by_an_interrupted_apply_are_recorded_as_managed(
    quickstart: Path, cli: Run, tmp_path: Path
) -> None:
    import shutil

    db = Path(".reconciler") / "sandbox.db"
    probe = tmp_path / "probe"
    shutil.copytree(quickstart, probe)
    sandbox.set_faults(probe / db, crash_after_writes=10_000)
    _applied(probe, cli)
    total = int(sandbox.get_faults(probe / db).get("writes", 0))
    clean = _managed(cli, probe)
    assert any(clean.values()) and not all(clean.values())  # some created here, some adopted
    for n in range(1, total + 1):
        work = tmp_path / f"crash-{n}"
        shutil.copytree(quickstart, work)
        sandbox.set_faults(work / db, crash_after_writes=n)
        assert cli("apply", "--auto-approve", work).exit_code == 1
        sandbox.clear_faults(work / db)
        _applied(work, cli)
        assert _managed(cli, work) == clean, f"crash after write {n}"


def test_a_wrong_umapi_base_url_is_an_error_not_an_empty_listing(served: Served, tmp_path: Path, cli: Run) -> None:
    cfg = tmp_path / "qs"
    cfg.mkdir()
    text = (QUICKSTART / "main.yaml").read_text()
    for name in ("aem", "ims", "console"):
        text = text.replace(f"sandbox://{name}", served.url(name))
    text = text.replace("sandbox://umapi", f"{served.url('umapi')}/v2/usermanagment")  # one letter off
    (cfg / "main.yaml").write_text(text)
    out = cli("plan", cfg)
    assert out.exit_code == 1, out.output
    assert "group(s)" not in out.output and "will be created" not in out.output
    assert "User Management API" in out.output and "listing_failed" in out.output, out.output
    assert "check the connection's base URL" in out.output and "/v2/usermanagment" in out.output


def _delete_in_aem(quickstart: Path, path: str) -> None:
    import asyncio

    import httpx

    from reconciler.clients.aem import AemClient

    async def go() -> None:
        app = sandbox.create_app("aem", quickstart / ".reconciler" / "sandbox.db")
        client = AemClient("http://aem.test", username="admin", password="admin", transport=httpx.ASGITransport(app=app))
        try:
            await client.delete(path)
        finally:
            await client.aclose()

    asyncio.run(go())


def test_a_mac_sync_agent_deleted_by_hand_is_restored_as_aem_makes_it(quickstart: Path, cli: Run) -> None:
    _applied(quickstart, cli)
    _delete_in_aem(quickstart, "/etc/replication/agents.author/mac-sync-assets-sync")
    out = cli("plan", quickstart)
    assert out.exit_code == 0, out.output
    assert "replication_agents.mac-sync will be created: drift: deleted outside this tool" in out.output
    assert "made the way AEM makes it (serializationType=mac-sync" in out.output
    applied = cli("apply", "--auto-approve", quickstart)
    assert applied.exit_code == 0, applied.output
    assert "Health check replication_agents.mac-sync: passed" in applied.output
    again = cli("plan", "--detailed-exitcode", quickstart)
    assert again.exit_code == 0 and "No changes." in again.output, again.output


def test_renaming_a_cloud_configuration_forgets_the_agents_aem_made(quickstart: Path, cli: Run) -> None:
    _applied(quickstart, cli)
    main = quickstart / "main.yaml"
    text = main.read_text().replace("    title: Assets sync\n", "    name: assets-sync-2\n    title: Assets sync\n", 1)
    text = text.replace("name: mac-sync-assets-sync\n", "name: mac-sync-assets-sync-2\n")
    text = text.replace("name: mac-sync-assets-sync-1\n", "name: mac-sync-assets-sync-2-1\n")
    main.write_text(text)
    out = cli("plan", quickstart)
    assert out.exit_code == 0, out.output
    assert "replication_agents.mac-sync will be replaced (the old object is forgotten and left in place" in out.output
    assert "/etc/replication/agents.author/mac-sync-assets-sync was not created by this tool: it is forgotten" in out.output
    doc = json.loads(cli("plan", "-json", quickstart).stdout)  # warnings go to stderr
    agents = {c["address"]: c["actions"] for c in doc["resource_changes"] if c["kind"] == "replication_agents"}
    assert agents == {"replication_agents.mac-sync": ["forget", "create"], "replication_agents.mac-sync-1": ["forget", "create"]}
    applied = cli("apply", "--auto-approve", quickstart)
    assert applied.exit_code == 0, applied.output
    agents_now = sandbox.world_counts(quickstart / ".reconciler" / "sandbox.db")["agents"]
    assert {"mac-sync-assets-sync", "mac-sync-assets-sync-1", "mac-sync-assets-sync-2", "mac-sync-assets-sync-2-1"} <= set(agents_now)
    again = cli("plan", "--detailed-exitcode", quickstart)
    assert again.exit_code == 0 and "No changes." in again.output, again.output


def test_editing_an_applications_title_and_description_updates_the_console_project(quickstart: Path, cli: Run) -> None:
    _applied(quickstart, cli)
    main = quickstart / "main.yaml"
    text = main.read_text()
    assert "    title: AEM Assets sync\n" in text
    main.write_text(text.replace("    title: AEM Assets sync\n", "    title: AEM Assets sync (prod)\n    description: Sync\n", 1))
    out = cli("plan", quickstart)
    assert out.exit_code == 0, out.output
    assert "applications.assets-sync will be updated in place" in out.output
    assert '~ title       = "AEM Assets sync" -> "AEM Assets sync (prod)"' in out.output, out.output
    _applied(quickstart, cli)
    again = cli("plan", "--detailed-exitcode", quickstart)
    assert again.exit_code == 0 and "No changes." in again.output, again.output
    state = json.loads(cli("state", "pull", "-c", quickstart).stdout)
    (app,) = [r for r in state["resources"] if r["address"] == "applications.assets-sync"]
    assert app["attributes"]["title"] == "AEM Assets sync (prod)" and app["attributes"]["description"] == "Sync"


def _aem_post(quickstart: Path, *posts: tuple[str, list[tuple[str, str]]]) -> None:
    import asyncio

    import httpx

    from reconciler.clients.aem import AemClient

    async def go() -> None:
        app = sandbox.create_app("aem", quickstart / ".reconciler" / "sandbox.db")
        client = AemClient("http://aem.test", username="admin", password="admin", transport=httpx.ASGITransport(app=app))
        try:
            for path, params in posts:
                await client.sling_post(path, params)
        finally:
            await client.aclose()

    asyncio.run(go())


def _assets(quickstart: Path, folder: str, n: int) -> None:
    _aem_post(quickstart, *((f"{folder}/photo-{i}.jpg", [("jcr:primaryType", "dam:Asset")]) for i in range(n)))


def test_a_folder_path_change_is_a_sling_move_that_keeps_the_assets(quickstart: Path, cli: Run) -> None:
    _applied(quickstart, cli)
    _assets(quickstart, "/content/dam/mc-demo", 3)
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace("  mc-demo:\n    connection: author\n",
                                             "  mc-demo:\n    connection: author\n    path: /content/dam/campaigns/demo\n"))
    out = cli("plan", quickstart)
    assert out.exit_code == 0, out.output
    assert "folders.mc-demo will be updated in place" in out.output and "forces replacement" not in out.output.split(
        "folders.mc-demo", 1)[1].split("  # ", 1)[0]
    assert "moves /content/dam/mc-demo to /content/dam/campaigns/demo (Sling POST :operation=move)" in out.output
    _applied(quickstart, cli)
    nodes = sandbox.world_counts(quickstart / ".reconciler" / "sandbox.db")["nodes"]
    assert "/content/dam/mc-demo" not in nodes and nodes["/content/dam/campaigns"] == "sling:Folder"
    assert all(f"/content/dam/campaigns/demo/photo-{i}.jpg" in nodes for i in range(3))


def test_deleting_a_folder_with_assets_is_counted_and_refused_without_the_opt_in(quickstart: Path, cli: Run) -> None:
    main = quickstart / "main.yaml"
    text = main.read_text()
    extra = "folders:\n  extra:\n    connection: author\n"
    main.write_text(text.replace("folders:\n", extra, 1))
    _applied(quickstart, cli)
    _assets(quickstart, "/content/dam/extra", 2)
    main.write_text(text)  # folders.extra removed from the YAML
    out = cli("plan", quickstart)
    assert "deletes /content/dam/extra and its 2 assets; apply refuses it unless" in out.output, out.output
    doc = json.loads(cli("plan", "-json", quickstart).stdout)  # warnings go to stderr
    (gone,) = [c for c in doc["resource_changes"] if c["address"] == "folders.extra"]
    assert gone["actions"] == ["delete"] and gone["content_loss"] == 2 and doc["summary"]["content_loss"] == 2
    md = cli("plan", "--format", "markdown", quickstart).output
    assert "its 2 assets" in md
    refused = cli("apply", "--auto-approve", quickstart)
    assert refused.exit_code == 1 and "folders.extra: this delete destroys 2 assets" in refused.output
    assert "--allow-content-loss" in refused.output and "Destroying..." not in refused.output  # before any action
    nodes = sandbox.world_counts(quickstart / ".reconciler" / "sandbox.db")["nodes"]
    assert "/content/dam/extra/photo-0.jpg" in nodes  # nothing lost


def test_allow_content_loss_lets_apply_replace_a_folder_with_assets(quickstart: Path, cli: Run) -> None:
    main = quickstart / "main.yaml"
    text = main.read_text()
    main.write_text(text.replace("folders:\n", "folders:\n  extra:\n    connection: author\n", 1))
    _applied(quickstart, cli)
    _assets(quickstart, "/content/dam/extra", 1)
    main.write_text(text.replace("folders:\n", "folders:\n  extra:\n    connection: author\n    ordered: true\n"
                                 "    lifecycle: {allow_content_loss: true}\n", 1))
    out = cli("plan", quickstart)
    assert "deletes /content/dam/extra and its 1 asset" in out.output and "apply refuses" not in out.output, out.output
    _applied(quickstart, cli)
    nodes = sandbox.world_counts(quickstart / ".reconciler" / "sandbox.db")["nodes"]
    assert nodes["/content/dam/extra"] == "sling:OrderedFolder" and "/content/dam/extra/photo-0.jpg" not in nodes


def test_replacing_a_folder_keeps_its_known_path_in_the_shares_that_reference_it(quickstart: Path, cli: Run) -> None:
    _applied(quickstart, cli)
    out = cli("plan", "--replace", "folders.mc-demo", quickstart)
    assert out.exit_code == 0, out.output
    assert "folders.mc-demo must be REPLACED" in out.output
    assert "(known after apply)" not in out.output and "${" not in out.output, out.output
    # the shares go with the folder (deleting it stops them): replaced for that reason, not for a value
    assert "shares.mc-demo-experience-cloud must be REPLACED" in out.output
    assert "folders.mc-demo is replaced, which deletes this object with it (/content/dam/mc-demo)" in out.output


def test_replacing_a_folder_replaces_the_shares_and_subfolders_that_go_with_it(quickstart: Path, cli: Run) -> None:
    """Deleting a folder deletes its subtree: the plan says so, apply makes them again, and the next
    plan finds nothing deleted outside this tool."""
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace(
        "folders:\n", "folders:\n  inner:\n    connection: author\n    path: /content/dam/mc-demo/inner\n", 1))
    _applied(quickstart, cli)
    plan = cli("plan", "-replace=folders.mc-demo", "-json", quickstart)
    assert plan.exit_code == 0, plan.output
    actions = {c["address"]: c["actions"] for c in json.loads(plan.stdout)["resource_changes"]}
    assert actions == {
        "folders.mc-demo": ["delete", "create"],
        "folders.inner": ["delete", "create"],
        "shares.mc-demo-experience-cloud": ["delete", "create"],
        "shares.mc-demo-creative-cloud": ["delete", "create"],
    }, actions
    done = cli("apply", "-replace=folders.mc-demo", "-auto-approve", "--allow-content-loss", quickstart)
    assert done.exit_code == 0, done.output
    again = cli("plan", "-detailed-exitcode", quickstart)
    assert again.exit_code == 0 and "No changes." in again.output, again.output
    assert "deleted outside" not in again.output
    nodes = sandbox.world_counts(quickstart / ".reconciler" / "sandbox.db")["nodes"]
    assert "/content/dam/mc-demo/inner" in nodes


def test_removing_a_folder_that_holds_a_declared_folder_is_an_error(quickstart: Path, cli: Run) -> None:
    main = quickstart / "main.yaml"
    text = main.read_text()
    outer = "folders:\n  outer:\n    connection: author\n  inner:\n    connection: author\n    path: /content/dam/outer/in\n"
    main.write_text(text.replace("folders:\n", outer, 1))
    _applied(quickstart, cli)
    main.write_text(text.replace("folders:\n", "folders:\n  inner:\n    connection: author\n    path: /content/dam/outer/in\n", 1))
    out = cli("plan", quickstart)
    assert out.exit_code == 1
    assert "folders.outer is deleted (removed from the configuration), and folders.inner is inside it" in out.output
    nodes = sandbox.world_counts(quickstart / ".reconciler" / "sandbox.db")["nodes"]
    assert "/content/dam/outer/in" in nodes


def test_replacing_a_folder_keeps_the_linked_folders_that_name_its_path(tmp_path: Path, cli: Run) -> None:
    import shutil

    from tests.helpers import EXAMPLES

    work = tmp_path / "wf"
    shutil.copytree(EXAMPLES / "workfront", work, ignore=shutil.ignore_patterns(".reconciler"))
    _applied(work, cli)
    for fmt in ("text", "markdown"):
        out = cli("plan", "--replace", "folders.spring-launch", "--format", fmt, work)
        assert out.exit_code == 0, out.output
        assert "folders.spring-launch" in out.output
        assert "workfront_linked_folders.spring-launch" not in out.output, out.output  # folder path known, unchanged
        assert "(known after apply)" not in out.output and "${" not in out.output, out.output
    doc = json.loads(cli("plan", "--replace", "folders.spring-launch", "-json", work).stdout)
    assert [c["address"] for c in doc["resource_changes"]] == ["folders.spring-launch"]


def test_a_markdown_destroy_plan_never_lists_an_adopted_user_as_gone_for_good(quickstart: Path, cli: Run) -> None:
    _applied(quickstart, cli)
    md = cli("plan", "-destroy", "--format", "markdown", quickstart)
    assert md.exit_code == 0, md.output
    head = md.output.splitlines()[1]
    assert "6 to delete" in head and "5 to forget" in head, head
    caution = md.output.split("> [!CAUTION]", 1)[1].split("####", 1)[0]
    assert "is gone for good" in caution and "`folders.mc-demo`" in caution
    # neither user's account is deleted (no remove_from_org): listed with the other changes, saying so
    assert "users.dana" not in caution and "users.jane" not in caution, caution
    lose = "will lose the memberships this tool added (Marketing Cloud); the account stays"
    assert f"<code>/ users.dana</code> forget ({lose})" in md.output
    assert f"<code>/ users.jane</code> forget ({lose})" in md.output


def test_replacing_the_cloud_configuration_repairs_a_mac_sync_agent_deleted_by_hand(quickstart: Path, cli: Run) -> None:
    _applied(quickstart, cli)
    _delete_in_aem(quickstart, "/etc/replication/agents.author/mac-sync-assets-sync")
    out = cli("plan", "--replace", "cloud_configs.assets-sync", quickstart)
    assert out.exit_code == 0, out.output
    assert "replication_agents.mac-sync will be adopted: will be created by cloud_configs.assets-sync" in out.output
    applied = cli("apply", "--auto-approve", "--replace", "cloud_configs.assets-sync", quickstart)
    assert applied.exit_code == 0, applied.output
    assert "Health check replication_agents.mac-sync: passed" in applied.output
    assert "Health check replication_agents.mac-sync-1: passed" in applied.output
    agents = sandbox.world_counts(quickstart / ".reconciler" / "sandbox.db")["agents"]
    assert {"mac-sync-assets-sync", "mac-sync-assets-sync-1"} <= set(agents)
    again = cli("plan", "--detailed-exitcode", quickstart)
    assert again.exit_code == 0 and "No changes." in again.output, again.output


def test_replacing_a_cloud_configuration_keeps_its_known_path_for_the_shares(quickstart: Path, cli: Run) -> None:
    _applied(quickstart, cli)
    out = cli("plan", "-replace", "cloud_configs.assets-sync", quickstart)
    assert out.exit_code == 0, out.output
    assert "-/+ cloud_configs.assets-sync" in out.output
    assert "shares.mc-demo-experience-cloud" not in out.output  # its cloud_config path is known: unchanged
    assert "cloud_config = " not in out.output


def test_moving_a_folder_onto_an_existing_path_is_a_plan_error(quickstart: Path, cli: Run) -> None:
    """Sling's move refuses an existing destination: the plan says so, instead of a failed apply."""
    main = quickstart / "main.yaml"
    text = main.read_text()
    main.write_text(text.replace("folders:\n", "folders:\n  extra:\n    connection: author\n", 1))
    _applied(quickstart, cli)
    _aem_folder(quickstart, "/content/dam/taken")
    main.write_text(text.replace("folders:\n", "folders:\n  extra:\n    connection: author\n"
                                 "    path: /content/dam/taken\n", 1))
    out = cli("plan", quickstart)
    assert out.exit_code == 1
    assert "cannot move /content/dam/extra to /content/dam/taken: /content/dam/taken already exists" in out.output


def _aem_folder(quickstart: Path, path: str) -> None:
    from reconciler.sandbox.aem.jcr import create_node
    from reconciler.sandbox.world import World

    with World(quickstart / ".reconciler" / "sandbox.db").tx() as conn:
        create_node(conn, path, "sling:Folder")
