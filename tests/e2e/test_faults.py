"""Interrupted and throttled applies converge without duplicates (sandbox fault injection)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler import sandbox
from tests.helpers import Run


def _db(path: Path) -> Path:
    return path / ".reconciler" / "sandbox.db"


def _no_duplicates(db: Path) -> None:
    counts = sandbox.world_counts(db)
    text = json.dumps(counts)
    assert [n for key, n in counts["projects"].items() if key.endswith("/assets-sync")] == [1], text
    assert all(n == 1 for n in counts["credentials"].values()), text
    assert all(n == 1 for n in counts["bindings"].values()), text
    assert all(n == 1 for n in counts["binding_fingerprints"].values()), text
    assert sorted(a for a in counts["agents"] if a.startswith("mac-sync")) == [
        "mac-sync-assets-sync", "mac-sync-assets-sync-1"], text


def _writes_of_a_clean_apply(tmp_path: Path, cli: Run, quickstart: Path) -> int:
    import shutil

    probe = tmp_path / "probe"
    shutil.copytree(quickstart, probe)
    sandbox.set_faults(_db(probe), crash_after_writes=10_000)
    out = cli("apply", "--auto-approve", probe)
    assert out.exit_code == 0, out.output
    return int(sandbox.get_faults(_db(probe)).get("writes", 0))


def test_crash_after_every_n_writes_then_rerun_converges(quickstart: Path, cli: Run, tmp_path: Path) -> None:
    import shutil

    total = _writes_of_a_clean_apply(tmp_path, cli, quickstart)
    assert total >= 5, "the quickstart should write several times"
    for n in range(1, total + 1):
        work = tmp_path / f"crash-{n}"
        shutil.copytree(quickstart, work)
        sandbox.set_faults(_db(work), crash_after_writes=n)
        crashed = cli("apply", "--auto-approve", work)
        assert crashed.exit_code == 1, f"n={n}: {crashed.output}"
        assert "Traceback" not in crashed.output
        sandbox.clear_faults(_db(work))
        rerun = cli("apply", "--auto-approve", work)
        assert rerun.exit_code == 0, f"n={n}: {rerun.output}"
        final = cli("plan", "--detailed-exitcode", work)
        assert final.exit_code == 0, f"n={n}: {final.output}"
        _no_duplicates(_db(work))


@pytest.mark.parametrize("status", [429, 503])
def test_throttling_and_server_errors_are_retried(quickstart: Path, cli: Run, status: int) -> None:
    sandbox.set_faults(_db(quickstart), fail_next=3, fail_status=status, retry_after=0)
    out = cli("apply", "--auto-approve", quickstart)
    assert out.exit_code == 0, out.output
    assert sandbox.get_faults(_db(quickstart)).get("fail_next", 0) == 0  # the faults were really hit
    assert cli("plan", "--detailed-exitcode", quickstart).exit_code == 0
