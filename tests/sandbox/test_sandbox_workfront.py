"""The Workfront emulator's protocol (docs/api-fidelity.md "Workfront"); the client on it is in
tests/clients/test_clients_workfront.py."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import WORKFRONT_API as API
from tests.helpers import WORKFRONT_API_KEY as API_KEY
from tests.helpers import workfront_http


def test_envelopes_auth_and_versions(db: Path) -> None:
    with workfront_http(db) as wf:
        ok = wf.get(f"{API}/proj/search", params={"name": "Spring Launch"})
        assert ok.status_code == 200 and ok.json()["data"][0]["name"] == "Spring Launch"
        missing = wf.get(f"{API}/proj/{'0' * 32}")
        assert missing.status_code == 404 and missing.json()["error"]["class"].endswith("NotFoundException")
        assert wf.get(f"{API}/proj/search", headers={"apiKey": "nope"}).status_code == 401
        del wf.headers["apiKey"]
        assert wf.get(f"{API}/proj/search").json()["error"]["message"] == "You are not currently logged in"
        assert wf.get(f"{API}/proj/search", params={"apiKey": API_KEY}).status_code == 200  # key as a parameter
        assert wf.get("/attask/api/v15.0/proj/search", params={"apiKey": API_KEY}).status_code == 410
        assert wf.get("/attask/api-internal/project/search", params={"apiKey": API_KEY}).status_code == 200
        linked = wf.get(f"{API}/lnkfdr/search", params={"apiKey": API_KEY})
        assert linked.status_code == 400  # secondary object: only through DOCFDR.linkedFolder


def test_method_override_updates_forms_and_fields(db: Path) -> None:
    with workfront_http(db) as wf:
        proj = wf.get(f"{API}/PROJECT/search", params={"name": "Summer Teaser"}).json()["data"][0]
        # GET + method=PUT + updates in the query string (workfrontapi-plus style)
        r = wf.get(f"{API}/proj/{proj['ID']}", params={"method": "PUT", "updates": json.dumps({"DE:Region": "EMEA"}),
                                                      "fields": "parameterValues"})
        assert r.json()["data"]["parameterValues"] == {"DE:Region": "EMEA"}
        # POST + form body with method=PUT and updates as a form field (python-workfront style)
        r = wf.post(f"{API}/proj/{proj['ID']}", data={"method": "PUT", "updates": json.dumps({"description": "form"})})
        assert r.json()["data"]["ID"] == proj["ID"]
        # PUT with a raw JSON body, fields as a JSON array
        r = wf.put(f"{API}/proj/{proj['ID']}", params={"fields": '["description","DE:Region"]'}, json={"priority": 3})
        assert r.json()["data"]["description"] == "form" and r.json()["data"]["DE:Region"] == "EMEA"
        # filters with modifiers, repeated keys for in
        names = wf.get(f"{API}/proj/search", params=[("name", "Spring Launch"), ("name", "summer teaser"),
                                                     ("name_Mod", "ciin")]).json()["data"]
        assert sorted(p["name"] for p in names) == ["Spring Launch", "Summer Teaser"]
        assert wf.get(f"{API}/proj/count", params={"name": "Scale%", "name_Mod": "like"}).json() == {"data": {"count": 12}}
        # DELETE via method override on GET
        folder = wf.post(f"{API}/docfdr", json={"name": "tmp", "projectID": proj["ID"]}).json()["data"]
        assert wf.get(f"{API}/docfdr/{folder['ID']}", params={"method": "delete"}).json() == {"data": {"success": True}}


def test_paging_limits_and_batch(db: Path) -> None:
    with workfront_http(db) as wf:
        for i in range(110):
            wf.post(f"{API}/docfdr", params={"updates": json.dumps({"name": f"folder {i:03d}"})})
        assert len(wf.get(f"{API}/docfdr/search").json()["data"]) == 100  # default $$LIMIT
        page = wf.get(f"{API}/docfdr/search", params={"$$FIRST": 100, "$$LIMIT": 50, "ID_Sort": "asc"}).json()["data"]
        assert len(page) == 10
        too_many = wf.get(f"{API}/docfdr/search", params={"$$LIMIT": 2001})
        assert too_many.status_code == 422 and "IllegalArgumentException" in too_many.json()["error"]["class"]
        body = "atomic=false&uri=%2Fproj%2Fcount%3Fname%3DSpring%2520Launch&uri=port%2Fsearch%3Ffields%3Dname%26name%3DScale%2520Test"
        got = wf.post(f"{API}/batch", content=body,
                      headers={"Content-Type": "application/x-www-form-urlencoded"}).json()["data"]
        assert got[0]["data"] == {"count": 1} and got[1]["data"][0]["name"] == "Scale Test"


def test_too_many_concurrent_requests_is_429(db: Path) -> None:
    with workfront_http(db) as wf:
        wf.app.state.workfront_gate.current = wf.app.state.workfront_gate.limit  # type: ignore[attr-defined]
        r = wf.get(f"{API}/proj/search")
        assert r.status_code == 429 and "Too many concurrent API requests" in r.json()["error"]["message"]
