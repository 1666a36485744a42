"""The confirmation prompt of apply, destroy and apply -refresh-only: "no" exits 1 (as Terraform),
so a wrapper can tell a cancel from a success; "yes" goes on."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler import cli as cli_module
from reconciler import sandbox
from tests.helpers import Run, edit_in_aem


@pytest.fixture
def on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard input taken for a terminal (the runner's is not one), so that apply asks."""
    monkeypatch.setattr(cli_module, "_interactive", lambda: True)


def _answer(answer: str, *args: object) -> Result:
    return CliRunner().invoke(cli_module.main, [str(a) for a in args], input=answer + "\n", catch_exceptions=False)


@pytest.mark.usefixtures("on_a_terminal")
def test_no_at_the_apply_prompt_exits_1_and_changes_nothing(quickstart: Path, cli: Run) -> None:
    out = _answer("no", "apply", quickstart)
    assert out.exit_code == 1, out.output
    assert "Do you want to perform these actions?" in out.stdout
    assert out.stdout.rstrip().endswith("Apply cancelled; nothing was changed.")
    assert "/content/dam/mc-demo" not in sandbox.world_counts(quickstart / ".reconciler" / "sandbox.db")["nodes"]


@pytest.mark.usefixtures("on_a_terminal")
def test_yes_at_the_apply_prompt_applies_and_exits_0(quickstart: Path) -> None:
    out = _answer("yes", "apply", quickstart)
    assert out.exit_code == 0, out.output
    assert "Apply complete!" in out.stdout


@pytest.mark.usefixtures("on_a_terminal")
def test_no_at_the_destroy_prompt_exits_1(quickstart: Path, cli: Run) -> None:
    assert cli("apply", "-auto-approve", quickstart).exit_code == 0
    before = cli("state", "list", "-c", quickstart).stdout
    out = _answer("no", "destroy", quickstart)
    assert out.exit_code == 1, out.output
    assert "Apply cancelled; nothing was changed." in out.stdout
    assert cli("state", "list", "-c", quickstart).stdout == before


@pytest.mark.usefixtures("on_a_terminal")
def test_no_at_the_refresh_only_prompt_exits_1(quickstart: Path, cli: Run) -> None:
    assert cli("apply", "-auto-approve", quickstart).exit_code == 0
    edit_in_aem(quickstart / ".reconciler" / "sandbox.db", "/content/dam/mc-demo/jcr:content", **{"jcr:title": "x"})
    out = _answer("no", "apply", "-refresh-only", quickstart)
    assert out.exit_code == 1, out.output
    assert "Accept these changes into the state?" in out.stdout
    assert "Apply cancelled; nothing was changed." in out.stdout and "Accepted the drift" not in out.stdout
