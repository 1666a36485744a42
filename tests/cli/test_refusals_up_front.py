"""Plans and applies that cannot go through are refused up front, with what and how to fix:
resources of the state on a connection no longer declared, and content loss nothing allows."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import sandbox
from tests.e2e.test_safe_plans import _assets
from tests.helpers import Run


def _applied(quickstart: Path, cli: Run) -> None:
    out = cli("apply", "-auto-approve", quickstart)
    assert out.exit_code == 0, out.output


@pytest.mark.parametrize("args", [("plan",), ("plan", "-destroy"), ("destroy", "-auto-approve"),
                                  ("apply", "-auto-approve")])
def test_state_on_an_undeclared_connection_is_named_with_the_way_out(quickstart: Path, cli: Run,
                                                                      args: tuple[str, ...]) -> None:
    _applied(quickstart, cli)
    (quickstart / "main.yaml").write_text("")  # an emptied configuration in an applied directory
    out = cli(*args, quickstart)
    assert out.exit_code == 1, out.output
    assert "ConnectionMissing" not in out.output and "RECONCILER_DEBUG" not in out.output
    assert ("the state holds 6 resources on connection 'author', which the configuration no longer declares:"
            " cloud_configs.assets-sync, folders.mc-demo, replication_agents.mac-sync and 3 more") in out.stderr
    assert "5 resources on connection 'adobe'" in out.stderr
    assert "declare 'adobe' and 'author' again under `connections:`" in out.stderr
    assert "`reconciler state rm ADDR`" in out.stderr
    assert "will be" not in out.stdout  # no plan was made


def test_one_undeclared_connection_and_one_resource(quickstart: Path, cli: Run) -> None:
    _applied(quickstart, cli)
    listed = cli("state", "list", "-c", quickstart).stdout.split()
    for addr in listed:
        if addr != "folders.mc-demo":
            assert cli("state", "rm", "-c", quickstart, addr).exit_code == 0
    (quickstart / "main.yaml").write_text("version: 1\n")
    out = cli("plan", quickstart)
    assert out.exit_code == 1, out.output
    assert ("the state holds 1 resource on connection 'author', which the configuration no longer declares:"
            " folders.mc-demo\n") in out.stderr
    assert "declare 'author' again" in out.stderr and "(e.g. folders.mc-demo)" in out.stderr
    assert "'adobe'" not in out.stderr


def test_content_loss_is_refused_before_any_action_naming_both_ways_to_allow_it(quickstart: Path, cli: Run) -> None:
    _applied(quickstart, cli)
    _assets(quickstart, "/content/dam/mc-demo", 3)
    db = quickstart / ".reconciler" / "sandbox.db"
    before = sandbox.world_counts(db)["nodes"]
    out = cli("apply", "-replace", "folders.mc-demo", "-auto-approve", quickstart)
    assert out.exit_code == 1, out.output
    assert "folders.mc-demo must be REPLACED" in out.stdout  # the plan is shown first
    assert ("refused: this plan destroys user content, so nothing was started:\n"
            "  folders.mc-demo: this replace destroys 3 assets\n") in out.stderr
    assert "--allow-content-loss" in out.stderr and "lifecycle: {allow_content_loss: true}" in out.stderr
    assert "Replacing..." not in out.output and "Destroying..." not in out.output  # no action started
    assert sandbox.world_counts(db)["nodes"] == before  # the shares on the folder too


def test_content_loss_allowed_by_the_resources_lifecycle_is_not_refused_up_front(quickstart: Path, cli: Run) -> None:
    _applied(quickstart, cli)
    _assets(quickstart, "/content/dam/mc-demo", 1)
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace("  mc-demo:\n    connection: author\n",
                                             "  mc-demo:\n    connection: author\n"
                                             "    lifecycle: {allow_content_loss: true}\n", 1))
    out = cli("apply", "-replace", "folders.mc-demo", "-auto-approve", quickstart)
    assert out.exit_code == 0, out.output
    assert "refused" not in out.output and "Replacement complete" in out.output


def test_a_connection_declared_again_with_another_type_is_named_with_the_type_needed(
    quickstart: Path, cli: Run
) -> None:
    _applied(quickstart, cli)
    text = (quickstart / "main.yaml").read_text()
    start, adobe, end = text.index("  author:"), text.index("\n  adobe:"), text.index("\norgs:")
    (quickstart / "main.yaml").write_text(  # the resources removed, and 'author' made a Workfront connection
        text[:start] + "  author:\n    type: workfront\n    url: https://acme.my.workfront.com\n"
        "    api_key: ${env:WF_KEY:-k}\n    auth: api_key\n" + text[adobe + 1:end + 1]
    )
    out = cli("plan", quickstart)
    assert out.exit_code == 1, out.output
    assert "is not a AemConnection" not in out.output and "ConnectionMissing" not in out.output
    assert ("the state holds 6 resources on connection 'author', which the configuration now declares with type"
            " workfront; they need type aem: cloud_configs.assets-sync, folders.mc-demo") in out.stderr
    assert "give 'author' back its type (aem)" in out.stderr and "`reconciler state rm ADDR`" in out.stderr
    assert "'adobe'" not in out.stderr
