"""`show PLANFILE` prints what `plan -out PLANFILE` printed: the same text plan on stdout (symbols
legend, waits-for lines, notes, "(known after apply)", health checks, warnings, summary), without
the "Saved the plan to" footer, and the configuration's warnings on stderr as `plan` did.
`show -json PLANFILE` prints the saved JSON plan as is."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.test_safe_plans import _assets
from tests.helpers import Run

EXTRAS = "folders:\n  keep:\n    connection: author\n  gone:\n    connection: author\n"
FOOTER = "\n\nSaved the plan to "


def _write(quickstart: Path, old: str, new: str) -> None:
    main = quickstart / "main.yaml"
    text = main.read_text()
    assert old in text, old
    main.write_text(text.replace(old, new, 1))


def _first_plan(quickstart: Path, cli: Run) -> list[str]:
    """Nothing applied yet: creates with values known after apply, reads, adopts, notes, checks."""
    return []


def _replace_delete_forget_move(quickstart: Path, cli: Run) -> list[str]:
    """After an apply: a replacement and a delete that lose assets, users removed (effects: the
    accounts stay), a folder renamed with a `moved:` block."""
    _write(quickstart, "folders:\n", EXTRAS)
    assert cli("apply", "-auto-approve", quickstart).exit_code == 0
    _assets(quickstart, "/content/dam/keep", 2)
    _assets(quickstart, "/content/dam/gone", 3)
    _write(quickstart, "  keep:\n    connection: author\n", "  keep:\n    connection: author\n    ordered: true\n")
    _write(quickstart, "  gone:\n    connection: author\n", "")
    _write(quickstart, "  dana:                                  # already in the org: adopted, Marketing Cloud added\n"
           "    org: acme\n    email: dana@acme.example\n    groups: [Marketing Cloud]\n", "")
    _write(quickstart, "  mc-demo:\n", "  demo:\n    path: /content/dam/mc-demo\n")
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace("folder: mc-demo", "folder: demo")
                    .replace("      - {user: dana, role: viewer}\n", ""))
    (quickstart / "moves.yaml").write_text("version: 1\nmoved:\n  - from: folders.mc-demo\n    to: folders.demo\n")
    return []


def _warnings_and_target(quickstart: Path, cli: Run) -> list[str]:
    """A secret written in clear (a configuration warning, on stderr) and -target (a plan warning)."""
    _write(quickstart, "password: ${env:AEM_PASSWORD:-admin}", "password: admin")
    return ["-target", "folders.mc-demo"]


SCENARIOS: dict[str, Callable[[Path, Run], list[str]]] = {
    "first plan": _first_plan,
    "replace, delete, forget, move": _replace_delete_forget_move,
    "warnings and -target": _warnings_and_target,
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_show_of_a_plan_file_prints_what_plan_printed(scenario: str, quickstart: Path, cli: Run,
                                                      tmp_path: Path) -> None:
    args = SCENARIOS[scenario](quickstart, cli)
    saved = tmp_path / "saved.plan"
    planned = cli("plan", *args, "-out", saved, quickstart)
    assert planned.exit_code == 0, planned.output
    assert FOOTER in planned.stdout
    shown = cli("show", saved)
    assert shown.exit_code == 0, shown.output
    # line for line, but for the footer
    assert shown.stdout.splitlines() == planned.stdout.split(FOOTER)[0].splitlines()
    assert shown.stderr == planned.stderr
    assert "null -> null" not in shown.stdout


def test_show_carries_the_parts_the_old_summary_lost(quickstart: Path, cli: Run, tmp_path: Path) -> None:
    saved = tmp_path / "saved.plan"
    assert cli("plan", "-out", saved, quickstart).exit_code == 0
    out = cli("show", saved).stdout
    assert out.startswith("Symbols: + create, ")
    assert "      + client_id       = (known after apply)" in out
    assert "  #   waits for applications.assets-sync" in out
    assert out.count("  #   note: ") >= 3
    assert "Health checks after apply (? = will be checked):\n  ? replication_agents.mac-sync\n" in out
    doc = json.loads(cli("show", "-json", saved).stdout)  # the JSON is the saved plan as is
    assert doc == json.loads(saved.read_text())["plan"]


def test_show_of_a_plan_with_content_loss_says_what_is_lost(quickstart: Path, cli: Run, tmp_path: Path) -> None:
    _replace_delete_forget_move(quickstart, cli)
    saved = tmp_path / "saved.plan"
    assert cli("plan", "-out", saved, quickstart).exit_code == 0
    out = cli("show", saved).stdout
    assert "deletes /content/dam/gone and its 3 assets" in out
    assert "/content/dam/keep and its 2 assets" in out
    assert "  # folders.mc-demo has moved to folders.demo" in out
    assert "users.dana will" in out and "/ users.dana" in out


def test_show_of_a_damaged_plan_file_says_so(quickstart: Path, cli: Run, tmp_path: Path) -> None:
    saved = tmp_path / "saved.plan"
    assert cli("plan", "-out", saved, quickstart).exit_code == 0
    doc = json.loads(saved.read_text())
    del doc["plan"]["resource_changes"][0]["actions"]
    saved.write_text(json.dumps(doc))
    out = cli("show", saved)
    assert out.exit_code == 1
    assert f"Error: {saved}: the plan in it is damaged or of another version (KeyError: 'actions')" in out.stderr
    assert "Traceback" not in out.output
