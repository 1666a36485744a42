"""Property: whatever a team clicked together (random folders, ordered or not, nested or not, shares
to Experience and Creative Cloud, users, replication agents, Workfront linked folders), ``plan``
on its export creates, updates, replaces, deletes and forgets nothing: it only adopts (and reads
the orgs)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import Run

from .clickops import ClickOpsWorld, Folder
from .conftest import EXPORT_ENV, clicked_config

CHANGES = ("create", "update", "replace", "delete", "forget")
NAMES = ("alpha", "beta", "gamma", "delta", "epsilon")
TITLES = (None, "Alpha", "Spring Launch", "Été 2026 / Q1", "a: b [c]")
USERS = (("jane.doe@acme.example", "Jane", "Doe"), ("omar@acme.example", "Omar", "Ali"),
         ("li.wei@acme.example", "Li", "Wei"), ("dana@acme.example", "Dana", "Designer"))
#: seeded Workfront projects (tests/helpers: the sandbox's "Spring Campaigns" and "Scale Test")
PROJECTS = ("Spring Launch", "Summer Teaser", "Autumn Preview", "Scale Project 01")


@st.composite
def worlds(draw: st.DrawFn) -> ClickOpsWorld:
    """A random click-ops world; shares and links only on plain folders (AEM refuses to share an
    ordered one), share members among the users added (and the seeded admin)."""
    tops = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True))
    folders = []
    for name in tops:
        folders.append(Folder(f"/content/dam/{name}", draw(st.sampled_from(TITLES)), draw(st.booleans())))
        if draw(st.booleans()):
            folders.append(Folder(f"/content/dam/{name}/{name}-sub", draw(st.sampled_from(TITLES)), draw(st.booleans())))
    plain = [f.path for f in folders if not f.ordered]
    users = draw(st.lists(st.sampled_from(USERS), max_size=3, unique=True))
    members = [u[0] for u in users] + ["admin@acme.example"]
    cc = {}
    for path in draw(st.lists(st.sampled_from(plain), unique=True, max_size=2)) if plain else []:
        chosen = draw(st.lists(st.sampled_from(members), min_size=1, max_size=2, unique=True))
        cc[path] = [(e, draw(st.sampled_from(("viewer", "editor", "owner")))) for e in chosen]
    links = []
    if plain:
        for project in draw(st.lists(st.sampled_from(PROJECTS), unique=True, max_size=3)):
            path = draw(st.sampled_from(plain))
            links.append((project, path, draw(st.sampled_from((path.rsplit("/", 1)[-1], f"{project} assets")))))
    return ClickOpsWorld(
        folders=folders,
        users=users,
        ec_shares=draw(st.lists(st.sampled_from(plain), unique=True, max_size=2)) if plain else [],
        cc_shares=cc,
        agents=draw(st.lists(st.sampled_from(("flush-a", "flush_b", "Backup1")), unique=True, max_size=2)),
        links=links,
        mappings=[("project:name", "wm:projectName", "documents")] if links else [],
        workfront=draw(st.booleans()) or bool(links),
    )


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=worlds())
def test_plan_after_export_only_adopts(world: ClickOpsWorld, cli: Run, tmp_path: Path) -> None:
    base = Path(tempfile.mkdtemp(dir=tmp_path))
    config = clicked_config(base / "existing", world)
    out = base / "exported"
    r = cli("export", config, "--out", out, env=EXPORT_ENV)
    assert r.exit_code == 0, r.output
    assert "The exported configuration is valid" in r.output, r.output
    r = cli("plan", out, "-json", env=EXPORT_ENV)
    assert r.exit_code == 0, r.output
    plan = json.loads(r.stdout)
    summary = plan["summary"]
    assert {k: summary.get(k, 0) for k in CHANGES} == dict.fromkeys(CHANGES, 0), [
        (c["address"], c["actions"], c["reason"]) for c in plan["resource_changes"]
        if set(c["actions"]) & set(CHANGES)
    ]
    folders = len(world.folders) + 1  # and the seeded /content/dam/we-retail
    assert sum(1 for c in plan["resource_changes"] if c["kind"] == "folders" and c["actions"] == ["adopt"]) == folders
    shares = len(world.ec_shares) + len(world.cc_shares)
    assert sum(1 for c in plan["resource_changes"] if c["kind"] == "shares") == shares
    assert sum(1 for c in plan["resource_changes"] if c["kind"] == "workfront_linked_folders") == len(world.links)
