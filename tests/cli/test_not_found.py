""""Not found" errors on the command line name the closest existing name (did-you-mean) and list
what exists (at most ten, then how many more): state addresses (`state show/mv/rm`, `output`),
`-target` and `-replace` addresses, an output attribute, and the orgs and client ID of the
embedded sandbox."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.config.diagnostics import not_found
from tests.helpers import EXAMPLES, ORG, Run


@pytest.fixture
def applied(quickstart: Path, cli: Run) -> Path:
    """The quickstart, applied (11 addresses in the state)."""
    out = cli("apply", "-auto-approve", quickstart)
    assert out.exit_code == 0, out.output
    return quickstart


def _listed(output: str) -> list[str]:
    """The names listed after the label line of a not-found message (joined wrapped lines)."""
    block = output.split("\n  ", 1)[1].split(": ", 1)[1]
    return [n.strip() for n in " ".join(block.split()).split(" (and ")[0].split(",")]


@pytest.mark.parametrize(
    "args",
    [
        ("state", "show", "folders.mc-dem"),
        ("state", "mv", "folders.mc-dem", "folders.elsewhere"),
        ("state", "rm", "folders.mc-dem"),
        ("output", "folders.mc-dem"),
    ],
)
def test_state_address_not_found_suggests_and_lists(applied: Path, cli: Run, args: tuple[str, ...]) -> None:
    out = cli(*args, "-c", applied)
    assert out.exit_code == 1
    assert "folders.mc-dem is not in the state; did you mean folders.mc-demo?" in out.output
    names = _listed(out.output)
    assert names[0] == "folders.mc-demo"  # the same kind first
    assert len(names) == 10 and "(and 1 more)" in out.output
    assert "Traceback" not in out.output
    # nothing moved or removed
    assert "folders.mc-demo" in cli("state", "list", "-c", applied).output.split()


def test_output_attribute_not_found_lists_the_outputs(applied: Path, cli: Run) -> None:
    out = cli("output", "-c", applied, "cloud_configs.assets-sync.public_ky")
    assert out.exit_code == 1
    assert "cloud_configs.assets-sync has no output 'public_ky'; did you mean public_key?" in out.output
    assert "public_key" in _listed(out.output) and "tenant" in _listed(out.output)


@pytest.mark.parametrize("option", ["-target=folders.mc-dem", "--target=folders.mc-dem", "-replace=folders.mc-dem",
                                    "--replace=folders.mc-dem"])
def test_unknown_target_or_replace_address_fails_before_planning(applied: Path, cli: Run, option: str) -> None:
    """-replace of an unknown address used to be ignored silently (a plan with no changes)."""
    out = cli("plan", applied, option)
    assert out.exit_code == 1, out.output
    spelled = "-target" if "target" in option else "-replace"
    assert (f"{spelled} folders.mc-dem: no such resource to {spelled[1:]} in the configuration or the state"
            in out.output)
    assert "did you mean folders.mc-demo?" in out.output
    assert "No changes" not in out.output and "Plan:" not in out.output


def test_unknown_target_on_apply_changes_nothing(quickstart: Path, cli: Run) -> None:
    out = cli("apply", "-auto-approve", "-target=folder.mc-demo", quickstart)
    assert out.exit_code == 1 and "did you mean folders.mc-demo?" in out.output
    assert not (quickstart / ".reconciler" / "state.db").exists() or cli(
        "state", "list", "-c", quickstart
    ).output.strip() == ""


def test_unknown_org_against_the_sandbox_lists_its_orgs(quickstart: Path, cli: Run) -> None:
    wrong = ORG.replace("E1F2@", "E1F3@")
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace(ORG, wrong))
    out = cli("plan", quickstart)
    assert out.exit_code == 1
    assert f"hint: the sandbox has no org {wrong}; did you mean {ORG}?" in out.output
    assert "its orgs: 0F1E2D3C4B5A69788796A5B4@AdobeOrg, " + ORG in out.output
    assert "`reconciler sandbox info`" in out.output


def test_wrong_client_id_against_the_sandbox_names_its_client_id(quickstart: Path, cli: Run) -> None:
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace("client_id: 5f0c2ab1d3e94c7a8b6d1e2f3a4b5c6d", "client_id: 5f0c2ab1d3e94c7a8b6d1e2f3a4b5c6e"))
    out = cli("plan", quickstart)
    assert out.exit_code == 1 and "invalid_client" in out.output
    assert "hint: the sandbox's client ID is 5f0c2ab1d3e94c7a8b6d1e2f3a4b5c6d" in out.output
    assert "`reconciler sandbox info`" in out.output


def test_not_found_helper_limits_orders_and_handles_nothing() -> None:
    names = [f"users.u{i:02d}" for i in range(15)] + ["folders.a"]
    text = not_found("folders.b", names, label="in the state")
    assert text.startswith("; did you mean folders.a?\n  in the state: folders.a, users.u00")
    assert text.endswith("(and 6 more)") and "users.u08" in text and "users.u09" not in text
    assert not_found("x.y", [], label="in the state") == "\n  in the state: none"
    assert "did you mean" not in not_found("zzz", ["folders.a"], label="resources")


def test_group_not_found_against_the_sandbox_suggests_the_seeded_group(quickstart: Path, cli: Run) -> None:
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace("groups: [Marketing Cloud]", "groups: [Marketing Clod]", 1))
    out = cli("plan", quickstart)
    assert out.exit_code == 1 and "group(s) Marketing Clod not found" in out.output
    assert "hint: did you mean 'Marketing Cloud'? (a group of the sandbox)" in out.output
    assert "`reconciler sandbox info` lists its client ID, orgs, users, groups and Workfront projects" in out.output


def test_workfront_project_not_found_against_the_sandbox_suggests_the_seeded_project(
    tmp_path: Path, cli: Run
) -> None:
    config = tmp_path / "workfront"
    shutil.copytree(EXAMPLES / "workfront", config, ignore=shutil.ignore_patterns(".reconciler"))
    main = config / "main.yaml"
    main.write_text(main.read_text().replace("    name: Spring Launch\n", "    name: Spring Lanch\n", 1))
    out = cli("apply", "-auto-approve", config)
    assert out.exit_code == 1 and "Workfront has no project named 'Spring Lanch'" in out.output
    assert "hint: did you mean 'Spring Launch'? (a Workfront project of the sandbox)" in out.output
    # the kind itself lists what Workfront has (against the real service too, not only the sandbox)
    assert "Workfront has no project named 'Spring Lanch'; did you mean Spring Launch?" in out.output
    assert "Spring Launch" in out.output.split("; projects: ", 1)[1]


def test_sandbox_hints_stay_quiet_for_unrelated_errors() -> None:
    from reconciler.cli import _seeded_near

    assert _seeded_near(["folders.x: prevent_destroy is set, so it cannot be deleted"]) == []
    assert _seeded_near(["user dana@acme.example already in Marketing Cloud"]) == []  # verbatim names: fine


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("apply", "-auto-aprove"), "No such option '-auto-aprove'. Did you mean '-auto-approve'?"),
        (("plan", "-tagret=folders.mc-demo"), "No such option '-tagret'. Did you mean '-target'?"),
        (("plan", "--tagret", "folders.mc-demo"), "No such option '--tagret'. Did you mean '--target'?"),
        (("plan", "-refresh-onli"), "No such option '-refresh-onli'. Did you mean '-refresh-only'?"),
        (("-no-colour", "plan"), "No such option '-no-colour'. Did you mean '-no-color'?"),
        (("plan", "-no-colour"), "No such option '-no-colour'. Did you mean '-no-color'?"),
        (("plan", "-x"), "No such option '-x'."),
    ],
)
def test_an_unknown_option_is_named_whole_with_the_closest(quickstart: Path, cli: Run, args: tuple[str, ...],
                                                           message: str) -> None:
    """Click named only the first letter of a mistyped Terraform-style option ("No such option '-a'")."""
    out = cli(*args, quickstart)
    assert out.exit_code == 1 and message in out.output  # click's usage error, exit 1 as every error


def test_state_commands_without_configuration_or_state_say_so(tmp_path: Path, cli: Run) -> None:
    for args in (("state", "list"), ("output",), ("show",)):
        out = cli(*args, "-c", tmp_path)
        assert out.exit_code == 1
        assert f"no state at {tmp_path}/.reconciler/state.db: nothing has been applied from {tmp_path} yet" in out.output


def test_unknown_org_in_a_plan_error_lists_the_sandbox_orgs(quickstart: Path, cli: Run) -> None:
    """Only the org and its application: the orgs kind finds no such org (a plan error, not an API error)."""
    main = quickstart / "main.yaml"
    text = main.read_text()
    wrong = ORG.replace("E1F2@", "E1F3@")
    main.write_text(text[: text.index("# Step 2")].replace(ORG, wrong))
    out = cli("plan", quickstart)
    assert out.exit_code == 1 and f"orgs.acme: {wrong} was not found" in out.output
    assert f"hint: the sandbox has no org {wrong}; did you mean {ORG}?" in out.output
    assert "its orgs: 0F1E2D3C4B5A69788796A5B4@AdobeOrg, " + ORG in out.output
