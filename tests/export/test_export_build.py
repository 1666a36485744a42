"""The export's pure parts: names, filters, the builders on hand-made snapshots, the connections
block (secrets), and the files (modeline, comments, what may be overwritten)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config.connections import AdobeConnection, AemConnection
from reconciler.export import build_adobe as ba
from reconciler.export import build_aem as bm
from reconciler.export.connections import export_connections, secret_fields
from reconciler.export.context import BuildContext, Filters, exclude_problem
from reconciler.export.model import Entry, Export, Namer, slug
from reconciler.export.read import AdobeSnapshot, AemSnapshot
from reconciler.export.write import (
    MARKER,
    MODELINE,
    OutFile,
    OutputExists,
    Shrink,
    first_few,
    render_kind,
    write_files,
)

ORG = "A1B2C3D4E5F6A7B8C9D0E1F2@AdobeOrg"
CONNS = {
    "author": AemConnection.model_validate({"type": "aem", "url": "sandbox://aem", "username": "admin",
                                            "password": "admin"}),
    "adobe": AdobeConnection.model_validate({"type": "adobe", "client_id": "5f0c2ab1d3e94c7a8b6d1e2f3a4b5c6d",
                                             "client_secret": "p8e-x"}),
}


def ctx(kinds: frozenset[str] = frozenset(), exclude: tuple[str, ...] = ()) -> BuildContext:
    return BuildContext(Filters(kinds, None, exclude), CONNS)


def test_slug_and_unique_names() -> None:
    assert slug("Spring Launch / Q1") == "spring-launch-q1"
    assert slug("Été 2026") == "ete-2026"
    assert slug("///", "folder") == "folder"
    names = Namer()
    assert [names.take("folders", "a"), names.take("folders", "a"), names.take("folders", "a")] == ["a", "a-2", "a-3"]
    assert names.take("users", "a") == "a"  # per kind


def test_filters() -> None:
    f = Filters(frozenset({"folders"}), "/content/dam/campaigns", ("folders.tmp-*",))
    assert f.wants("folders") and not f.wants("shares")
    assert f.takes_path("/content/dam/campaigns") and f.takes_path("/content/dam/campaigns/2026")
    assert not f.takes_path("/content/dam/campaigns-old")
    assert f.excludes("folders.tmp-1") and not f.excludes("folders.keep")


def _aem() -> AemSnapshot:
    snap = AemSnapshot("author", "/etc/cloudservices/marketingcloud")
    snap.configs = {"acme": {"jcr:title": "Acme", "tenantURL": "https://acme.experiencecloud.adobe.com",
                             "clientId": "p8e-ThisIsTheSecretNotTheId0123456789", "syncEnabled": True}}
    snap.agents = {
        "mac-sync-acme": {"enabled": "true", "macConfig": "/etc/cloudservices/marketingcloud/acme"},
        "mac-sync-other": {"enabled": "true", "macConfig": "/etc/cloudservices/marketingcloud/acme"},
        "publish": {"enabled": "false", "transportPassword": "{abc}", "logLevel": "warn", "retryDelay": "soon"},
    }
    snap.folders = [
        {"jcr:path": "/content/dam/a", "jcr:primaryType": "sling:Folder", "jcr:content": {"jcr:title": "A"}},
        {"jcr:path": "/content/dam/tmp", "jcr:primaryType": "sling:OrderedFolder"},
    ]
    snap.shares = [{"path": "/content/dam/tmp", "target": "creative_cloud", "members": [{"email": "x@y.example",
                                                                                           "role": "viewer"}]}]
    return snap


def test_cloud_config_with_a_secret_as_client_id_exports_a_variable() -> None:
    bc = ctx()
    bm.build_cloud_configs(bc, [_aem()])
    entry = bc.out.kinds["cloud_configs"]["acme"]
    assert entry.data["client_id"] == "${env:CLOUD_CONFIG_ACME_CLIENT_ID}"
    assert "p8e-" not in repr(entry) and "CLOUD_CONFIG_ACME_CLIENT_ID" in bc.out.env


def test_agents_created_by_only_under_the_names_aem_gives() -> None:
    bc = ctx()
    bm.build_cloud_configs(bc, [_aem()])
    bm.build_agents(bc, [_aem()])
    agents = bc.out.kinds["replication_agents"]
    assert agents["mac-sync-acme"].data["created_by"] == "acme"
    assert "created_by" not in agents["mac-sync-other"].data
    publish = agents["publish"]
    assert publish.data == {"connection": "author", "enabled": False}
    assert any(line.startswith("transport_password: ${env:AUTHOR_PUBLISH_TRANSPORT_PASSWORD}")
               for line in publish.commented)
    assert any("log_level: warn" in line for line in publish.commented)
    assert "AUTHOR_PUBLISH_TRANSPORT_PASSWORD" in bc.out.optional_env
    assert "AUTHOR_PUBLISH_TRANSPORT_PASSWORD" not in bc.out.env


def test_filters_leave_out_and_dependents_are_skipped() -> None:
    bc = ctx(exclude=("folders.tmp",))
    bm.build_folders(bc, [_aem()])
    bm.build_shares(bc, [_aem()])
    assert list(bc.out.kinds["folders"]) == ["a"] and bc.out.filtered == {"folders": 1}
    assert bc.out.skipped["shares"] == ["the share of /content/dam/tmp to creative_cloud: its folder is not exported"]
    only = ctx(kinds=frozenset({"shares"}))
    bm.build_folders(only, [_aem()])
    bm.build_shares(only, [_aem()])
    assert "folders" not in only.out.kinds and "its folder is not exported" in only.out.skipped["shares"][0]


def test_users_of_marketing_cloud_and_share_members() -> None:
    snap = AdobeSnapshot("adobe", orgs=[{"id": "1", "code": ORG, "name": "Acme Corp", "role": "ADMIN"}])
    snap.groups[ORG] = [{"groupName": "Marketing Cloud", "type": "PRODUCT_PROFILE"},
                        {"groupName": "Other", "type": "USER_GROUP"}]
    snap.users[ORG] = [
        {"email": "Ada@acme.example", "type": "federatedID", "firstname": "Ada", "groups": ["Marketing Cloud",
                                                                                              "_org_admin"]},
        {"email": "bo@acme.example", "type": "adobeID", "firstname": "Bo", "groups": ["Other"]},
        {"email": "cy@acme.example", "type": "enterpriseID", "groups": []},
    ]
    bc = ctx()
    ba.build_orgs(bc, [snap])
    ba.build_users(bc, [snap], {"bo@acme.example"})
    users = bc.out.kinds["users"]
    assert list(users) == ["ada", "bo"]
    assert users["ada"].data == {"org": "acme-corp", "email": "ada@acme.example", "type": "federated_id",
                                 "firstname": "Ada", "groups": ["Marketing Cloud"]}
    assert "_org_admin left out" in users["ada"].notes["groups"]
    assert "firstname" not in users["bo"].data  # an Adobe ID's names are not managed


def test_connections_never_export_a_secret(tmp_path: Path) -> None:
    src = tmp_path / "main.yaml"
    src.write_text(
        "version: 1\nconnections:\n"
        "  author: {type: aem, url: sandbox://aem, username: admin, password: hunter2}\n"
        "  adobe: {type: adobe, client_id: 5f0c2ab1d3e94c7a8b6d1e2f3a4b5c6d,"
        " client_secret: '${env:MY_SECRET:-p8e-default}', scopes: [openid]}\n"
        "  wf: {type: workfront, url: sandbox://workfront, auth: api_key, api_key: '${file:key.txt}'}\n"
    )
    out = Export()
    entries = export_connections(out, [src], {"adobe": None, "author": None, "wf": None})
    assert entries["author"].data["password"] == "${env:AUTHOR_PASSWORD}"
    assert entries["adobe"].data["client_secret"] == "${env:MY_SECRET}"
    assert entries["adobe"].data["scopes"] == ["openid"]
    assert entries["wf"].data["api_key"] == "${file:" + str(tmp_path / "key.txt") + "}"
    assert set(out.env) == {"AUTHOR_PASSWORD", "MY_SECRET"}
    assert "hunter2" not in repr(entries) and "p8e-default" not in repr(entries)
    assert secret_fields("aem") == ["password", "token"]


def test_rendered_file_and_overwrite_rules(tmp_path: Path) -> None:
    entry = Entry({"connection": "author", "scopes": ["a", "b"]}, notes={"scopes": "why"}, header=["above"],
                  commented=["secret: ${env:X}  # uncomment"])
    text = render_kind("folders", {"f": entry}, ["1 folders."])
    lines = text.splitlines()
    assert lines[0] == MODELINE and MARKER in lines[:4]
    assert "  # above" in lines and "    # secret: ${env:X}  # uncomment" in lines
    assert "    scopes: [a, b]  # why" in lines
    f = OutFile("folders", text, ("f",))
    u = OutFile("users", text.replace("folders:", "users:"), ("f",))
    write_files(tmp_path, {"folders.yaml": f, "users.yaml": u}, "{}")
    done = write_files(tmp_path, {"folders.yaml": f}, "{}")  # a re-export drops the kinds it no longer writes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folders.yaml", "reconciler.schema.json"]
    assert done.removed == ["users.yaml"] and done.unchanged == ["folders.yaml"]
    assert done.shrunk == [Shrink("users.yaml", "users", ("f",), 0, ("f",))]
    # a filtered export leaves the sections it does not cover alone ...
    write_files(tmp_path, {"folders.yaml": f, "users.yaml": u}, "{}")
    done = write_files(tmp_path, {}, "{}", covers=lambda s: s == "folders", narrowing="--kind folders", force=True)
    assert done.kept == ["users.yaml"] and done.removed == ["folders.yaml"] and (tmp_path / "users.yaml").exists()
    # ... even when a builder noted something skipped for such a section (its file is never written)
    empty = OutFile("users", render_kind("users", {}, ["0 users."]), ())
    done = write_files(tmp_path, {"folders.yaml": f, "users.yaml": empty}, "{}", covers=lambda s: s == "folders",
                       narrowing="--kind folders")
    assert done.kept == ["users.yaml"] and (tmp_path / "users.yaml").read_text() == u.text
    # ... and refuses to drop resources of one it covers (nothing written), unless force
    write_files(tmp_path, {"folders.yaml": f}, "{}", covers=lambda s: s == "folders")
    g = OutFile("folders", render_kind("folders", {"g": entry}, ["1 folders."]), ("g",))
    with pytest.raises(OutputExists, match=r"folders\.yaml holds 1 folders .* would write 1 of them.*\(folders\.f\)"):
        write_files(tmp_path, {"folders.yaml": g}, "{}", narrowing="--exclude 'folders.f'")
    assert (tmp_path / "folders.yaml").read_text() == text
    done = write_files(tmp_path, {"folders.yaml": g}, "{}", narrowing="--exclude 'folders.f'", force=True)
    assert done.replaced == ["folders.yaml"] and done.shrunk[0].dropped == ("f",)
    (tmp_path / "hand.yaml").write_text("version: 1\n")
    with pytest.raises(OutputExists, match=r"hand\.yaml"):
        write_files(tmp_path, {"folders.yaml": f}, "{}")
    write_files(tmp_path, {"folders.yaml": f}, "{}", force=True)
    assert (tmp_path / "hand.yaml").exists()
    assert first_few(["a", "b", "c"], 2) == "a, b and 1 more" and first_few(["a"]) == "a"


def test_exclude_forms() -> None:
    from reconciler.export.command import KIND_CHOICES

    assert exclude_problem("folders.tmp-*", KIND_CHOICES) is None
    assert exclude_problem("*.tmp-*", KIND_CHOICES) is None
    assert exclude_problem("workfront_*.x", KIND_CHOICES) is None
    assert "has no kind" in (exclude_problem("tmp-*", KIND_CHOICES) or "")
    assert "has no kind" in (exclude_problem(".tmp-*", KIND_CHOICES) or "")
    assert "did you mean 'folders.tmp-*'?" in (exclude_problem("folder.tmp-*", KIND_CHOICES) or "")
    assert "kinds: orgs, " in (exclude_problem("zzzz.a", KIND_CHOICES) or "")


def test_the_command_offers_every_kind() -> None:
    from reconciler.export.command import KIND_CHOICES
    from reconciler.kinds import REGISTRY

    assert list(KIND_CHOICES) == list(REGISTRY)
