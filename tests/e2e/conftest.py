"""Fixtures for end-to-end runs of the CLI against the embedded sandbox."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import main

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "examples" / "quickstart"

SECRETS = ("p8e-SandboxReconcilerSecret0123456789ab", "PRIVATE KEY")


@pytest.fixture
def quickstart(tmp_path: Path) -> Path:
    """A private copy of examples/quickstart (its own state and sandbox world)."""
    dest = tmp_path / "quickstart"
    shutil.copytree(QUICKSTART, dest, ignore=shutil.ignore_patterns(".reconciler"))
    return dest


Run = Callable[..., Result]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run the CLI in-process: ``cli("plan", path)``; returns click's Result (exit_code, output)."""
    monkeypatch.delenv("AEM_PASSWORD", raising=False)
    monkeypatch.delenv("ADOBE_CLIENT_SECRET", raising=False)

    def run(*args: object, env: dict[str, str] | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)

    return run
