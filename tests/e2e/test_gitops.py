"""The GitOps example's own commands, run against a real PostgreSQL state (``pg_url``) and the
sandbox served over HTTP (``served``), each "runner" a fresh directory with the tool installed by
the workflow's own ``install`` step from the built wheel, so the example cannot rot."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

from ruamel.yaml import YAML

from tests.helpers import ROOT, Installed, Served
from tests.state.test_team import checkout

WORKFLOW = ROOT / "examples" / "gitops" / "reconciler.yml"


def steps_by_id() -> dict[str, str]:
    doc = YAML(typ="safe").load(WORKFLOW.read_text())
    out = {}
    for job in doc["jobs"].values():
        for step in job["steps"]:
            if "id" in step:
                out[step["id"]] = step["run"]
    return out


def run_step(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-eo", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


class Runner:
    """One fresh CI runner: its own checkout (``repo``), GITHUB_OUTPUT/GITHUB_PATH files and RUNNER_TEMP,
    the tool installed by the workflow's ``install`` step."""

    def __init__(self, base: Path, served: Served, installed: Installed, env: dict[str, str]) -> None:
        self.repo = checkout(base / "repo", served)
        self.outputs = base / "github_output"
        github_path = base / "github_path"
        runner_temp = base / "runner_temp"
        runner_temp.mkdir()
        self.env = installed.env(GITHUB_OUTPUT=str(self.outputs), GITHUB_PATH=str(github_path),
                                 RUNNER_TEMP=str(runner_temp), RECONCILER_PACKAGE=str(installed.wheel), **env)
        self.env["PATH"] = os.pathsep.join(p for p in self.env["PATH"].split(os.pathsep) if Path(p) != installed.bin)
        installing = self.step("install")
        assert installing.returncode == 0, installing.stdout + installing.stderr
        added = github_path.read_text().split()
        assert added == [str(runner_temp / "reconciler" / "bin")]
        self.env["PATH"] = os.pathsep.join([*added, self.env["PATH"]])
        assert shutil.which("reconciler", path=self.env["PATH"]) == str(runner_temp / "reconciler" / "bin" / "reconciler")

    def step(self, step_id: str) -> subprocess.CompletedProcess[str]:
        return run_step(steps_by_id()[step_id], self.repo, self.env)

    def changes(self) -> str:
        return self.outputs.read_text().strip().splitlines()[-1]


def test_workflow_steps_two_prs_on_fresh_runners_against_postgresql(
    tmp_path: Path, installed: Installed, served: Served, pg_url: str
) -> None:
    assert set(steps_by_id()) == {"install", "validate", "plan", "apply", "replan"}
    doc = YAML(typ="safe").load(WORKFLOW.read_text())
    assert doc["concurrency"]["cancel-in-progress"] is False
    assert "secrets.RECONCILER_BACKEND" in doc["env"]["RECONCILER_BACKEND"]
    assert "secrets.RECONCILER_SECRET_KEY" in doc["env"]["RECONCILER_SECRET_KEY"]
    env = {"RECONCILER_CONFIG": "infra", "RECONCILER_BACKEND": pg_url,
           "RECONCILER_SECRET_KEY": uuid.uuid4().hex, "RECONCILER_LOCK_TIMEOUT": "60s"}

    # PR 1 is planned on runner A; PR 2 (PR 1's change plus one more folder) on runner C
    pr1 = Runner(tmp_path / "a", served, installed, env)
    assert pr1.step("validate").returncode == 0
    planned = pr1.step("plan")
    assert planned.returncode == 0, planned.stderr
    assert pr1.changes() == "changes=true"
    comment = (pr1.repo / "plan.md").read_text()
    assert comment.startswith("<!-- aem-assets-reconciler plan -->") and len(comment) <= 65_535
    pr2 = Runner(tmp_path / "c", served, installed, env)
    (pr2.repo / "infra" / "second.yaml").write_text(
        "version: 1\nfolders:\n  second-pr-folder:\n    connection: author\n    title: Second PR\n"
    )
    assert pr2.step("plan").returncode == 0 and pr2.changes() == "changes=true"

    # PR 1 is merged: runner B (a fresh checkout of the merge) applies the artifact planned on A
    merge1 = Runner(tmp_path / "b", served, installed, env)
    shutil.copy(pr1.repo / "plan.json", merge1.repo / "plan.json")
    applied = merge1.step("apply")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete!" in applied.stdout
    again = merge1.step("apply")  # the same saved plan after it was applied: stale
    assert again.returncode == 1 and "stale plan" in again.stderr

    # PR 2 is merged after: its plan went stale; runner D refuses it, re-plans, then applies the re-plan
    merge2 = Runner(tmp_path / "d", served, installed, env)
    shutil.copy(pr2.repo / "infra" / "second.yaml", merge2.repo / "infra" / "second.yaml")
    shutil.copy(pr2.repo / "plan.json", merge2.repo / "plan.json")
    stale = merge2.step("apply")
    assert stale.returncode == 1 and "stale plan" in stale.stderr
    assert "Apply complete!" not in stale.stdout
    replanned = merge2.step("replan")
    assert replanned.returncode == 0, replanned.stderr
    note = (merge2.repo / "stale.md").read_text()
    assert note.startswith("<!-- aem-assets-reconciler plan -->") and "stale" in note
    assert "second-pr-folder" in note
    reapplied = merge2.step("apply")
    assert reapplied.returncode == 0, reapplied.stdout + reapplied.stderr

    merge2.outputs.write_text("")
    final = merge2.step("plan")
    assert final.returncode == 0 and merge2.changes() == "changes=false"
    assert not any((r.repo / "infra" / ".reconciler" / "state.db").exists() for r in (pr1, pr2, merge1, merge2))
