"""What `apply FILE` takes FILE for: a plan file applied where it was made, or a configuration; a
file that is neither is named as not a plan file, as `show` does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import Run


def test_a_saved_plan_applied_from_another_directory_says_where_it_was_made(
        quickstart: Path, cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan_file = tmp_path / "p5.plan"
    monkeypatch.chdir(quickstart)
    assert cli("plan", "-out", plan_file).exit_code == 0  # config_path "."
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # "." is a directory here too, without the configuration
    out = cli("apply", plan_file)
    assert out.exit_code == 1, out.output
    assert (f"{plan_file} was made for the configuration in {quickstart.resolve()}, not the one here"
            f" ({elsewhere.resolve()}); run apply in {quickstart.resolve()} or pass -chdir={quickstart.resolve()}"
            ) in out.stderr
    assert "no *.yaml" not in out.output and "Apply complete" not in out.output
    done = cli("-chdir", quickstart.resolve(), "apply", plan_file)  # the way out it names
    assert done.exit_code == 0, done.output
    assert "Apply complete!" in done.stdout


def test_the_directory_plan_ran_in_is_named_when_the_configuration_was_a_subdirectory(
        quickstart: Path, cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan_file = tmp_path / "p.plan"
    monkeypatch.chdir(quickstart.parent)
    assert cli("plan", quickstart.name, "-out", plan_file).exit_code == 0  # config_path "quickstart"
    other = tmp_path / "other"
    (other / quickstart.name).mkdir(parents=True)  # a directory of that name, without the files
    monkeypatch.chdir(other)
    out = cli("apply", plan_file)
    assert out.exit_code == 1, out.output
    assert f"run apply in {quickstart.parent.resolve()} or pass -chdir={quickstart.parent.resolve()}" in out.stderr


def test_a_saved_plan_kept_in_the_checkout_applies_from_elsewhere(
        quickstart: Path, cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No directory of the recorded name where apply runs: found from the plan file's directory."""
    monkeypatch.chdir(quickstart.parent)
    assert cli("plan", quickstart.name, "-out", quickstart / "p.plan").exit_code == 0
    away = tmp_path / "away"
    away.mkdir()
    monkeypatch.chdir(away)
    out = cli("apply", quickstart / "p.plan")
    assert out.exit_code == 0, out.output
    assert "Apply complete!" in out.stdout


@pytest.mark.parametrize("auto_approve", [(), ("-auto-approve",)])
def test_apply_of_a_file_that_is_no_plan_file_says_so(quickstart: Path, cli: Run, tmp_path: Path,
                                                      auto_approve: tuple[str, ...]) -> None:
    garbage = tmp_path / "g.plan"
    garbage.write_text("garbage\n")
    out = cli("apply", *auto_approve, garbage)
    assert out.exit_code == 1, out.output
    assert f"Error: {garbage} is not a plan file made by `reconciler plan -out`" in out.stderr
    assert "must be a mapping" not in out.output and "not on a terminal" not in out.output


def test_apply_of_the_json_of_plan_json_names_plan_out(quickstart: Path, cli: Run, tmp_path: Path) -> None:
    doc = tmp_path / "plan.json"
    doc.write_text(cli("plan", "-json", quickstart).stdout)
    assert "resource_changes" in json.loads(doc.read_text())
    out = cli("apply", "-auto-approve", doc)
    assert out.exit_code == 1, out.output
    assert f"{doc} is not a plan file made by `reconciler plan -out` (it is the JSON of `plan -json`" in out.stderr


def test_a_configuration_file_without_a_yaml_name_is_still_applied(quickstart: Path, cli: Run) -> None:
    conf = quickstart / "main.conf"
    (quickstart / "main.yaml").rename(conf)
    out = cli("apply", "-auto-approve", conf)
    assert "is not a plan file" not in out.output
    assert out.exit_code == 0, out.output
    assert "Apply complete!" in out.stdout
