"""Many linked folders on one Workfront project, created at once behind network latency.

Every create looks the project up by name; under latency they overlap, and none may read the
lookup's in-flight state as "Workfront has no project named ...".
"""

from __future__ import annotations

import shutil
from pathlib import Path

from reconciler.sandbox import set_faults
from tests.helpers import EXAMPLES, Run

N = 24


def test_concurrent_linked_folder_creates_under_latency_all_succeed(tmp_path: Path, cli: Run) -> None:
    dest = tmp_path / "workfront"
    shutil.copytree(EXAMPLES / "workfront", dest, ignore=shutil.ignore_patterns(".reconciler"))
    extra = ["folders:"]
    for i in range(N):
        extra += [f"  burst-{i}:", "    connection: author", f"    path: /content/dam/workfront/burst-{i}",
                  "    ordered: false"]
    extra.append("workfront_linked_folders:")
    for i in range(N):
        extra += [f"  burst-{i}:", "    integration: aem-cloud", "    object: project", "    name: Spring Launch",
                  f"    folder: ${{folders.burst-{i}.path}}", f"    folder_name: Burst {i}"]
    (dest / "burst.yaml").write_text("\n".join(extra) + "\n")
    assert cli("validate", dest).exit_code == 0
    set_faults(dest / ".reconciler" / "sandbox.db", latency_ms=40)

    applied = cli("apply", "--auto-approve", "--parallelism", "16", dest)
    assert applied.exit_code == 0, applied.output
    assert "no project named" not in applied.output
    assert applied.output.count("workfront_linked_folders.burst-") >= N
    again = cli("plan", "--detailed-exitcode", dest)
    assert again.exit_code == 0, again.output
