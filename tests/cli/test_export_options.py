"""``reconciler export`` option checks made before any request: an ``--exclude`` glob without a kind
part, or whose kind part names no kind, is refused (exit 1, like a ``--kind`` typo) with the
expected form ``KIND.NAME-GLOB`` and a did-you-mean."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import Run

#: connections no request can reach: a refusal that reads them would fail with a connection error
UNREACHABLE = """version: 1
connections:
  author: {type: aem, url: 'http://127.0.0.1:9', username: admin, password: secret}
"""


@pytest.mark.parametrize(("pattern", "expected"), [
    ("tmp-*", "'tmp-*' has no kind: the form is KIND.NAME-GLOB, e.g. 'folders.tmp-*' (or '*.tmp-*' for every kind)"),
    ("folder.tmp-*", "'folder.tmp-*' names no kind 'folder'; did you mean 'folders.tmp-*'?"),
    ("sahres.x", "'sahres.x' names no kind 'sahres'; did you mean 'shares.x'?"),
])
def test_an_exclude_glob_without_a_kind_is_refused_before_any_request(
    cli: Run, tmp_path: Path, pattern: str, expected: str
) -> None:
    config = tmp_path / "cfg"
    config.mkdir()
    (config / "main.yaml").write_text(UNREACHABLE)
    out = tmp_path / "out"
    r = cli("export", config, "--out", out, "--exclude", "folders.ok-*", "--exclude", pattern)
    assert r.exit_code == 1
    assert f"Invalid value for --exclude: {expected}" in r.stderr
    assert "127.0.0.1" not in r.output and not out.exists()  # nothing read, nothing written


def test_a_kind_typo_is_refused_the_same_way(cli: Run, tmp_path: Path) -> None:
    config = tmp_path / "cfg"
    config.mkdir()
    (config / "main.yaml").write_text(UNREACHABLE)
    r = cli("export", config, "--out", tmp_path / "out", "--kind", "folder")
    assert r.exit_code == 1 and "Invalid value for '--kind'" in r.stderr
