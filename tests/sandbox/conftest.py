"""Fixtures for the sandbox tests: a fresh world per test."""

from __future__ import annotations

import pathlib

import pytest

from reconciler.sandbox import reset_world


@pytest.fixture
def db(tmp_path: pathlib.Path) -> pathlib.Path:
    """A freshly seeded world file in a directory that does not exist yet."""
    path = tmp_path / "nested" / "sandbox.db"
    reset_world(path)
    return path
