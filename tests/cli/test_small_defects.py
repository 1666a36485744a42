"""Small defects of issue 15, one test each."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from reconciler.clients import ApiError
from reconciler.sandbox import REGISTRY
from tests.helpers import Run, edit_in_aem


def test_apply_off_a_terminal_fails_with_1_before_planning(quickstart: Path, cli: Run) -> None:
    for args in (("apply",), ("destroy",), ("apply", "-refresh-only")):
        out = cli(*args, quickstart)
        assert out.exit_code == 1, out.output
        assert "-auto-approve" in out.output
        assert "will be created" not in out.output and "Plan:" not in out.output  # no plan was made


def test_sandbox_serve_on_a_busy_port_names_it(tmp_path: Path, cli: Run) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = cli("sandbox", "serve", "--db", tmp_path / "w.db", "--aem-port", port,
                  *[a for s in REGISTRY if s != "aem" for a in (f"--{s}-port", "0")])
    assert out.exit_code == 1
    assert f"port {port} on 127.0.0.1 (aem) is not free" in out.output and "--aem-port" in out.output
    assert "Sandbox world" not in out.output and "Traceback" not in out.output


def test_status_line_body_is_not_repeated() -> None:
    err = ApiError("aem connection 'author'", "GET", "http://x/y", 401, None, "401 Unauthorized")
    assert str(err) == "aem connection 'author' GET /y -> 401 Unauthorized"
    assert str(ApiError("s", "GET", "/y", 401, "invalid_client", "bad")) == "s GET /y -> 401 Unauthorized: invalid_client: bad"


def test_drift_accept_does_not_tell_to_run_itself(quickstart: Path, cli: Run) -> None:
    assert cli("apply", "-auto-approve", quickstart).exit_code == 0
    edit_in_aem(quickstart / ".reconciler" / "sandbox.db", "/etc/cloudservices/marketingcloud/assets-sync/jcr:content",
                tenantURL="https://other.experiencecloud.adobe.com")
    report = cli("drift", quickstart).output
    assert "run `reconciler apply --refresh-only` (or `reconciler drift --accept`)" in report  # the hint
    for args in (("drift", "--accept"), ("apply", "-refresh-only", "-auto-approve")):
        out = cli(*args, quickstart)
        assert out.exit_code == 0 and "Objects have changed outside" in out.output
        assert "drift --accept" not in out.output and "apply --refresh-only" not in out.output, out.output
        edit_in_aem(quickstart / ".reconciler" / "sandbox.db",
                    "/etc/cloudservices/marketingcloud/assets-sync/jcr:content", tenantURL="https://acme.experiencecloud.adobe.com")


def test_show_json_format_version_is_the_plans(quickstart: Path, cli: Run) -> None:
    assert cli("apply", "-auto-approve", quickstart).exit_code == 0
    state = json.loads(cli("show", "-json", "-c", quickstart).stdout)
    plan = json.loads(cli("plan", "-json", quickstart).stdout)
    assert state["format_version"] == plan["format_version"] == "1.0"


def test_state_show_columns_are_aligned(quickstart: Path, cli: Run) -> None:
    assert cli("apply", "-auto-approve", quickstart).exit_code == 0
    out = cli("state", "show", "-c", quickstart, "cloud_configs.assets-sync").output
    rows = [line for line in out.splitlines()[1:] if " = " in line]
    assert len(rows) > 5 and len({line.index(" = ") for line in rows}) == 1, out
    assert any(line.startswith("output.public_key ") for line in rows)


def test_a_reader_that_leaves_early_gets_no_error_message(quickstart: Path) -> None:
    """`reconciler plan | head -0`: the reader is gone before the plan is printed; no traceback and
    no "Error: BrokenPipeError" line (git and Terraform stop quietly)."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "reconciler.cli", "plan", str(quickstart)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader leaves at once; the plan is printed about a second later
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 1
    assert "BrokenPipe" not in err and "Traceback" not in err, err
