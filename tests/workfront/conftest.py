"""Fixtures for the Workfront tests: a private copy of examples/workfront and the in-process CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import cli  # noqa: F401  (the in-process CLI fixture)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "workfront"
API_KEY = "sandbox-workfront-api-key"
API = "/attask/api/v21.0"


@pytest.fixture
def workfront_example(tmp_path: Path) -> Path:
    dest = tmp_path / "workfront"
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns(".reconciler"))
    return dest


def workfront_http(db: Path) -> httpx.Client:
    """A synchronous client on the embedded Workfront emulator of world ``db`` (API key auth)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from reconciler.sandbox import create_app

    client = TestClient(create_app("workfront", db), base_url="http://workfront.test")
    client.headers["apiKey"] = API_KEY
    return client
