"""Fixtures shared by every layer of the test suite."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# What a source distribution of the project holds; everything else in a checkout (virtual
# environments, caches, state of earlier runs) stays out of the wheel build.
_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", ".cache", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
    ".mypy_cache", ".ruff_cache", ".reconciler", ".hypothesis",
)


@dataclass(frozen=True)
class Installed:
    """The project as a user installs it: a wheel built from the sources, in its own virtual environment.

    ``bin`` is the environment's script directory (``reconciler`` and ``python`` are in it); ``wheel``
    the built ``.whl``; ``build_log`` what the build backend printed (``pip wheel -v``). All live in
    pytest's temporary directory, outside the repository.
    """

    wheel: Path
    bin: Path
    build_log: Path

    def env(self, **extra: str) -> dict[str, str]:
        """A process environment with only this installation on PATH (no PYTHONPATH, no dev venv)."""
        keep = {k: v for k, v in os.environ.items()
                if k not in ("PYTHONPATH", "VIRTUAL_ENV", "AEM_PASSWORD", "ADOBE_CLIENT_SECRET")}
        path = [p for p in keep.get("PATH", "").split(os.pathsep) if p and Path(p) != Path(sys.executable).parent]
        keep["PATH"] = os.pathsep.join([str(self.bin), *path])
        keep.update(NO_COLOR="1", **extra)
        return keep


def _pip(python: Path, *args: str) -> str:
    """Run pip; returns its output (stdout + stderr). Raises RuntimeError with that output on failure."""
    done = subprocess.run([str(python), "-m", "pip", "--disable-pip-version-check", *args],
                          capture_output=True, text=True, timeout=900)
    if done.returncode:
        raise RuntimeError(f"pip {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout + done.stderr


def build_wheel(dest: Path) -> Path:
    """Build the project's wheel from a copy of the sources into ``dest``; returns the ``.whl`` path.

    Built in a copy so the checkout gets no ``build/`` or ``*.egg-info``; uses pip's isolated build
    (the build backend named in ``pyproject.toml``), as ``pip install .`` does for a user.
    """
    src = dest / "src"
    shutil.copytree(ROOT, src, ignore=_NOT_SOURCE)
    log = _pip(Path(sys.executable), "wheel", "-v", "--no-deps", "-w", str(dest / "dist"), str(src))
    (dest / "build.log").write_text(log)
    (wheel,) = (dest / "dist").glob("aem_assets_reconciler-*.whl")
    return wheel


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel installed into a fresh virtual environment (built once per test run, shared by xdist workers)."""
    shared = tmp_path_factory.getbasetemp().parent / "installed-package"
    shared.mkdir(exist_ok=True)
    with open(shared / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        env_dir = shared / "venv"
        bin_dir = env_dir / "bin"
        if not (shared / "ready").exists():
            shutil.rmtree(shared / "dist", ignore_errors=True)
            shutil.rmtree(shared / "src", ignore_errors=True)
            wheel = build_wheel(shared)
            venv.create(env_dir, with_pip=True, clear=True)
            _pip(bin_dir / "python", "install", "-q", str(wheel))
            (shared / "ready").write_text(str(wheel))
        return Installed(wheel=Path((shared / "ready").read_text()), bin=bin_dir, build_log=shared / "build.log")
