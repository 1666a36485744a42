"""The AEM emulator answers as AEM does (issue 14): Granite users and groups, known endpoints it does
not emulate (501, never a junk node), Query Builder on node types and ``p.guessTotal``, ``:nopstatus``,
the anonymous sign-in page and intermediate node types."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import sandbox
from tests.helpers import sync_client

AUTHZ = "/libs/granite/security/post/authorizables"
EXISTS = "org.apache.jackrabbit.api.security.user.AuthorizableExistsException: User or Group for '{}' already exists"


@pytest.fixture
def aem(db: Path):
    client = sync_client("aem", db)
    client.auth = ("admin", "admin")
    return client


def test_users_and_groups(aem, db: Path) -> None:
    made = aem.post(AUTHZ, data={"createUser": "", "authorizableId": "jane", "rep:password": "s3cret",
                                 "intermediatePath": "/home/users/t", "profile/givenName": "Jane"})
    assert made.status_code == 201 and made.headers["location"] == "/home/users/t/jane"
    again = aem.post(AUTHZ, data={"createUser": "", "authorizableId": "jane", "rep:password": "x"})
    assert again.status_code == 500
    assert f'<div id="Message">{EXISTS.format("jane")}</div>'.replace("'", "&#x27;") in again.text
    group = aem.post(AUTHZ, data={"createGroup": "", "authorizableId": "dam-editors", "intermediatePath": "t"})
    assert group.status_code == 201 and group.headers["location"] == "/home/groups/t/dam-editors"
    assert aem.post(AUTHZ, data={"createGroup": "", "authorizableId": "jane"}).status_code == 500  # ids are shared

    node = aem.get("/home/users/t/jane.json").json()
    assert node["jcr:primaryType"] == "rep:User" and node["rep:authorizableId"] == "jane"
    assert node["rep:password"].startswith("{") and "s3cret" not in node["rep:password"]
    assert aem.get("/home/users/t/jane/profile.json").json()["givenName"] == "Jane"
    assert aem.get("/home/groups/t/dam-editors.json").json()["jcr:primaryType"] == "rep:Group"

    # membership on <group>.rw.html: no node named "dam-editors.rw.html"
    assert aem.post("/home/groups/t/dam-editors.rw.html", data={"addMembers": "jane"}).status_code == 200
    assert aem.post("/home/groups/a/administrators.rw.html", data={"addMembers": "dam-editors"}).status_code == 200
    assert "/home/groups/t/dam-editors.rw.html" not in sandbox.world_counts(db)["nodes"]
    declared = aem.get("/home/users/t/jane.rw.json?props=declaredMemberOf,memberOf").json()
    assert [g["authorizableId"] for g in declared["declaredMemberOf"]] == ["dam-editors"]
    assert {g["authorizableId"] for g in declared["memberOf"]} == {"dam-editors", "administrators"}  # nested

    # the new user logs in; its password changes on <user>.rw.html
    jane = sync_client("aem", db)
    jane.auth = ("jane", "s3cret")
    me = jane.get("/libs/granite/security/currentuser.json?props=memberOf").json()
    assert me["authorizableId"] == "jane" and me["home"] == "/home/users/t/jane"
    assert {g["authorizableId"] for g in me["memberOf"]} == {"dam-editors", "administrators"}
    changed = aem.post("/home/users/t/jane.rw.html", data={":currentPassword": "s3cret", "rep:password": "n3w"})
    assert changed.status_code == 200
    assert jane.get("/libs/granite/security/currentuser.json").status_code == 401
    jane.auth = ("jane", "n3w")
    assert jane.get("/libs/granite/security/currentuser.json").status_code == 200
    wrong = jane.post("/home/users/t/jane.rw.html", data={":currentPassword": "bad", "rep:password": "x"})
    assert wrong.status_code == 500

    # removeMembers, then delete (membership entries go too)
    assert aem.post("/home/groups/t/dam-editors.rw.html", data={"removeMembers": "jane"}).status_code == 200
    assert aem.get("/home/users/t/jane.rw.json?props=declaredMemberOf").json()["declaredMemberOf"] == []
    assert aem.post("/home/groups/t/dam-editors.rw.html", data={"addMembers": "jane"}).status_code == 200
    gone = aem.post("/home/users/t/jane", data={"deleteAuthorizable": ""})
    assert gone.status_code == 200
    assert aem.get("/home/users/t/jane.json").status_code == 404
    assert "rep:members" not in aem.get("/home/groups/t/dam-editors.json").json()
    assert jane.get("/libs/granite/security/currentuser.json").status_code == 401
    # a plain Sling POST below /home never makes junk nodes
    assert aem.post("/home/groups/t/nobody.rw.html", data={"addMembers": "x"}).status_code == 500
    assert "/home/groups/t/nobody.rw.html" not in sandbox.world_counts(db)["nodes"]
    # the Query Builder finds users by type and id
    hits = aem.get("/bin/querybuilder.json", params={"path": "/home", "type": "rep:Group", "p.limit": "-1"}).json()
    assert {h["path"] for h in hits["hits"]} == {"/home/groups/t/dam-editors", "/home/groups/a/administrators"}


def test_admin_is_not_a_declared_member_of_administrators(aem) -> None:
    me = aem.get("/libs/granite/security/currentuser.json?props=memberOf").json()
    assert me["authorizableId"] == "admin" and me["memberOf"] == [] and me["type"] == "user"


@pytest.mark.parametrize(
    "method,path",
    [
        ("POST", "/crx/packmgr/service.jsp"),
        ("POST", "/crx/packmgr/service/.json/etc/packages/g/p.zip"),
        ("GET", "/crx/packmgr/index.jsp"),
        ("GET", "/system/console/bundles.json"),
        ("POST", "/system/console/bundles/org.apache.sling.jcr.webdav"),
        ("POST", "/etc/replication/treeactivation.html"),
        ("POST", "/libs/replication/treeactivation.html"),
        ("POST", "/bin/replicate.json"),
        ("POST", "/.cqactions.html"),
        ("POST", "/libs/granite/security/post/truststore"),
        ("GET", "/libs/granite/security/truststore.json"),
        ("GET", "/home/users/a/admin.ks.json"),
        ("POST", "/home/users/a/admin.ks.html"),
        ("GET", "/etc/packages/my_packages/p-1.0.zip"),
    ],
)
def test_known_endpoints_not_emulated_answer_501(aem, db: Path, method: str, path: str) -> None:
    before = sandbox.world_counts(db)["nodes"]
    got = aem.request(method, path, data={"cmd": "activate", "path": "/content/dam", "x": "1"} if method == "POST" else None)
    assert got.status_code == 501
    assert f"not emulated by the sandbox: {path}" in got.text
    assert sandbox.world_counts(db)["nodes"] == before


def test_query_builder_primary_type_and_guess_total(aem) -> None:
    for i in range(5):
        aem.post(f"/content/dam/f{i}", data={"jcr:primaryType": "sling:Folder"})
    q = {"path": "/content/dam", "1_property": "jcr:primaryType", "1_property.value": "sling:Folder", "p.limit": "-1"}
    body = aem.get("/bin/querybuilder.json", params=q).json()
    assert {h["path"] for h in body["hits"]} == {f"/content/dam/f{i}" for i in range(5)}
    page = aem.get("/bin/querybuilder.json", params={**q, "p.limit": "2", "p.guessTotal": "true"}).json()
    assert (page["results"], page["total"], page["more"]) == (2, 2, True)
    capped = aem.get("/bin/querybuilder.json", params={**q, "p.limit": "2", "p.guessTotal": "3"}).json()
    assert (capped["total"], capped["more"]) == (3, True)
    exact = aem.get("/bin/querybuilder.json", params={**q, "p.limit": "2"}).json()
    assert exact["total"] == 5
    bad = aem.get("/bin/querybuilder.json", params={**q, "p.guessTotal": "lots"})
    assert bad.status_code == 400


def test_nopstatus_invalid_falls_back_to_200(aem) -> None:
    assert aem.post("/content/dam", data={":operation": "nop", ":nopstatus": "abc"}).status_code == 200
    assert aem.post("/content/dam", data={":operation": "nop", ":nopstatus": "1000"}).status_code == 200
    assert aem.post("/content/dam", data={":operation": "nop", ":nopstatus": "202"}).status_code == 202


def test_login_page_served_to_anonymous(db: Path) -> None:
    anonymous = sync_client("aem", db)
    page = anonymous.get("/libs/granite/core/content/login.html")
    assert page.status_code == 200 and "j_username" in page.text
    anonymous.auth = ("admin", "wrong")
    assert anonymous.get("/libs/granite/core/content/login.html").status_code == 401


def test_intermediate_nodes_take_the_parent_types_default(aem, db: Path) -> None:
    made = aem.post("/content/dam/campaigns/2023", data={"jcr:primaryType": "sling:Folder"})
    assert made.status_code == 201
    nodes = sandbox.world_counts(db)["nodes"]
    assert nodes["/content/dam/campaigns"] == "sling:OrderedFolder"  # /content/dam is ordered
    assert nodes["/content/dam/campaigns/2023"] == "sling:Folder"
    aem.post("/content/dam/campaigns/2023/a/b", data={"x": "1"})
    nodes = sandbox.world_counts(db)["nodes"]
    assert nodes["/content/dam/campaigns/2023/a"] == "sling:Folder"
    aem.post("/content/misc/x/y", data={"jcr:primaryType": "nt:unstructured"})
    aem.post("/content/misc/x/y/z", data={"k": "v"})
    nodes = sandbox.world_counts(db)["nodes"]
    assert nodes["/content/misc"] == "sling:Folder" and nodes["/content/misc/x/y/z"] == "nt:unstructured"
    aem.post("/content/dam/campaigns/2023", data={"jcr:content/jcr:title": "2023"})
    assert sandbox.world_counts(db)["nodes"]["/content/dam/campaigns/2023/jcr:content"] == "nt:unstructured"
