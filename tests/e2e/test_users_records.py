"""What the state records of users created through the CLI hold, and what the plan shows of them:
the id the User Management API reports (read back, as the ``/action`` answer has none), the
country (shown on create, kept in state), and a rename of a resource (a move) said as one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.helpers import ORG, Run


def _sandbox_id(root: Path, email: str) -> str:
    with sqlite3.connect(root / ".reconciler" / "sandbox.db") as conn:
        (user_id,) = conn.execute("SELECT id FROM umapi_users WHERE org=? AND email=?", (ORG, email)).fetchone()
    return str(user_id)


def test_a_created_user_records_the_id_the_service_reports(quickstart: Path, cli: Run) -> None:
    plan = cli("plan", quickstart)
    assert plan.exit_code == 0, plan.output
    jane = plan.output.split("# users.jane will be created", 1)[1].split("\n\n", 1)[0]
    assert '      + country         = "US"' in jane, jane  # sent on create: shown
    assert "country US is set at creation only: the User Management API cannot change it later" in jane
    assert cli("apply", "-auto-approve", quickstart).exit_code == 0
    out = cli("output", "-c", quickstart, "users.jane.user_id")
    assert out.exit_code == 0, out.output
    assert out.stdout.strip() == _sandbox_id(quickstart, "jane.doe@acme.example") != ""
    shown = cli("state", "show", "-c", quickstart, "users.jane").output
    assert 'country                = "US"' in shown, shown
    dana = cli("output", "-c", quickstart, "users.dana.user_id").stdout.strip()  # adopted: as before
    assert dana == _sandbox_id(quickstart, "dana@acme.example") != ""
    assert "No changes." in cli("plan", quickstart).output  # the country attribute plans nothing


def test_a_rename_only_plan_names_the_move_and_applies_as_moved(quickstart: Path, cli: Run) -> None:
    assert cli("apply", "-auto-approve", quickstart).exit_code == 0
    main = quickstart / "main.yaml"
    text = main.read_text().replace("  mc-demo:\n    connection: author\n",
                                    "  demo:\n    connection: author\n    path: /content/dam/mc-demo\n")
    main.write_text(text.replace("    folder: mc-demo\n", "    folder: demo\n"))
    plan = cli("plan", quickstart)
    assert plan.output.startswith("Symbols: -> move (the state record is renamed; no API call).\n"), plan.output
    assert "  -> folders.demo  (author:/content/dam/mc-demo)" in plan.output
    done = cli("apply", "-auto-approve", quickstart)
    assert done.exit_code == 0, done.output
    assert "Working..." not in done.output and "Done after" not in done.output, done.output
    assert "folders.demo: Moved from folders.mc-demo (the state record is renamed; no API call)" in done.output
    assert "Apply complete! 1 moved." in done.output
