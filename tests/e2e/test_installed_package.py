"""The package as users install it: a built wheel in a fresh virtual environment outside the repository.

Every example directory is copied to a temporary directory and run there with the installed
``reconciler`` only (no editable install, no PYTHONPATH): everything the tool reads at run time
must ship inside the wheel.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.helpers import ROOT, Installed

pytestmark = pytest.mark.slow

RUNNABLE = ("quickstart", "workfront", "creative-cloud")
INVALID = sorted((ROOT / "examples" / "invalid").glob("*.yaml"))


def run(installed: Installed, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(installed.bin / "reconciler"), *args], cwd=cwd, env=installed.env(),
                          capture_output=True, text=True, timeout=300)


def test_every_example_directory_is_in_the_repository() -> None:
    dirs = {p.name for p in (ROOT / "examples").iterdir() if p.is_dir()}
    assert dirs == {*RUNNABLE, "invalid", "gitops"}, "a new example directory needs a run in this file"


def test_the_wheel_carries_its_data_files(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    for data in ("config.schema.json", "plan.schema.json", "workfront-features.yaml"):
        assert f"reconciler/data/{data}" in names
    assert not any(n.startswith(("schemas/", "tests/", "examples/")) for n in names)


def test_the_build_prints_no_packaging_warning(installed: Installed) -> None:
    log = installed.build_log.read_text()
    assert "Successfully built" in log or "Created wheel" in log
    for bad in ("SetuptoolsDeprecationWarning", "deprecated", "License classifiers"):
        assert bad not in log, f"the wheel build warns: {bad!r}\n{log[-3000:]}"


def test_installed_package_is_not_the_checkout(installed: Installed, tmp_path: Path) -> None:
    done = subprocess.run([str(installed.bin / "python"), "-c", "import reconciler; print(reconciler.__file__)"],
                          cwd=tmp_path, env=installed.env(), capture_output=True, text=True, check=True)
    where = Path(done.stdout.strip()).resolve()
    assert "site-packages" in where.parts and not where.is_relative_to(ROOT)


@pytest.mark.parametrize("example", RUNNABLE)
def test_example_validates_plans_applies_and_converges(installed: Installed, tmp_path: Path, example: str) -> None:
    shutil.copytree(ROOT / "examples" / example, tmp_path / example, ignore=shutil.ignore_patterns(".reconciler"))
    validated = run(installed, tmp_path, "validate", example)
    assert validated.returncode == 0 and "Success! The configuration is valid" in validated.stdout, validated.stderr
    planned = run(installed, tmp_path, "plan", "--detailed-exitcode", example)
    assert planned.returncode == 2, planned.stdout + planned.stderr
    assert "Plan: " in planned.stdout and "to create" in planned.stdout
    applied = run(installed, tmp_path, "apply", "--auto-approve", example)
    assert applied.returncode == 0 and "Apply complete!" in applied.stdout, applied.stdout + applied.stderr
    again = run(installed, tmp_path, "plan", "--detailed-exitcode", example)
    assert again.returncode == 0 and "No changes." in again.stdout, again.stdout + again.stderr
    assert (tmp_path / example / ".reconciler" / "state.db").exists()


@pytest.mark.parametrize("invalid", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_example_is_refused_with_a_position(installed: Installed, tmp_path: Path, invalid: Path) -> None:
    shutil.copy(invalid, tmp_path / invalid.name)
    done = run(installed, tmp_path, "validate", invalid.name)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{invalid.name}:" in done.stderr and ": error: " in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "FileNotFoundError" not in done.stderr


@pytest.mark.parametrize("which", ["config", "plan"])
def test_schema_command_prints_the_published_schema(installed: Installed, tmp_path: Path, which: str) -> None:
    args = ["schema"] if which == "config" else ["schema", which]
    done = run(installed, tmp_path, *args)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads((ROOT / "schemas" / f"{which}.schema.json").read_text())
