"""Exit codes as Terraform's: 0 success, 1 every error (click's usage errors too), 2 only for
`-detailed-exitcode` "changes present"; `-help`/`-version` on the groups as on the leaf commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import __version__
from tests.helpers import Run


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("plan", "-detailed-exitcode", "nonexist.yaml"), "Path 'nonexist.yaml' does not exist"),
        (("plan", "-detailed-exitcode", "--bogus", "{q}"), "No such option '--bogus'"),
        (("plan", "--bogus"), "No such option '--bogus'"),
        (("--bogus", "plan"), "No such option '--bogus'"),
        (("plan", "-lock-timeout=forever", "{q}"), "Invalid value for '-lock-timeout'"),
        (("state", "show"), "Missing argument 'ADDRESS'"),
        (("sandbox", "nope"), "No such command 'nope'"),
        (("schema", "state"), "'state' is not one of 'config', 'plan'"),
    ],
)
def test_a_usage_error_exits_1_with_clicks_message(quickstart: Path, cli: Run, args: tuple[str, ...],
                                                   message: str) -> None:
    """2 is `plan -detailed-exitcode`'s "changes present": a wrapper must not take a typo for it."""
    out = cli(*(a.format(q=quickstart) for a in args))
    assert out.exit_code == 1, out.output
    assert message in out.stderr and "Usage: " in out.stderr


def test_detailed_exitcode_still_exits_2_for_changes(quickstart: Path, cli: Run) -> None:
    assert cli("plan", "-detailed-exitcode", quickstart).exit_code == 2


@pytest.mark.parametrize(
    ("args", "usage"),
    [
        (("-help",), "Usage: main [OPTIONS] COMMAND [ARGS]..."),
        (("--help",), "Usage: main [OPTIONS] COMMAND [ARGS]..."),
        (("sandbox", "-help"), "Usage: main sandbox [OPTIONS] COMMAND [ARGS]..."),
        (("state", "-help"), "Usage: main state [OPTIONS] COMMAND [ARGS]..."),
        (("state", "list", "-help"), "Usage: main state list [OPTIONS]"),
        (("plan", "-help"), "Usage: main plan [OPTIONS] [CONFIG]"),
    ],
)
def test_groups_take_the_single_dash_help_as_leaf_commands_do(cli: Run, args: tuple[str, ...], usage: str) -> None:
    out = cli(*args)
    assert out.exit_code == 0, out.output
    assert out.stdout.startswith(usage)  # in-process, click names the program main


def test_single_dash_version(cli: Run) -> None:
    out = cli("-version")
    assert out.exit_code == 0, out.output
    assert out.stdout.strip() == f"reconciler, version {__version__}"
