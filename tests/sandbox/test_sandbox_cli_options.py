"""`reconciler sandbox serve` takes its port options and printed URLs from the sandbox registry."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.sandbox import REGISTRY


def test_one_port_option_per_registered_service_with_its_default() -> None:
    out = CliRunner().invoke(main, ["sandbox", "serve", "--help"]).output
    for service in REGISTRY.values():
        assert f"--{service.name}-port" in out
        assert f"Port of the {service.description} emulator." in " ".join(out.split())
    assert out.count("-port ") == len(REGISTRY)


def test_serve_passes_every_port_and_prints_every_url(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def fake_serve(path: object, *, host: str, ports: dict[str, int]) -> None:
        seen.update(path=path, host=host, ports=ports)

    monkeypatch.setattr("reconciler.sandbox.serve", fake_serve)
    result = CliRunner().invoke(main, ["sandbox", "serve", "--db", "w.db", "--umapi-port", "9999"])
    assert result.exit_code == 0, result.output
    expected = {name: s.port for name, s in REGISTRY.items()} | {"umapi": 9999}
    assert seen["ports"] == expected and seen["host"] == "127.0.0.1"
    assert "User Management API http://127.0.0.1:9999/v2/usermanagement" in result.output
    assert "AEM author http://127.0.0.1:4502 (admin/admin)" in result.output
    assert "Workfront http://127.0.0.1:4513/attask/api/v21.0" in result.output


def test_serve_hardened_switches_the_world(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from reconciler.sandbox import aem_hardened

    monkeypatch.setattr("reconciler.sandbox.serve", lambda *a, **k: None)
    db = tmp_path / "w.db"
    result = CliRunner().invoke(main, ["sandbox", "serve", "--db", str(db), "--hardened"])
    assert result.exit_code == 0, result.output
    assert aem_hardened(db) and "AEM author is hardened: HTTP DELETE and PUT answer 405." in result.output
    again = CliRunner().invoke(main, ["sandbox", "serve", "--db", str(db)])  # no flag: the world's setting stays
    assert aem_hardened(db) and "is hardened" in again.output
    off = CliRunner().invoke(main, ["sandbox", "serve", "--db", str(db), "--not-hardened"])
    assert not aem_hardened(db) and "is hardened" not in off.output
    assert "--hardened / --not-hardened" in CliRunner().invoke(main, ["sandbox", "serve", "--help"]).output
