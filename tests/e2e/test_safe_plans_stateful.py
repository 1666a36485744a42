"""A stateful property test of issue 10's invariants over the embedded sandbox: folders, users and
Creative Cloud shares.

Random sequences of configuration edits (declare, rename a key, change a path, change a field,
remove a resource, declare an object that already exists live), direct edits of the live services
(assets added, a folder or a user made outside this tool, a title changed in AEM, a membership
dropped in the Admin Console) and applies killed after a few writes (the sandbox's
``crash_after_writes`` fault), with plan/apply after each step. Checked after every step:

* no object this tool did not create is ever deleted (folders and users made outside, the seed's);
* no asset is ever lost (no run here opts in to content loss);
* what this tool created is recorded as managed, what it found is adopted, even after a crash;
* a plan's summary counts equal its listed actions, in text, JSON and Markdown;
* the plan's actions are exactly what apply then did (the plan is saved with ``-out`` and applied
  as saved; the apply's per-resource lines are compared with the plan's actions);
* after apply the next plan is "No changes"; a plan that would lose assets is refused before any
  action, naming exactly the deletions and replacements that would, and the next plan is the same.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from reconciler import sandbox
from reconciler.engine.planfile import action_signature
from tests.helpers import Run

from .test_safe_plans import _aem_post

ORG = "A1B2C3D4E5F6A7B8C9D0E1F2@AdobeOrg"
KEYS = [f"f{i}" for i in range(1, 4)]
PATHS = [f"/content/dam/p{i}" for i in range(1, 5)]
USER_KEYS = ["u1", "u2", "u3"]
EMAILS = ["e1@acme.example", "e2@acme.example", "dana@acme.example"]  # dana exists in the seed
SHARE_KEYS = ["s1", "s2"]
HEAD = """version: 1
connections:
  author:
    type: aem
    url: sandbox://aem
    username: admin
    password: ${env:AEM_PASSWORD:-admin}
  adobe:
    type: adobe
    ims_url: sandbox://ims
    console_url: sandbox://console
    umapi_url: sandbox://umapi
    client_id: 5f0c2ab1d3e94c7a8b6d1e2f3a4b5c6d
    client_secret: ${env:ADOBE_CLIENT_SECRET:-p8e-SandboxReconcilerSecret0123456789ab}
orgs:
  acme:
    connection: adobe
    ims_org_id: A1B2C3D4E5F6A7B8C9D0E1F2@AdobeOrg
"""

# the apply's per-resource "done" line (render.text.TextRenderer.event) -> the plan's action
DONE = {
    "Creation complete": "create",
    "Modifications complete": "update",
    "Replacement complete": "replace",
    "Destruction complete": "delete",
    "Adoption complete": "adopt",
    "Read complete": "read",
    "Forgotten (left in place)": "forget",
}
DONE_RE = re.compile(r"^(\S+): (" + "|".join(re.escape(k) for k in DONE) + r") after ")
FAILED_RE = re.compile(r"^(\S+): (FAILED: .*|skipped .*)$")
SYMBOLS = {"+": "create", "~": "update", "-/+": "replace", "-": "delete", "=>": "adopt", "/": "forget", "<=": "read"}
TITLE_RE = re.compile(r"^  (\+|~|-/\+|-|=>|/|<=) ([a-z_]+\.[A-Za-z0-9_-]+)(  \(.*\))?$")


def _action(change: dict[str, Any], *, shown: bool = True) -> str:
    """The change's action; ``shown``: as the text and Markdown views show it (a delete whose object
    stays, ``effect.object_kept``, is a forget there), else as the JSON summary counts it."""
    actions = change["actions"]
    if shown and actions == ["delete"] and (change.get("effect") or {}).get("object_kept"):
        return "forget"
    return "replace" if len(actions) == 2 else str(actions[0])


def _counts_of_json(doc: dict[str, Any], *, shown: bool = True) -> Counter[str]:
    counts = Counter(_action(c, shown=shown) for c in doc["resource_changes"] if c["actions"] != ["no-op"])
    counts["move"] = sum(1 for c in doc["resource_changes"] if c["previous_address"])
    return +counts


def check_counts(text: str, doc: dict[str, Any], md: str) -> None:
    """Each format's summary equals the actions it lists, and the formats agree with each other."""
    listed = _counts_of_json(doc)
    summary = {k: v for k, v in doc["summary"].items() if k in SYMBOLS.values() or k == "move"}
    assert {k: v for k, v in summary.items() if v} == dict(_counts_of_json(doc, shown=False)), (summary, listed)
    if not doc["summary"]["has_changes"]:
        assert "No changes." in text and "no changes" in md.splitlines()[1]
        return
    body = text.split("The reconciler will perform the following actions", 1)[1]  # after the drift section
    titles = Counter(SYMBOLS[m.group(1)] for m in map(TITLE_RE.match, body.splitlines()) if m)
    titles["move"] = body.count(" has moved to ")
    (line,) = [ln for ln in text.splitlines() if ln.startswith("Plan: ")]
    said = {k: int(n) for n, k in re.findall(r"(\d+) to (\w+)", line) if k != "check"}
    assert +Counter(said) == +titles == listed, (said, titles, listed)
    rows = {a: int(n) for a, n in re.findall(r"^\| \S+ \**([a-z]+)\** \| (\d+) \|$", md, re.M) if a in DONE.values()}
    # destructive actions are listed first (the CAUTION block), the others in <details> sections
    listed_md = {a: v.lower() for v, a in re.findall(r"^- \*\*(DELETE|REPLACE)\*\* `([^`]+)`", md, re.M)}
    for addr, action in re.findall(r"^<details><summary><code>\S+ ([^<]+)</code> ([a-z-]+)", md, re.M):
        if action != "no-op":
            listed_md.setdefault(addr, action)
    details = Counter(listed_md.values())
    moves = len(re.findall(r"^- 🚚 ", md, re.M))
    assert +Counter(rows) == +details == +Counter({k: v for k, v in listed.items() if k != "move"}), (rows, details)
    assert moves == listed.get("move", 0)


REFUSED_UP_FRONT = "refused: this plan destroys user content, so nothing was started:"
LOSS_LINE_RE = re.compile(r"^  (\S+): this (delete|replace) destroys (\d+) assets?$", re.M)


def check_apply_did_the_plan(doc: dict[str, Any], output: str) -> bool:
    """Every listed action was done as planned, or refused because it would lose content (and what
    waits for it skipped); nothing else was done. A plan that would lose content (no run here
    allows it) is refused before any action, naming exactly those changes: returns True then."""
    planned = {c["address"]: _action(c) for c in doc["resource_changes"] if c["actions"] != ["no-op"]}
    if not doc["summary"]["has_changes"]:
        assert planned == {} and "No changes. Nothing to apply." in output, (planned, output)
        return False
    done = {m.group(1): DONE[m.group(2)] for m in map(DONE_RE.match, output.splitlines()) if m}
    failed = {m.group(1): m.group(2) for m in map(FAILED_RE.match, output.splitlines()) if m}
    loss = {c["address"]: c for c in doc["resource_changes"] if c["content_loss"] > 0}
    if REFUSED_UP_FRONT in output:
        assert done == {} and failed == {}, (done, failed)
        named = {a: (action, int(n)) for a, action, n in LOSS_LINE_RE.findall(output)}
        assert named == {a: (_action(c), c["content_loss"]) for a, c in loss.items()}, (named, loss)
        return True
    assert not loss, loss  # content loss nothing allows never gets past the up-front refusal
    assert {a: v for a, v in planned.items() if a not in failed} == done, (planned, done, failed)
    return False


def _machine(base: Path, cli: Run) -> type[RuleBasedStateMachine]:
    class Edits(RuleBasedStateMachine):
        @initialize(folder=st.sampled_from([True, True, False]), user=st.sampled_from(["", *EMAILS]),
                    share=st.sampled_from([True, True, False]), asset=st.booleans())
        def start(self, folder: bool, user: str, share: bool, asset: bool) -> None:
            """An empty configuration, or a folder (with an asset), a user and a share of it, applied."""
            self.dir = Path(tempfile.mkdtemp(dir=base))
            self.folders: dict[str, dict[str, str]] = {}  # key -> {path, title}
            self.users: dict[str, dict[str, str]] = {}  # key -> {email, firstname}
            self.shares: dict[str, dict[str, str]] = {}  # key -> {folder, user, role}
            self.assets: set[str] = set()  # asset names ever made (unique)
            self.ours: set[str] = set()  # addresses whose object this tool created
            self.adopted: set[str] = set()
            # an apply refused up front (content loss) does nothing: the state stays as the last apply
            # that ran left it (``settled``: ours and adopted then), and a path move of an adopted
            # folder stays pending (new path -> old path); both reset by an apply that ran
            self.settled: tuple[set[str], set[str]] = (set(), set())
            self.pending_paths: dict[str, str] = {}
            self.n = 0
            self.write()
            assert cli("plan", self.dir).exit_code == 0  # the sandbox world, as the seed makes it
            self.outside_paths = {p for p in self.nodes() if p.startswith("/content/dam")}  # the seed's
            self.outside_users = set(self.live_users())
            if folder:
                self.found("folders.f1", PATHS[0], False)
                self.folders["f1"] = {"path": PATHS[0], "title": ""}
            if user:
                self.found("users.u1", f"{ORG}/{user}", user in self.live_users())
                self.users["u1"] = {"email": user, "firstname": ""}
            if folder and user and share:
                self.shares["s1"] = {"folder": "f1", "user": "u1", "role": "editor"}
            self.write()
            out = cli("apply", "--auto-approve", self.dir)
            assert out.exit_code == 0, out.output
            if folder and asset:
                self.add_one_asset(PATHS[0])

        # -- helpers ------------------------------------------------------------------------------
        def write(self) -> None:
            text = HEAD
            if self.folders:
                text += "folders:\n" + "".join(
                    f"  {k}:\n    connection: author\n    path: {f['path']}\n"
                    + (f"    title: {f['title']}\n" if f["title"] else "")
                    for k, f in self.folders.items()
                )
            if self.users:
                text += "users:\n" + "".join(
                    f"  {k}:\n    org: acme\n    email: {u['email']}\n    country: US\n"
                    + (f"    firstname: {u['firstname']}\n" if u["firstname"] else "")
                    + "    groups: [Marketing Cloud]\n"
                    for k, u in self.users.items()
                )
            if self.shares:
                text += "shares:\n" + "".join(
                    f"  {k}:\n    folder: {s['folder']}\n    target: creative_cloud\n"
                    f"    members:\n      - {{user: {s['user']}, role: {s['role']}}}\n"
                    for k, s in self.shares.items()
                )
            (self.dir / "main.yaml").write_text(text)

        def db(self) -> Path:
            return self.dir / ".reconciler" / "sandbox.db"

        def nodes(self) -> dict[str, str]:
            return sandbox.world_counts(self.db())["nodes"] if self.db().exists() else {}

        def live_users(self) -> set[str]:
            users = sandbox.umapi_snapshot(self.db())["users"]
            return {k.split("/", 1)[1] for k in users if k.startswith(ORG + "/")}

        def records(self) -> dict[str, dict[str, Any]]:
            return {r["address"]: r for r in json.loads(cli("state", "pull", "-c", self.dir).stdout)["resources"]}

        def free_keys(self, kind: str, keys: list[str]) -> list[str]:
            """``keys`` whose address is not in the state: a key removed from the YAML while apply
            refuses (content loss) is still there, and declaring it again is the same resource."""
            held = set(self.records())
            return [k for k in keys if f"{kind}.{k}" not in held]

        def found(self, address: str, remote_id: str, live: bool) -> None:
            """Whether declaring ``address`` (remote id ``remote_id``) creates or adopts it."""
            mine = any(r["remote_id"] == remote_id and r["managed"] for r in self.records().values())
            (self.ours if mine or not live else self.adopted).add(address)

        def rename(self, kind: str, old: str, new: str) -> None:
            for group in (self.ours, self.adopted):
                if f"{kind}.{old}" in group:
                    group.discard(f"{kind}.{old}")
                    group.add(f"{kind}.{new}")
            ref = {"folders": "folder", "users": "user"}.get(kind)
            for s in self.shares.values():
                if ref and s[ref] == old:
                    s[ref] = new

        def forget(self, kind: str, key: str) -> None:
            self.ours.discard(f"{kind}.{key}")
            self.adopted.discard(f"{kind}.{key}")
            ref = {"folders": "folder", "users": "user"}.get(kind)
            self.shares = {k: s for k, s in self.shares.items() if not ref or s[ref] != key}

        # -- what a rule can pick ------------------------------------------------------------------
        def free_paths(self) -> list[str]:
            used = {f["path"] for f in self.folders.values()}
            return [p for p in PATHS if p not in used]

        def live_paths(self) -> list[str]:
            nodes = self.nodes()
            return [p for p in PATHS if p in nodes]

        def tables(self) -> dict[str, tuple[list[str], dict[str, dict[str, str]]]]:
            return {"folders": (KEYS, self.folders), "users": (USER_KEYS, self.users), "shares": (SHARE_KEYS, self.shares)}

        def shareable(self) -> list[str]:
            taken = {s["folder"] for s in self.shares.values()}  # one creative_cloud share per folder
            return [k for k in self.folders if k not in taken] if self.users else []

        # -- configuration edits ------------------------------------------------------------------
        @precondition(lambda self: len(self.folders) < len(KEYS))
        @rule(data=st.data())
        def declare_folder(self, data: st.DataObject) -> None:
            keys = self.free_keys("folders", [k for k in KEYS if k not in self.folders])
            if not keys:
                return
            key = data.draw(st.sampled_from(keys))
            path = data.draw(st.sampled_from(self.free_paths()))
            self.found(f"folders.{key}", path, path in self.nodes())
            self.folders[key] = {"path": path, "title": ""}
            self.write()

        @precondition(lambda self: len(self.users) < len(USER_KEYS))
        @rule(data=st.data())
        def declare_user(self, data: st.DataObject) -> None:
            keys = self.free_keys("users", [k for k in USER_KEYS if k not in self.users])
            if not keys:
                return
            key = data.draw(st.sampled_from(keys))
            used = {u["email"] for u in self.users.values()}
            email = data.draw(st.sampled_from([e for e in EMAILS if e not in used]))
            self.found(f"users.{key}", f"{ORG}/{email}", email in self.live_users())
            self.users[key] = {"email": email, "firstname": ""}
            self.write()

        @precondition(lambda self: len(self.shares) < len(SHARE_KEYS) and bool(self.shareable()))
        @rule(data=st.data(), role=st.sampled_from(["viewer", "editor"]))
        def declare_share(self, data: st.DataObject, role: str) -> None:
            key = data.draw(st.sampled_from([k for k in SHARE_KEYS if k not in self.shares]))
            folder = data.draw(st.sampled_from(self.shareable()))
            user = data.draw(st.sampled_from(sorted(self.users)))
            self.shares[key] = {"folder": folder, "user": user, "role": role}
            self.write()

        @precondition(lambda self: bool(self.folders or self.users or self.shares))
        @rule(data=st.data())
        def rename_key(self, data: st.DataObject) -> None:
            kind = data.draw(st.sampled_from([k for k, (_, t) in self.tables().items() if t]))
            keys, table = self.tables()[kind]
            old = data.draw(st.sampled_from(sorted(table)))
            free = self.free_keys(kind, [k for k in keys if k not in table])
            if not free:
                return
            new = data.draw(st.sampled_from(free))
            table[new] = table.pop(old)
            self.rename(kind, old, new)
            self.write()

        @precondition(lambda self: bool(self.folders))
        @rule(data=st.data())
        def change_path(self, data: st.DataObject) -> None:
            key = data.draw(st.sampled_from(sorted(self.folders)))
            free = [p for p in self.free_paths() if p not in self.nodes()]
            if not free:
                return
            path = data.draw(st.sampled_from(free))
            old = self.folders[key]["path"]
            if old in self.outside_paths:  # an adopted folder is moved in AEM (Sling move), not deleted
                self.outside_paths = {p for p in self.outside_paths if p != old and not p.startswith(old + "/")}
                self.outside_paths.add(path)
                self.pending_paths[path] = old
            self.folders[key]["path"] = path
            self.write()

        @precondition(lambda self: bool(self.folders or self.users or self.shares))
        @rule(data=st.data())
        def change_field(self, data: st.DataObject) -> None:
            kind = data.draw(st.sampled_from([k for k, (_, t) in self.tables().items() if t]))
            _, table = self.tables()[kind]
            key = data.draw(st.sampled_from(sorted(table)))
            field, values = {"folders": ("title", ["", "Title A", "Title B"]), "users": ("firstname", ["", "Ann", "Bo"]),
                             "shares": ("role", ["viewer", "editor"])}[kind]
            table[key][field] = data.draw(st.sampled_from(values))
            self.write()

        @precondition(lambda self: bool(self.folders or self.users or self.shares))
        @rule(data=st.data())
        def remove(self, data: st.DataObject) -> None:
            kind = data.draw(st.sampled_from([k for k, (_, t) in self.tables().items() if t]))
            _, table = self.tables()[kind]
            key = data.draw(st.sampled_from(sorted(table)))
            del table[key]
            self.forget(kind, key)
            self.write()

        # -- edits of the live services -----------------------------------------------------------
        @precondition(lambda self: bool(self.live_paths()))
        @rule(data=st.data())
        def add_asset(self, data: st.DataObject) -> None:
            self.add_one_asset(data.draw(st.sampled_from(self.live_paths())))

        def add_one_asset(self, path: str) -> None:
            self.n += 1
            name = f"asset-{self.n}.jpg"
            _aem_post(self.dir, (f"{path}/{name}", [("jcr:primaryType", "dam:Asset")]))
            self.assets.add(name)

        @precondition(lambda self: any(p not in self.live_paths() for p in self.free_paths()))
        @rule(data=st.data())
        def make_folder_outside(self, data: st.DataObject) -> None:
            path = data.draw(st.sampled_from([p for p in self.free_paths() if p not in self.live_paths()]))
            _aem_post(self.dir, (path, [("jcr:primaryType", "sling:Folder")]))
            self.outside_paths.add(path)

        @precondition(lambda self: any(e not in self.live_users() for e in EMAILS))
        @rule(data=st.data())
        def make_user_outside(self, data: st.DataObject) -> None:
            email = data.draw(st.sampled_from([e for e in EMAILS if e not in self.live_users()]))
            sandbox.add_umapi_users(self.db(), ORG, [{"email": email, "groups": ["Marketing Cloud"]}])
            self.outside_users.add(email)

        @precondition(lambda self: bool(self.live_paths()))
        @rule(data=st.data())
        def retitle_live(self, data: st.DataObject) -> None:
            path = data.draw(st.sampled_from(self.live_paths()))
            _aem_post(self.dir, (f"{path}/jcr:content", [("jcr:title", "edited in AEM")]))

        @precondition(lambda self: bool(self.users))
        @rule(data=st.data())
        def drop_membership_live(self, data: st.DataObject) -> None:
            email = data.draw(st.sampled_from(sorted(u["email"] for u in self.users.values())))
            if email in self.live_users():
                sandbox.set_umapi_membership(self.db(), ORG, email, "Marketing Cloud", False)

        @precondition(lambda self: bool(self.folders or self.users))
        @rule(writes=st.integers(min_value=1, max_value=4))
        def crash_apply(self, writes: int) -> None:
            sandbox.set_faults(self.db(), crash_after_writes=writes)
            cli("apply", "--auto-approve", self.dir)
            sandbox.clear_faults(self.db())

        # -- after every step ---------------------------------------------------------------------
        @invariant()
        def plan_apply_plan(self) -> None:
            saved = self.dir / "step.plan"
            text = cli("plan", "-out", saved, self.dir)
            assert text.exit_code == 0, text.output
            doc = json.loads(saved.read_text())["plan"]
            md = cli("plan", "--format", "markdown", self.dir)
            assert md.exit_code == 0, md.output
            check_counts(text.output, doc, md.output)
            applied = cli("apply", saved)
            refused = check_apply_did_the_plan(doc, applied.output)
            if refused:
                assert applied.exit_code == 1, applied.output
            after = json.loads(cli("plan", "-json", self.dir).stdout)
            if refused:  # nothing was done: the same plan again
                assert action_signature(after) == action_signature(doc), (after, doc)
            else:
                left = [c for c in after["resource_changes"] if c["content_loss"] == 0]
                assert left == [], left
            self.check_nothing_lost(refused=bool(refused))
            if not refused:
                self.settled = (set(self.ours), set(self.adopted))
                self.pending_paths.clear()

        @staticmethod
        def _before(pending: dict[str, str], key: str, exists: Callable[[str], bool]) -> str:
            """``key``, or the path it had before moves not applied yet, whichever exists."""
            seen = {key}
            while not exists(key) and key in pending and pending[key] not in seen:
                key = pending[key]
                seen.add(key)
            return key

        def check_nothing_lost(self, *, refused: bool = False) -> None:
            nodes = self.nodes()
            names = {p.rsplit("/", 1)[1] for p in nodes}
            assert self.assets <= names, "an asset was lost"
            outside = {self._before(self.pending_paths, p, nodes.__contains__) for p in self.outside_paths}
            assert outside <= set(nodes), ("a folder this tool did not create was deleted", outside - set(nodes))
            assert self.outside_users <= self.live_users(), "a user this tool did not create was deleted"
            managed = {a: r["managed"] for a, r in self.records().items()}
            ours, adopted = self.settled if refused else (self.ours, self.adopted)
            for address in ours:
                assert managed.get(address) is True, (address, managed)
            for address in adopted:
                assert managed.get(address) is False, (address, managed)

    return Edits


@pytest.mark.slow
def test_random_edits_keep_the_safety_invariants(tmp_path: Path, cli: Run) -> None:
    run_state_machine_as_test(
        _machine(tmp_path, cli),
        settings=settings(max_examples=20, stateful_step_count=8, deadline=None,
                          suppress_health_check=list(HealthCheck)),
    )


def test_the_count_check_catches_a_summary_that_disagrees() -> None:
    doc = {"summary": {"create": 1, "update": 0, "replace": 0, "delete": 0, "adopt": 0, "forget": 0, "read": 0,
                       "move": 0, "has_changes": True},
           "resource_changes": [{"address": "folders.a", "actions": ["update"], "previous_address": None}]}
    with pytest.raises(AssertionError):
        check_counts("", doc, "")


def test_the_apply_check_catches_an_action_that_was_not_planned() -> None:
    doc = {"summary": {"has_changes": True},
           "resource_changes": [{"address": "folders.a", "actions": ["create"], "content_loss": 0}]}
    check_apply_did_the_plan(doc, "folders.a: Creation complete after 0.0s [id=/content/dam/a]\n")
    with pytest.raises(AssertionError):
        check_apply_did_the_plan(doc, "folders.a: Creation complete after 0.0s\nfolders.b: Destruction complete after 0.1s\n")
