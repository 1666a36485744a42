"""Conformance: the public Python client ``pyaem2`` (PyPI, Shine Solutions) against ``sandbox serve``.

pyaem2 2.0.1 imports ``six`` without declaring it (``from six import BytesIO`` in bagofrequests.py),
so the cached environment installs ``six`` next to it; it sends every request with pycurl, with
the credentials in the URL and no CSRF token (its user agent is curl's, which the Granite CSRF
filter does not check). Each call gets the result pyaem2 expects from AEM (its handlers map the
status codes: ``contentrepo.py``), except the calls recorded in ``NOT_EMULATED`` and
``HARDENED``, where AEM itself answers differently for the reason given.
"""

from __future__ import annotations

import textwrap

import httpx

from reconciler import sandbox
from tests.conformance._venvs import ensure_venv, run_script
from tests.helpers import Served

PINS = ["pyaem2==2.0.1", "six==1.17.0"]

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pyaem2 import PyAem2
    from pyaem2.exception import PyAem2Exception

    host, port = sys.argv[1], int(sys.argv[2])
    aem = PyAem2("admin", "admin", host, port)
    out = {}

    def call(name, fn, *args, **kwargs):
        try:
            r = fn(*args, **kwargs)
            out[name] = {"status": r.status, "message": r.message, "code": r.response["http_code"]}
        except PyAem2Exception as exc:
            out[name] = {"status": "exception", "code": exc.code, "message": str(exc.message)[:300]}

    call("login", aem.is_valid_login)
    call("bad_login", PyAem2("admin", "wrong", host, port).is_valid_login)
    call("create_path", aem.create_path, "/content/dam/pyaem2", **{"jcr:primaryType": "sling:Folder"})
    call("create_path_again", aem.create_path, "/content/dam/pyaem2")
    call("dam_folder", aem.create_path, "/content/dam/pyaem2/campaign",
         **{"jcr:primaryType": "sling:Folder", "jcr:content/jcr:title": "Campaign"})
    call("set_long", aem.set_property, "/content/dam/pyaem2", "count", "3", **{"count@TypeHint": "Long"})
    call("set_bool", aem.set_property, "/content/dam/pyaem2", "shared", "true", **{"shared@TypeHint": "Boolean"})
    call("set_multi", aem.set_property, "/content/dam/pyaem2", "tags", ["a", "b"])
    call("create_agent", aem.create_agent, "pyaem2-agent", "publish", "admin", "secret",
         "http://localhost:4503", "author")
    call("update_agent", aem.create_agent, "pyaem2-agent", "flush", None, None, "http://localhost:8080", "author")
    call("create_user", aem.create_user, "/home/users/p", "pyuser", "pw1")
    call("create_user_again", aem.create_user, "/home/users/p", "pyuser", "pw1")
    call("user_exists", aem.does_user_exist, "/home/users/p", "pyuser")
    call("user_missing", aem.does_user_exist, "/home/users/p", "nobody")
    call("create_group", aem.create_group, "/home/groups/p", "pygroup")
    call("create_group_again", aem.create_group, "/home/groups/p", "pygroup")
    call("group_exists", aem.does_group_exist, "/home/groups/p", "pygroup")
    call("add_to_group", aem.add_user_to_group, "pyuser", "/home/groups/p", "pygroup")
    call("change_password", aem.change_password, "/home/users/p", "pyuser", "pw1", "pw2")
    call("new_password_login", PyAem2("pyuser", "pw2", host, port).is_valid_login)
    call("activate", aem.activate_path, "/content/dam/pyaem2")
    call("set_permission", aem.set_permission, "pygroup", "/content/dam", "read:true")
    call("bundle_stop", aem.web_console.stop_bundle, "org.apache.sling.jcr.webdav")
    call("package_create", aem.package_manager_service_json.create_package, "g", "p", "1.0")
    call("delete_agent", aem.delete_agent, "pyaem2-agent", "author")
    call("delete_agent_again", aem.delete_agent, "pyaem2-agent", "author")
    call("delete_path", aem.delete_path, "/content/dam/pyaem2")
    call("delete_path_again", aem.delete_path, "/content/dam/pyaem2")
    print(json.dumps(out))
    """
)

HARDENED_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pyaem2 import PyAem2
    from pyaem2.exception import PyAem2Exception
    aem = PyAem2("admin", "admin", sys.argv[1], int(sys.argv[2]))
    aem.create_path("/content/dam/hardened", **{"jcr:primaryType": "sling:Folder"})
    try:
        aem.delete_path("/content/dam/hardened")
        print(json.dumps({"status": "no exception"}))
    except PyAem2Exception as exc:
        print(json.dumps({"status": "exception", "code": exc.code, "message": exc.message}))
    """
)

#: calls where the sandbox deliberately answers 501 (pyaem2 raises "Unexpected response"): AEM would
#: do the work, the sandbox does not emulate it and never fakes a success (docs/api-fidelity.md)
NOT_EMULATED = {
    "activate": "/etc/replication/treeactivation.html: tree activation (no publish instance)",
    "set_permission": "/.cqactions.html: ACL changes",
    "bundle_stop": "/system/console/bundles: the Felix web console",
    "package_create": "/crx/packmgr/service/.json: the package manager",
}


def _expect(out: dict, name: str, status: str, code: int) -> None:
    got = out[name]
    assert (got["status"], got["code"]) == (status, code), (name, got)


def test_pyaem2_scenario(served: Served) -> None:
    py = ensure_venv("pyaem2-2.0.1", PINS)
    out = run_script(py, SCRIPT, "127.0.0.1", str(served.ports["aem"]))
    _expect(out, "login", "success", 200)
    _expect(out, "bad_login", "failure", 401)
    _expect(out, "create_path", "success", 201)
    _expect(out, "create_path_again", "warning", 200)  # pyaem2: 200 = "Path ... already exists"
    _expect(out, "dam_folder", "success", 201)
    for name in ("set_long", "set_bool", "set_multi"):
        _expect(out, name, "success", 200)
    _expect(out, "create_agent", "success", 201)
    _expect(out, "update_agent", "success", 200)
    _expect(out, "create_user", "success", 201)
    _expect(out, "create_user_again", "warning", 500)  # AuthorizableExistsException, as AEM
    assert out["create_user_again"]["message"] == "User /home/users/p/pyuser already exists"
    _expect(out, "user_exists", "success", 200)
    _expect(out, "user_missing", "failure", 404)
    _expect(out, "create_group", "success", 201)
    _expect(out, "create_group_again", "warning", 500)
    _expect(out, "group_exists", "success", 200)
    _expect(out, "add_to_group", "success", 200)
    _expect(out, "change_password", "success", 200)
    _expect(out, "new_password_login", "success", 200)
    for name in NOT_EMULATED:
        _expect(out, name, "exception", 501)
        assert "not emulated by the sandbox" in out[name]["message"], out[name]
    _expect(out, "delete_agent", "success", 204)
    _expect(out, "delete_agent_again", "warning", 404)
    _expect(out, "delete_path", "success", 204)
    _expect(out, "delete_path_again", "warning", 404)

    # what AEM stored, read back over HTTP
    aem = httpx.Client(base_url=served.url("aem"), auth=("admin", "admin"), timeout=10)
    nodes = sandbox.world_counts(served.db)["nodes"]
    assert "/content/dam/pyaem2" not in nodes and "/etc/replication/treeactivation.html" not in nodes
    user = aem.get("/home/users/p/pyuser.rw.json", params={"props": "declaredMemberOf"}).json()
    assert [g["authorizableId"] for g in user["declaredMemberOf"]] == ["pygroup"]
    assert aem.get("/home/groups/p/pygroup.json").json()["jcr:primaryType"] == "rep:Group"


def test_pyaem2_scenario_types_and_folders(served: Served) -> None:
    """Type hints and the DAM folder as stored (read before pyaem2 deletes them)."""
    py = ensure_venv("pyaem2-2.0.1", PINS)
    script = SCRIPT.replace('call("delete_path", ', "# ").replace('call("delete_path_again", ', "# ")
    out = run_script(py, script, "127.0.0.1", str(served.ports["aem"]))
    assert out["set_long"]["status"] == "success"
    aem = httpx.Client(base_url=served.url("aem"), auth=("admin", "admin"), timeout=10)
    node = aem.get("/content/dam/pyaem2.1.json").json()
    assert node["jcr:primaryType"] == "sling:Folder"
    assert node["count"] == 3 and node["shared"] is True and node["tags"] == ["a", "b"]
    assert node["campaign"]["jcr:primaryType"] == "sling:Folder"
    assert aem.get("/content/dam/pyaem2/campaign/jcr:content.json").json()["jcr:title"] == "Campaign"


def test_pyaem2_delete_on_a_hardened_author(served: Served) -> None:
    """pyaem2 deletes with HTTP DELETE: a hardened author (WebDAV bundle stopped) answers 405 and
    pyaem2's ``method_not_allowed`` handler raises with the page title, as on such an AEM."""
    py = ensure_venv("pyaem2-2.0.1", PINS)
    sandbox.set_aem_hardened(served.db, True)
    out = run_script(py, HARDENED_SCRIPT, "127.0.0.1", str(served.ports["aem"]))
    assert out == {"status": "exception", "code": 405, "message": "405 Method DELETE not supported"}
