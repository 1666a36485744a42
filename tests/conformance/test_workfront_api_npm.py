"""Conformance: the official Workfront JavaScript client (npm ``workfront-api``), run with this
machine's Node.js, searches, counts and edits against ``reconciler sandbox serve`` on loopback.

The package is installed by the test itself into ``.cache/npm-workfront`` (gitignored), so the test
works on a fresh machine; it is skipped only when Node.js/npm are missing or the registry cannot be
reached.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT, WORKFRONT_API_KEY, Served

CACHE = ROOT / ".cache" / "npm-workfront"
PACKAGE = "workfront-api@6.2.0"

SCRIPT = r"""
const { NodeApi } = require('workfront-api');
const [url, apiKey] = process.argv.slice(2);
const api = new NodeApi({ url, version: '21.0', apiKey });
(async () => {
  const found = await api.search('project', { name: 'Spring Launch', name_Mod: 'cieq' }, ['ID', 'name', 'status', 'portfolio:name']);
  const edited = await api.edit('proj', found[0].ID, { description: 'edited by workfront-api' }, ['description']);
  const again = await api.get('PROJ', found[0].ID, ['description']);
  const count = await api.count('proj', { name: 'Scale Project', name_Mod: 'contains' });
  const viaPost = await api.search('proj', { name: 'Scale Project', name_Mod: 'contains', $$LIMIT: 5 }, ['name'], true);
  let tooMany = null;
  try { await api.search('proj', { $$LIMIT: 2001 }); } catch (e) { tooMany = e; }
  let denied = null;
  try { await new NodeApi({ url, version: '21.0', apiKey: 'wrong' }).search('proj', {}); } catch (e) { denied = e; }
  console.log(JSON.stringify({ found, edited, again, count, viaPost, tooMany, denied }));
})().catch((e) => { console.error(JSON.stringify(e)); process.exit(1); });
"""


def install_client() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("Node.js and npm are needed to run the official Workfront client")
    module = CACHE / "node_modules" / "workfront-api"
    if not (module / "package.json").exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        (CACHE / "package.json").write_text('{"name": "wf-conformance", "private": true}\n')
        try:
            done = subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", "--silent", PACKAGE],
                cwd=CACHE, capture_output=True, text=True, timeout=300,
            )
        except subprocess.TimeoutExpired:
            pytest.skip("the npm registry did not answer in time: cannot install workfront-api")
        if done.returncode != 0:
            reason = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["npm install failed"]
            if any(s in (done.stderr + done.stdout) for s in ("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ETIMEDOUT",
                                                             "network", "E404")):
                pytest.skip(f"cannot reach the npm registry to install {PACKAGE}: {reason[0]}")
            raise AssertionError(f"npm install {PACKAGE} failed: {done.stderr or done.stdout}")
    return CACHE


def test_official_js_client_searches_and_edits(served: Served) -> None:
    cache = install_client()
    (cache / "run.js").write_text(SCRIPT)
    done = subprocess.run(["node", "run.js", served.url("workfront"), WORKFRONT_API_KEY], cwd=cache,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    [found] = out["found"]
    assert found["name"] == "Spring Launch" and found["objCode"] == "PROJ" and len(found["ID"]) == 32
    assert found["portfolio"]["name"] == "Spring Campaigns"
    assert out["edited"]["description"] == "edited by workfront-api"
    assert out["again"]["description"] == "edited by workfront-api"
    assert out["count"] == 12
    assert len(out["viaPost"]) == 5
    assert out["tooMany"]["status"] == 422 and "2000" in out["tooMany"]["message"]
    assert out["denied"]["status"] == 401
