"""`validate` and `graph` work with secrets unset (issue 10 item 6): with ``require_env=False`` an
unset ``${env:NAME}`` is a warning at its position and its value is not judged; plan still refuses."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.config.diagnostics import ConfigError
from reconciler.config.loader import load_config
from reconciler.kinds import REGISTRY

CONFIG = """version: 1
connections:
  author: {type: aem, url: "${env:AEM_URL}", username: admin, password: "${env:AEM_PASSWORD}"}
  adobe:
    type: adobe
    ims_url: sandbox://ims
    console_url: sandbox://console
    client_id: ${env:ADOBE_CLIENT_ID}
    client_secret: ${env:ADOBE_CLIENT_SECRET}
orgs:
  acme: {connection: adobe, ims_org_id: A1B2C3D4E5F6A7B8C9D0E1F2@AdobeOrg}
folders:
  x: {connection: author}
  y:
    connection: author
    depends_on: [folders.x]
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "main.yaml"
    path.write_text(CONFIG)
    return path


def test_unset_variables_are_errors_by_default(config: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(config, kinds=REGISTRY, environ={})
    assert "environment variable AEM_PASSWORD is not set" in str(info.value)


def test_unset_variables_are_warnings_at_their_place_when_optional(config: Path) -> None:
    loaded = load_config(config, kinds=REGISTRY, environ={}, require_env=False)
    warned = {d.summary.split()[2]: d for d in loaded.warnings if "is not set" in d.summary}
    assert sorted(warned) == ["ADOBE_CLIENT_ID", "ADOBE_CLIENT_SECRET", "AEM_PASSWORD", "AEM_URL"]
    d = warned["AEM_PASSWORD"]
    assert d.severity == "warning" and d.loc is not None and (d.loc.line, d.loc.col) == (3, 74)
    assert "${env:AEM_PASSWORD} in connections.author.password is not checked (plan and apply will need it)" in d.summary
    assert d.hint == "export AEM_PASSWORD=... before plan or apply"
    assert (warned["ADOBE_CLIENT_ID"].loc.line, warned["ADOBE_CLIENT_ID"].loc.col) == (8, 16)  # type: ignore[union-attr]
    assert not [d for d in loaded.warnings if d.severity == "error"]
    assert set(loaded.connections) == {"author", "adobe"} and set(loaded.resources) == {
        "orgs.acme", "folders.x", "folders.y"}


def test_other_errors_are_still_reported_when_optional(config: Path) -> None:
    config.write_text(CONFIG.replace("folders:\n  x: {connection: author}", "folders:\n  x: {connection: autor}"))
    with pytest.raises(ConfigError) as info:
        load_config(config, kinds=REGISTRY, environ={}, require_env=False)
    assert [d.summary for d in info.value.errors] == ["folders.x.connection names aem connection 'autor', which is not declared"]


def test_set_variables_are_still_checked_when_optional(config: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(config, kinds=REGISTRY, environ={"AEM_URL": "ftp://nope"}, require_env=False)
    assert any("invalid value for 'url' in connections.author" in d.summary for d in info.value.errors)


def test_validate_and_graph_run_with_secrets_unset_plan_does_not(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AEM_URL", "AEM_PASSWORD", "ADOBE_CLIENT_ID", "ADOBE_CLIENT_SECRET"):
        monkeypatch.delenv(var, raising=False)
    runner = CliRunner()
    done = runner.invoke(main, ["validate", str(config)])
    assert done.exit_code == 0, done.output
    assert "Success! The configuration is valid: 3 resources, 2 connections." in done.output
    assert f"{config}:3:74: warning: environment variable AEM_PASSWORD is not set" in done.output
    graph = runner.invoke(main, ["graph", str(config)])
    assert graph.exit_code == 0 and '"folders.y" -> "folders.x"' in graph.output, graph.output
    plan = runner.invoke(main, ["plan", str(config)])
    assert plan.exit_code == 1 and "environment variable AEM_PASSWORD is not set" in plan.output
