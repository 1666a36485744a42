"""`state mv`, `state rm` and `apply --allow-content-loss` through the command line."""

from __future__ import annotations

from pathlib import Path

from reconciler import sandbox
from tests.e2e.test_safe_plans import _assets
from tests.helpers import Run

EXTRA = "folders:\n  extra:\n    connection: author\n"


def test_state_mv_renames_the_record_and_the_next_plan_has_no_changes(quickstart: Path, cli: Run) -> None:
    assert cli("apply", "--auto-approve", quickstart).exit_code == 0
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace("  mc-demo:\n", "  demo:\n    path: /content/dam/mc-demo\n", 1)
                    .replace("folder: mc-demo", "folder: demo"))
    moved = cli("state", "mv", "-c", quickstart, "folders.mc-demo", "folders.demo")
    assert moved.exit_code == 0, moved.output
    assert "Moved folders.mc-demo to folders.demo." in moved.output
    listed = cli("state", "list", "-c", quickstart).output.split()
    assert "folders.demo" in listed and "folders.mc-demo" not in listed
    again = cli("plan", "--detailed-exitcode", quickstart)
    assert again.exit_code == 0, again.output
    refused = cli("state", "mv", "-c", quickstart, "folders.nope", "folders.other")
    assert refused.exit_code == 1 and "folders.nope" in refused.output


def test_state_rm_forgets_without_deleting(quickstart: Path, cli: Run) -> None:
    main = quickstart / "main.yaml"
    text = main.read_text()
    main.write_text(text.replace("folders:\n", EXTRA, 1))
    assert cli("apply", "--auto-approve", quickstart).exit_code == 0
    removed = cli("state", "rm", "-c", quickstart, "folders.extra")
    assert removed.exit_code == 0, removed.output
    assert "left in place" in removed.output
    main.write_text(text)  # gone from the YAML too: nothing to delete, the folder stays
    plan = cli("plan", "--detailed-exitcode", quickstart)
    assert plan.exit_code == 0, plan.output
    nodes = sandbox.world_counts(quickstart / ".reconciler" / "sandbox.db")["nodes"]
    assert "/content/dam/extra" in nodes


def test_allow_content_loss_flag_lets_one_run_delete_a_folder_with_assets(quickstart: Path, cli: Run) -> None:
    main = quickstart / "main.yaml"
    text = main.read_text()
    main.write_text(text.replace("folders:\n", EXTRA, 1))
    assert cli("apply", "--auto-approve", quickstart).exit_code == 0
    _assets(quickstart, "/content/dam/extra", 2)
    main.write_text(text)
    refused = cli("apply", "--auto-approve", quickstart)
    assert refused.exit_code == 1 and "refused" in refused.output
    allowed = cli("apply", "--auto-approve", "--allow-content-loss", quickstart)
    assert allowed.exit_code == 0, allowed.output
    nodes = sandbox.world_counts(quickstart / ".reconciler" / "sandbox.db")["nodes"]
    assert "/content/dam/extra" not in nodes
