"""The GitOps example's own commands, run against the sandbox, so the example cannot rot."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from ruamel.yaml import YAML

from tests.helpers import QUICKSTART, ROOT, Installed

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


def test_workflow_steps_plan_comment_and_apply_the_saved_plan(tmp_path: Path, installed: Installed) -> None:
    steps = steps_by_id()
    assert set(steps) == {"install", "validate", "plan", "apply"}
    repo = tmp_path / "repo"
    shutil.copytree(QUICKSTART, repo / "infra", ignore=shutil.ignore_patterns(".reconciler"))
    outputs = tmp_path / "github_output"
    github_path = tmp_path / "github_path"
    runner_temp = tmp_path / "runner_temp"
    runner_temp.mkdir()
    env = installed.env(RECONCILER_CONFIG="infra", GITHUB_OUTPUT=str(outputs), GITHUB_PATH=str(github_path),
                        RUNNER_TEMP=str(runner_temp), RECONCILER_PACKAGE=str(installed.wheel))
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if Path(p) != installed.bin)

    # the workflow's own install step: a fresh virtual environment from the built wheel, put on PATH
    installing = run_step(steps["install"], repo, env)
    assert installing.returncode == 0, installing.stdout + installing.stderr
    added = github_path.read_text().split()
    assert added == [str(runner_temp / "reconciler" / "bin")]
    assert (runner_temp / "reconciler" / "bin" / "reconciler").exists()
    env["PATH"] = os.pathsep.join([*added, env["PATH"]])
    assert shutil.which("reconciler", path=env["PATH"]) == str(runner_temp / "reconciler" / "bin" / "reconciler")

    assert run_step(steps["validate"], repo, env).returncode == 0
    planned = run_step(steps["plan"], repo, env)
    assert planned.returncode == 0, planned.stderr
    assert outputs.read_text().strip().endswith("changes=true")
    comment = (repo / "plan.md").read_text()
    assert comment.startswith("<!-- aem-assets-reconciler plan -->") and len(comment) <= 65_535
    assert (repo / "plan.json").exists()

    applied = run_step(steps["apply"], repo, env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete!" in applied.stdout

    again = run_step(steps["apply"], repo, env)  # the same saved plan after it was applied: stale
    assert again.returncode == 1 and "stale plan" in again.stderr

    outputs.write_text("")
    replanned = run_step(steps["plan"], repo, env)
    assert replanned.returncode == 0 and outputs.read_text().strip() == "changes=false"
