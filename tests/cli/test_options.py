"""Command-line options and exit codes: --version and --help, --detailed-exitcode (0, 1, 2), --target,
--replace, `graph` formats, and `apply` refusing to run unattended without --auto-approve."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import Run


def test_version_and_help(cli: Run) -> None:
    assert "0.1.0" in cli("--version").output
    for cmd in ("validate", "plan", "apply", "show", "state", "sandbox"):
        out = cli(cmd, "--help")
        assert out.exit_code == 0 and "Usage" in out.output


def test_detailed_exitcode_is_1_on_error(quickstart: Path, cli: Run) -> None:
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace("tenant_url: https://acme.experiencecloud.adobe.com",
                                             "tenant_url: https://acme.marketing.adobe.com"))
    out = cli("plan", "--detailed-exitcode", quickstart)
    assert out.exit_code == 1
    assert "main.yaml:" in out.output and "experiencecloud.adobe.com" in out.output
    assert "https://acme.experiencecloud.adobe.com" in out.output  # the fix is spelled out


def test_exit_codes(quickstart: Path, cli: Run) -> None:
    assert cli("plan", "--detailed-exitcode", quickstart).exit_code == 2
    assert cli("apply", "--auto-approve", quickstart).exit_code == 0
    assert cli("plan", "--detailed-exitcode", quickstart).exit_code == 0
    (quickstart / "main.yaml").write_text("version: 1\nfolders: {x: {connection: nowhere}}\n")
    assert cli("plan", "--detailed-exitcode", quickstart).exit_code == 1


def test_targeting_warns(quickstart: Path, cli: Run) -> None:
    out = cli("plan", "--target", "cloud_configs.assets-sync", quickstart)
    assert "resource targeting is in effect" in out.output
    assert "folders.mc-demo" not in out.output
    assert "applications.assets-sync" in out.output
    bad = cli("plan", "--target", "folders.nope", quickstart)
    assert bad.exit_code == 1 and "no such resource to target" in bad.output


def test_replace_flag(quickstart: Path, cli: Run) -> None:
    assert cli("apply", "--auto-approve", quickstart).exit_code == 0
    out = cli("plan", "--replace", "folders.mc-demo", quickstart)
    assert "# folders.mc-demo must be REPLACED" in out.output and "--replace" in out.output


def test_graph_dot_and_mermaid(quickstart: Path, cli: Run) -> None:
    dot = cli("graph", quickstart).output
    assert dot.startswith("digraph reconciler {")
    assert '"cloud_configs.assets-sync" -> "applications.assets-sync";' in dot
    mermaid = cli("graph", "--format", "mermaid", quickstart).output
    assert mermaid.startswith("graph LR") and "n_cloud_configs_assets_sync --> n_applications_assets_sync" in mermaid


def test_apply_refuses_without_terminal_or_auto_approve(quickstart: Path, cli: Run) -> None:
    out = cli("apply", quickstart)
    assert out.exit_code != 0
    assert "--auto-approve" in out.output
    assert not (quickstart / ".reconciler" / "state.db").exists() or "Creation complete" not in out.output
