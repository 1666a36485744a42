"""examples/workfront end to end through the CLI on the embedded sandbox: plan/apply/plan, drift
repaired, a repository change replaces, and a no-op plan over 1,000 linked folders whose Workfront
request count does not grow with the number of folders."""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

import pytest

from reconciler.clients.workfront import WorkfrontClient
from reconciler.engine import make_plan
from reconciler.wiring import Workspace
from tests.helpers import EXAMPLES, WORKFRONT_SCALE_HEADER, Run, workfront_http
from tests.helpers import WORKFRONT_API as API


@pytest.fixture
def workfront_example(tmp_path: Path) -> Path:
    """A private copy of examples/workfront (its own state and sandbox world)."""
    dest = tmp_path / "workfront"
    shutil.copytree(EXAMPLES / "workfront", dest, ignore=shutil.ignore_patterns(".reconciler"))
    return dest


def planned(output: str) -> dict[str, str]:
    return dict(re.findall(r"^  # (\S+) (?:will be|must be) (\w+)", output, re.M))


def test_plan_apply_plan(workfront_example: Path, cli: Run) -> None:
    first = cli("plan", workfront_example, "--detailed-exitcode")
    assert first.exit_code == 2, first.output
    verbs = planned(first.output)
    assert verbs["workfront_integrations.aem-cloud"] == "created"
    assert verbs["workfront_linked_folders.spring-launch"] == "created"
    assert verbs["workfront_metadata_mappings.campaign-code"] == "created"
    assert "Plan: 13 to create" in first.output
    applied = cli("apply", "--auto-approve", workfront_example)
    assert applied.exit_code == 0, applied.output
    last = cli("plan", workfront_example, "--detailed-exitcode")
    assert last.exit_code == 0, last.output
    assert "No changes." in last.output

    # what Workfront now holds: three AEM-linked folders on the integration, found by the documented query
    db = workfront_example / ".reconciler" / "sandbox.db"
    with workfront_http(db) as wf:
        found = wf.get(f"{API}/documentFolder/search", params={
            "fields": "*,linkedFolder:*,project:name", "linkedFolder:externalIntegrationType": "AEM"}).json()["data"]
    assert sorted(f["project"]["name"] for f in found) == ["Autumn Preview", "Spring Launch", "Summer Teaser"]
    assert {f["linkedFolder"]["externalStorageID"] for f in found} == {
        "/content/dam/workfront/spring-launch", "/content/dam/workfront/summer-teaser",
        "/content/dam/workfront/autumn-preview"}


def test_drift_linked_folder_removed_in_workfront(workfront_example: Path, cli: Run) -> None:
    assert cli("apply", "--auto-approve", workfront_example).exit_code == 0
    db = workfront_example / ".reconciler" / "sandbox.db"
    with workfront_http(db) as wf:
        folder = wf.get(f"{API}/docfdr/search", params={"name": "Spring Launch assets"}).json()["data"][0]
        assert wf.delete(f"{API}/docfdr/{folder['ID']}").json() == {"data": {"success": True}}

    drift = cli("plan", workfront_example, "--detailed-exitcode")
    assert drift.exit_code == 2, drift.output
    assert planned(drift.output) == {"workfront_linked_folders.spring-launch": "created"}
    repaired = cli("apply", "--auto-approve", workfront_example)
    assert repaired.exit_code == 0, repaired.output
    assert "1 created" in repaired.output
    assert cli("plan", workfront_example, "--detailed-exitcode").exit_code == 0


def test_repository_change_replaces_the_integration(workfront_example: Path, cli: Run) -> None:
    assert cli("apply", "--auto-approve", workfront_example).exit_code == 0
    main = workfront_example / "main.yaml"
    main.write_text(main.read_text().replace("author-p12345-e67890", "author-p99999-e11111"))
    plan = cli("plan", workfront_example)
    verbs = planned(plan.output)
    assert verbs["workfront_integrations.aem-cloud"] == "REPLACED"
    assert "repository" in plan.output and "forces replacement" in plan.output
    assert verbs["workfront_linked_folders.spring-launch"] == "REPLACED"  # it belongs to the old integration
    assert cli("apply", "--auto-approve", workfront_example).exit_code == 0
    assert cli("plan", workfront_example, "--detailed-exitcode").exit_code == 0


def scale_config(root: Path, n: int) -> Path:
    """n linked folders spread over the 12 seeded 'Scale Project NN' projects (at most 100 each)."""
    root.mkdir(parents=True, exist_ok=True)
    lines = [*WORKFRONT_SCALE_HEADER, "workfront_linked_folders:"]
    for i in range(n):
        project = f"Scale Project {i % 12 + 1:02d}"
        lines.append(f"  f{i:04d}: {{integration: scale, name: {project}, folder: /content/dam/scale/f{i:04d}}}")
    (root / "main.yaml").write_text("\n".join(lines) + "\n")
    return root


def noop_plan_requests(root: Path) -> tuple[int, list[tuple[str, str, int]]]:
    ws = Workspace(root, environ={})
    try:
        async def go() -> tuple[int, list[tuple[str, str, int]]]:
            try:
                result = await make_plan(ws.desired, ws.state, ws.providers)
                plan = getattr(result, "plan", result)
                assert not plan.has_changes
                clients = [c for c in ws.ctx.clients() if isinstance(c, WorkfrontClient)]
                return sum(c.request_count for c in clients), [r for c in clients for r in c.request_log]
            finally:
                await ws.aclose()

        return asyncio.run(go())
    finally:
        ws.close_state()


def test_noop_plan_over_1000_linked_folders_does_not_grow(tmp_path: Path, cli: Run) -> None:
    counts = {}
    for n in (12, 1000):
        root = scale_config(tmp_path / f"n{n}", n)
        applied = cli("apply", "--auto-approve", root)
        assert applied.exit_code == 0, applied.output[-2000:]
        assert cli("plan", root, "--detailed-exitcode").exit_code == 0
        counts[n], log = noop_plan_requests(root)
        assert all(status == 200 for _, _, status in log)
        assert [p for _, p, _ in log].count("/attask/api/v21.0/DOCFDR/search") == 1  # one page of $$LIMIT 2000
    assert counts[1000] == counts[12], counts
    assert counts[1000] <= 3, counts  # integrations list + linked folders page + project name lookup


def test_a_project_name_workfront_does_not_know_stops_the_plan_with_the_names_it_has(
    workfront_example: Path, cli: Run
) -> None:
    assert cli("apply", "--auto-approve", workfront_example).exit_code == 0
    main = workfront_example / "main.yaml"
    main.write_text(main.read_text().replace("workfront_linked_folders:\n", (
        "workfront_linked_folders:\n  nope:\n    integration: aem-cloud\n    object: project\n"
        "    name: Sprng Launch\n    folder: ${folders.spring-launch.path}\n"), 1))
    out = cli("plan", workfront_example)
    assert out.exit_code == 1, out.output
    assert ("workfront_linked_folders.nope: Workfront has no project named 'Sprng Launch';"
            " did you mean Spring Launch?") in out.stderr
    assert "projects: Autumn Preview, " in out.stderr and "will be created" not in out.stdout


def test_a_project_name_is_checked_while_its_integration_is_still_to_be_made(workfront_example: Path, cli: Run) -> None:
    main = workfront_example / "main.yaml"
    main.write_text(main.read_text().replace("    name: Summer Teaser\n", "    name: Sumer Teaser\n", 1))
    out = cli("plan", workfront_example)  # the first plan: the integration is created by this apply
    assert out.exit_code == 1, out.output
    assert ("workfront_linked_folders.summer-teaser: Workfront has no project named 'Sumer Teaser';"
            " did you mean Summer Teaser?") in out.stderr
