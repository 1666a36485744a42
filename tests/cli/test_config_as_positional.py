"""`show`, `output` and `state ...` take the configuration as -c/--config (plan and apply take it as
a positional): a directory or YAML file given as a positional gets the hint to pass -c, instead of
"no state" or "File 'work' is a directory"."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import Run


@pytest.fixture
def applied(quickstart: Path, cli: Run, monkeypatch: pytest.MonkeyPatch) -> str:
    """The quickstart applied, run from its parent: its directory name, as a user types it."""
    assert cli("apply", "-auto-approve", quickstart).exit_code == 0
    monkeypatch.chdir(quickstart.parent)
    return quickstart.name


@pytest.mark.parametrize(
    ("args", "taken_as"),
    [
        (("output", "{d}"), "ADDR[.ATTR] (a resource address)"),
        (("show", "{d}"), "PLAN_FILE (a plan file made by `reconciler plan -out`)"),
        (("state", "show", "{d}"), "ADDRESS (a resource address)"),
        (("state", "rm", "{d}"), "ADDRESS (a resource address)"),
        (("state", "mv", "{d}", "folders.x"), "SOURCE (a resource address)"),
        (("state", "unlock", "{d}"), "LOCK_ID (from the lock error message)"),
    ],
)
def test_a_directory_taken_for_another_argument_hints_at_c(applied: str, cli: Run, args: tuple[str, ...],
                                                           taken_as: str) -> None:
    out = cli(*(a.format(d=applied) for a in args))
    assert out.exit_code == 1, out.output
    assert f"Error: {applied} is a directory, but this command takes it as {taken_as}" in out.stderr
    assert f"hint: to read the configuration in {applied}, pass -c {applied}" in out.stderr
    assert "no state at" not in out.output and "is a directory." not in out.output


def test_a_yaml_file_taken_for_an_address_hints_at_c(applied: str, cli: Run) -> None:
    out = cli("output", f"{applied}/main.yaml")
    assert out.exit_code == 1, out.output
    assert f"{applied}/main.yaml is a YAML file" in out.stderr
    assert f"pass -c {applied}/main.yaml" in out.stderr


@pytest.mark.parametrize("command", [("state", "list"), ("state", "pull")])
def test_an_extra_directory_argument_hints_at_c(applied: str, cli: Run, command: tuple[str, ...]) -> None:
    out = cli(*command, applied)
    assert out.exit_code == 1, out.output
    assert f"Got unexpected extra argument ({applied})\n  hint: to read the configuration in {applied}," \
           f" pass -c {applied}" in out.stderr


def test_with_c_the_positional_is_what_the_command_says(applied: str, cli: Run) -> None:
    assert cli("output", "-c", applied, "users.jane.email").stdout.strip() == "jane.doe@acme.example"
    out = cli("state", "show", "-c", applied, applied)  # an address that happens to name the directory
    assert out.exit_code == 1 and f"{applied} is not in the state" in out.stderr
    assert cli("state", "list", "-c", applied).exit_code == 0
