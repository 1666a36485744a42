"""Cached virtual environments for the conformance tests' third-party clients (under the gitignored
``.cache/`` of the repository, created on first run and reused), as test_umapi_client.py does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

OFFLINE = (
    "No matching distribution",
    "Could not find a version",
    "NewConnectionError",
    "Max retries exceeded",
    "Temporary failure in name resolution",
)


def ensure_venv(name: str, pins: list[str]) -> Path:
    """The Python of ``.cache/<name>`` with ``pins`` installed (pip); skips the test, saying why,
    only when the package index cannot be reached. Raises AssertionError when pip fails otherwise."""
    venv = ROOT / ".cache" / name
    py = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    marker = venv / ".installed"
    if marker.exists() and py.exists() and marker.read_text().split() == pins:
        return py
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, capture_output=True)
    got = subprocess.run(
        [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pins],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if got.returncode != 0:
        text = got.stdout + got.stderr
        if any(s in text for s in OFFLINE):
            pytest.skip(f"the package index cannot be reached to install {pins} in {venv}: {text.strip()[-300:]}")
        raise AssertionError(f"installing {pins} failed:\n{text}")
    marker.write_text(" ".join(pins) + "\n")
    return py


def run_script(py: Path, script: str, *args: str) -> dict:
    """Run ``script`` with the venv's Python; its last stdout line is JSON, returned parsed."""
    done = subprocess.run([str(py), "-c", script, *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
