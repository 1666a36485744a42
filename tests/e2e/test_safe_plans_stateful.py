"""A stateful property test of issue 10's invariants over the embedded sandbox (folders only).

Random sequences of configuration edits (declare, rename a key, change a path, remove), direct edits
of the live service (assets added, a folder made outside this tool, then declared) and applies killed
after a few writes, with plan/apply after each step. Checked after every step: no asset is ever lost
(no run here opts in to content loss); what this tool created is recorded as managed, even after a
crash; a plan's JSON summary counts equal its listed actions; after apply, the next plan is "No
changes" except for the deletions apply refused to make because they would lose assets.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path

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
from tests.helpers import Run

from .test_safe_plans import _aem_post, _managed

KEYS = [f"f{i}" for i in range(1, 5)]
PATHS = [f"/content/dam/p{i}" for i in range(1, 5)]
HEAD = """version: 1
connections:
  author:
    type: aem
    url: sandbox://aem
    username: admin
    password: ${env:AEM_PASSWORD:-admin}
"""


def _machine(base: Path, cli: Run) -> type[RuleBasedStateMachine]:
    class Edits(RuleBasedStateMachine):
        @initialize()
        def start(self) -> None:
            self.dir = Path(tempfile.mkdtemp(dir=base))
            self.declared: dict[str, str] = {}  # key -> path
            self.assets: set[str] = set()  # asset names ever made (unique)
            self.ours: set[str] = set()  # keys whose folder this tool created
            self.adopted: set[str] = set()
            self.n = 0
            self.write()
            assert cli("apply", "--auto-approve", self.dir).exit_code == 0

        def write(self) -> None:
            body = "".join(f"  {k}:\n    connection: author\n    path: {p}\n" for k, p in self.declared.items())
            (self.dir / "main.yaml").write_text(HEAD + ("folders:\n" + body if body else ""))

        def db(self) -> Path:
            return self.dir / ".reconciler" / "sandbox.db"

        def nodes(self) -> dict[str, str]:
            return sandbox.world_counts(self.db())["nodes"] if self.db().exists() else {}

        @rule(key=st.sampled_from(KEYS), path=st.sampled_from(PATHS))
        def declare(self, key: str, path: str) -> None:
            if key in self.declared or path in self.declared.values():
                return
            records = json.loads(cli("state", "pull", "-c", self.dir).output)["resources"]
            ours = path not in self.nodes() or any(r["remote_id"] == path and r["managed"] for r in records)
            self.declared[key] = path
            (self.ours if ours else self.adopted).add(key)
            self.write()

        @rule(old=st.sampled_from(KEYS), new=st.sampled_from(KEYS))
        def rename_key(self, old: str, new: str) -> None:
            if old not in self.declared or new in self.declared:
                return
            self.declared[new] = self.declared.pop(old)
            for group in (self.ours, self.adopted):
                if old in group:
                    group.discard(old)
                    group.add(new)
            self.write()

        @rule(key=st.sampled_from(KEYS), path=st.sampled_from(PATHS))
        def change_path(self, key: str, path: str) -> None:
            if key not in self.declared or path in self.declared.values() or path in self.nodes():
                return
            self.declared[key] = path
            self.write()

        @rule(key=st.sampled_from(KEYS))
        def remove(self, key: str) -> None:
            if self.declared.pop(key, None) is not None:
                self.ours.discard(key)
                self.adopted.discard(key)
                self.write()

        @rule(path=st.sampled_from(PATHS))
        def add_asset(self, path: str) -> None:
            if path not in self.nodes():
                return
            self.n += 1
            name = f"asset-{self.n}.jpg"
            _aem_post(self.dir, (f"{path}/{name}", [("jcr:primaryType", "dam:Asset")]))
            self.assets.add(name)

        @rule(path=st.sampled_from(PATHS))
        def make_outside(self, path: str) -> None:
            if path in self.nodes() or path in self.declared.values():
                return
            _aem_post(self.dir, (path, [("jcr:primaryType", "sling:Folder")]))

        @precondition(lambda self: bool(self.declared))
        @rule(writes=st.integers(min_value=1, max_value=3))
        def crash_apply(self, writes: int) -> None:
            sandbox.set_faults(self.db(), crash_after_writes=writes)
            cli("apply", "--auto-approve", self.dir)
            sandbox.clear_faults(self.db())

        @invariant()
        def plan_apply_plan(self) -> None:
            doc = json.loads(cli("plan", "-json", self.dir).output)
            counts = Counter(c["actions"][0] if len(c["actions"]) == 1 else "replace" for c in doc["resource_changes"])
            for action, n in counts.items():
                if action != "no-op":
                    assert doc["summary"][action] == n, (action, doc["summary"])
            cli("apply", "--auto-approve", self.dir)
            after = json.loads(cli("plan", "-json", self.dir).output)
            left = [c for c in after["resource_changes"] if c["content_loss"] == 0]
            assert left == [], left
            nodes = self.nodes()
            names = {p.rsplit("/", 1)[1] for p in nodes}
            assert self.assets <= names, "an asset was lost"
            managed = _managed(cli, self.dir)
            for key in self.ours:
                assert managed.get(f"folders.{key}") is True, (key, managed)
            for key in self.adopted:
                assert managed.get(f"folders.{key}") is False, (key, managed)

    return Edits


@pytest.mark.slow
def test_random_edits_keep_the_safety_invariants(tmp_path: Path, cli: Run) -> None:
    run_state_machine_as_test(
        _machine(tmp_path, cli),
        settings=settings(max_examples=25, stateful_step_count=12, deadline=None,
                          suppress_health_check=list(HealthCheck)),
    )
