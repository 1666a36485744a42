"""Terraform's single-dash spellings (``-auto-approve``, ``-target=ADDR``...) next to the GNU ones,
and the global options (``-v``, ``-no-color``, ``-chdir``) before or after the subcommand."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.helpers import QUICKSTART, Run

TARGET = "cloud_configs.assets-sync"

# (setup run first in both copies, Terraform spelling, GNU spelling); {d} is the copy's directory
CASES = [
    ((), ("plan", "-detailed-exitcode", "{d}"), ("plan", "--detailed-exitcode", "{d}")),
    ((), ("plan", "-json", "{d}"), ("plan", "--json", "{d}")),
    ((), ("plan", f"-target={TARGET}", "{d}"), ("plan", "--target", TARGET, "{d}")),
    ((), ("plan", "-target", TARGET, "{d}"), ("plan", f"--target={TARGET}", "{d}")),
    ((), ("plan", "-out={d}/p.plan", "{d}"), ("plan", "--out", "{d}/p.plan", "{d}")),
    ((), ("plan", "-refresh-only", "{d}"), ("plan", "--refresh-only", "{d}")),
    ((), ("plan", "-lock=false", "-lock-timeout=2s", "{d}"), ("plan", "--lock", "false", "--lock-timeout", "2s", "{d}")),
    ((), ("plan", "-format=markdown", "{d}"), ("plan", "--format", "markdown", "{d}")),
    ((), ("plan", "-no-color", "{d}"), ("plan", "--no-color", "{d}")),
    ((), ("-no-color", "plan", "{d}"), ("plan", "{d}", "--no-color")),
    ((), ("-chdir={d}", "plan"), ("--chdir", "{d}", "plan")),
    ((), ("plan", "-chdir={d}"), ("plan", "--chdir={d}")),
    ((), ("plan", "-v", "{d}"), ("-v", "plan", "{d}")),
    ((), ("plan", "{d}", "-v"), ("--verbose", "plan", "{d}")),
    ((), ("apply", "-auto-approve", "-parallelism=2", "{d}"), ("apply", "--auto-approve", "--parallelism", "2", "{d}")),
    ((("apply", "--auto-approve", "{d}"),), ("plan", "-replace=folders.mc-demo", "{d}"),
     ("plan", "--replace", "folders.mc-demo", "{d}")),
    ((("apply", "--auto-approve", "{d}"),), ("plan", "-destroy", "{d}"), ("plan", "--destroy", "{d}")),
    ((("apply", "--auto-approve", "{d}"),), ("destroy", "-auto-approve", "{d}"), ("destroy", "--auto-approve", "{d}")),
    ((("apply", "--auto-approve", "{d}"),), ("apply", "-destroy", "-auto-approve", "{d}"),
     ("destroy", "--auto-approve", "{d}")),
    ((("apply", "--auto-approve", "{d}"),), ("apply", "-refresh-only", "-auto-approve", "{d}"),
     ("apply", "--refresh-only", "--auto-approve", "{d}")),
    ((("apply", "--auto-approve", "{d}"),), ("drift", "-detailed-exitcode", "{d}"),
     ("drift", "--detailed-exitcode", "{d}")),
    ((("apply", "--auto-approve", "{d}"),), ("drift", "-accept", "{d}"), ("drift", "--accept", "{d}")),
    ((("apply", "--auto-approve", "{d}"),), ("show", "-json", "-c", "{d}"), ("show", "--json", "--config", "{d}")),
    ((("apply", "--auto-approve", "{d}"),), ("output", "-json", "-config={d}"), ("output", "--json", "-c", "{d}")),
    ((), ("version", "-json"), ("version", "--json")),
    ((("apply", "--auto-approve", "{d}"),), ("export", "{d}", "-out={d}/x", "-kind=folders"),
     ("export", "{d}", "--out", "{d}/x", "--kind", "folders")),
    ((("apply", "--auto-approve", "{d}"),), ("import", "-config={d}", "folders.mc-demo", "/content/dam/mc-demo"),
     ("import", "--config", "{d}", "folders.mc-demo", "/content/dam/mc-demo")),
    ((), ("validate", "-recursive", "{d}"), ("validate", "--recursive", "{d}")),
]


def _normal(text: str, d: Path) -> str:
    """Output with what legitimately differs between two runs masked: the directory, durations,
    identifiers the sandbox generates, state lineages."""
    text = text.replace(str(d), "<DIR>")
    text = re.sub(r"\d+\.\d+s|\d+ ms", "<T>", text)
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<UUID>", text)
    text = re.sub(r"\b[0-9a-fA-F]{16,}\b", "<HEX>", text)
    text = re.sub(r"\b\d{5,}\b", "<N>", text)
    text = re.sub(r"-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----", "<CERT>", text)
    if "reconciler.http" in text:  # concurrent requests: their order varies from run to run
        text = "\n".join(sorted(text.splitlines()))
    return text


def _copy(tmp_path: Path, name: str) -> Path:
    dest = tmp_path / name
    shutil.copytree(QUICKSTART, dest, ignore=shutil.ignore_patterns(".reconciler"))
    return dest


@pytest.mark.parametrize(("setup", "terraform", "gnu"), CASES, ids=[" ".join(c[1]) for c in CASES])
def test_terraform_spelling_behaves_as_gnu(
    tmp_path: Path, cli: Run, setup: tuple[tuple[str, ...], ...], terraform: tuple[str, ...], gnu: tuple[str, ...]
) -> None:
    results = []
    for name, args in (("tf", terraform), ("gnu", gnu)):
        d = _copy(tmp_path, name)
        for step in setup:
            assert cli(*(a.format(d=d) for a in step)).exit_code == 0
        out = cli(*(a.format(d=d) for a in args))
        assert "No such option" not in out.output and "Usage:" not in out.output, out.output
        files = sorted(p.name for p in d.iterdir())
        results.append((out.exit_code, _normal(out.output, d), files))
    assert results[0] == results[1]
    assert results[0][0] in (0, 2), results[0][1]


def test_auto_approve_was_misread_as_dash_a(quickstart: Path, cli: Run) -> None:
    out = cli("apply", "-auto-approve", quickstart)
    assert out.exit_code == 0 and "Apply complete!" in out.output


def test_global_options_after_subcommand(quickstart: Path, cli: Run) -> None:
    out = cli("plan", quickstart, "-v")
    assert out.exit_code == 0 and "reconciler.http" in out.output
    bodies = cli("validate", quickstart, "-vv")
    assert bodies.exit_code == 0
    assert cli("plan", quickstart, "-chdir", str(quickstart)).exit_code == 0
    # nothing after `--` is taken as a global option
    assert cli("validate", "--", "-v").exit_code != 0


def test_target_warning_names_an_accepted_spelling(quickstart: Path, cli: Run) -> None:
    out = cli("plan", "-target", TARGET, quickstart)
    warned = re.search(r"Use (-+target)", out.output)
    assert warned, out.output
    again = cli("plan", f"{warned.group(1)}={TARGET}", quickstart)
    assert again.exit_code == 0 and "resource targeting is in effect" in again.output


def test_chdir_restores_the_working_directory(quickstart: Path, cli: Run) -> None:
    before = Path.cwd()
    assert cli("-chdir", quickstart, "validate").exit_code == 0
    assert Path.cwd() == before


def test_reconciler_log_is_verbose(quickstart: Path, cli: Run) -> None:
    quiet = cli("plan", quickstart)
    assert "reconciler.http" not in quiet.output
    traced = cli("plan", quickstart, env={"RECONCILER_LOG": "debug"})
    assert traced.exit_code == 0 and "reconciler.http: " in traced.output
