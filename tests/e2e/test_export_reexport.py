"""``reconciler export`` into a directory an earlier export wrote: a filtered export (``--kind``,
``--path-prefix``, ``--exclude``) replaces only the files of the kinds it exports and leaves the
others alone; a filtered export that would drop resources from a file refuses without ``--force``
(the next plan would forget them); every file replaced or removed is named in the output; an
``--exclude`` glob that matches nothing is a warning."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from reconciler.sandbox import reset_world
from tests.helpers import Run

from .clickops import SEED_WORLD, ok
from .conftest import EXPORT_ENV, SANDBOX_CONNECTIONS, clicked_config, embedded_services

CHANGES = ("create", "update", "replace", "delete", "forget")
#: the kind files a full export of ``SEED_WORLD`` writes, besides connections.yaml
KIND_FILES = ("orgs.yaml", "applications.yaml", "cloud_configs.yaml", "application_keys.yaml",
              "replication_agents.yaml", "folders.yaml", "users.yaml", "shares.yaml",
              "creative_cloud_connections.yaml", "workfront_integrations.yaml", "workfront_linked_folders.yaml",
              "workfront_metadata_mappings.yaml")


@pytest.fixture
def clicked(tmp_path: Path) -> Path:
    """A configuration with only the connections (``sandbox://``), whose world is ``SEED_WORLD``
    clicked together through the services' HTTP APIs."""
    return clicked_config(tmp_path / "existing", SEED_WORLD)


def _summary(cli: Run, config: Path) -> dict[str, int]:
    r = cli("plan", config, "-json", env=EXPORT_ENV)
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)["summary"]
    return {k: summary.get(k, 0) for k in (*CHANGES, "adopt")}


def _texts(out: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(out.glob("*.yaml"))}


def _full_export_applied(cli: Run, config: Path, out: Path) -> dict[str, str]:
    r = cli("export", config, "--out", out, env=EXPORT_ENV)
    assert r.exit_code == 0, r.output
    assert "replaced" not in r.output and "removed" not in r.output  # an empty directory: nothing earlier
    assert sorted(_texts(out)) == sorted(("connections.yaml", *KIND_FILES))
    assert cli("apply", out, "--auto-approve", env=EXPORT_ENV).exit_code == 0
    return _texts(out)


def test_kind_filter_leaves_the_other_kinds_files_alone(clicked: Path, cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "infra"
    before = _full_export_applied(cli, clicked, out)
    r = cli("export", clicked, "--out", out, "--kind", "folders", env=EXPORT_ENV)
    assert r.exit_code == 0, r.output
    assert _texts(out) == before  # the same folders: folders.yaml is rewritten as it was, nothing removed
    assert "rewritten unchanged: 2 files: connections.yaml, folders.yaml" in r.output
    assert "left alone (kinds this export does not cover, --kind folders): 11 files: " in r.output
    assert "removed" not in r.output and "forgets" not in r.output
    # the plan still knows every resource (it forgot 19 when the other files were deleted)
    r = cli("plan", out, "-detailed-exitcode", env=EXPORT_ENV)
    assert r.exit_code == 0 and "No changes." in r.output, r.output


def test_kind_filter_replaces_its_kind_file_and_says_so(clicked: Path, cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "infra"
    before = _full_export_applied(cli, clicked, out)

    async def add_folder() -> None:
        async with embedded_services(clicked / ".reconciler" / "sandbox.db") as services:
            ok(await services["aem"].post("/content/dam/new-one", data={"jcr:primaryType": "sling:Folder"}))

    asyncio.run(add_folder())
    r = cli("export", clicked, "--out", out, "--kind", "folders", env=EXPORT_ENV)
    assert r.exit_code == 0, r.output
    assert "replaced (written by an earlier export, new content): 1 file: folders.yaml" in r.output
    assert "  new-one:\n" in (out / "folders.yaml").read_text()
    assert {k: v for k, v in _texts(out).items() if k != "folders.yaml"} == {
        k: v for k, v in before.items() if k != "folders.yaml"}
    assert _summary(cli, out) == {**dict.fromkeys(CHANGES, 0), "adopt": 1}


def test_a_narrowing_filter_refuses_without_force(clicked: Path, cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "infra"
    before = _full_export_applied(cli, clicked, out)
    args = ("export", clicked, "--out", out, "--kind", "folders", "--path-prefix", "/content/dam/campaigns")
    r = cli(*args, env=EXPORT_ENV)
    assert r.exit_code == 1
    assert ("folders.yaml holds 6 folders an earlier export wrote; this export (--kind folders --path-prefix"
            " /content/dam/campaigns) would write 3 of them, so the next plan would forget the other 3"
            " (folders.archive, folders.mc-demo, folders.we-retail); nothing was written") in r.output
    assert "pass --force" in r.output
    assert _texts(out) == before

    r = cli(*args, "--force", env=EXPORT_ENV)
    assert r.exit_code == 0, r.output
    assert ("folders.yaml now holds 3 of the 6 folders it held; the next plan forgets the other 3 (they stay"
            " in the services): folders.archive, folders.mc-demo, folders.we-retail") in r.output
    assert "replaced (written by an earlier export, new content): 1 file: folders.yaml" in r.output
    assert {k: v for k, v in _texts(out).items() if k != "folders.yaml"} == {
        k: v for k, v in before.items() if k != "folders.yaml"}
    # shares.yaml (left alone) still names folders.mc-demo: the export's validate says so
    assert "folders.mc-demo" in r.output and "validate reports" in r.output


def test_an_exclude_that_drops_resources_refuses_too(clicked: Path, cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "infra"
    before = _full_export_applied(cli, clicked, out)
    r = cli("export", clicked, "--out", out, "--exclude", "replication_agents.flush-*", env=EXPORT_ENV)
    assert r.exit_code == 1
    assert "replication_agents.yaml holds 5 replication_agents an earlier export wrote" in r.output
    assert "forget the other 1 (replication_agents.flush-cdn)" in r.output
    assert _texts(out) == before


def test_connections_yaml_losing_a_connection_refuses(clicked: Path, cli: Run, tmp_path: Path) -> None:
    """A filtered export from a configuration with fewer connections would leave the kept files naming
    connections connections.yaml no longer declares."""
    out = tmp_path / "infra"
    before = _full_export_applied(cli, clicked, out)
    aem_only = tmp_path / "aem-only"
    aem_only.mkdir()
    (aem_only / "main.yaml").write_text("\n".join(
        line for line in SANDBOX_CONNECTIONS.splitlines() if not line.startswith("  ") or "type: aem" in line))
    (aem_only / ".reconciler").mkdir()
    (aem_only / ".reconciler" / "sandbox.db").symlink_to(clicked / ".reconciler" / "sandbox.db")
    r = cli("export", aem_only, "--out", out, "--kind", "folders", env=EXPORT_ENV)
    assert r.exit_code == 1
    assert "connections.yaml holds 3 connections an earlier export wrote" in r.output
    assert "connections.adobe, connections.wf" in r.output
    assert _texts(out) == before


def test_an_unfiltered_reexport_names_the_files_it_removes(clicked: Path, cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "infra"
    _full_export_applied(cli, clicked, out)
    reset_world(clicked / ".reconciler" / "sandbox.db")  # the services now hold only the seeds
    r = cli("export", clicked, "--out", out, env=EXPORT_ENV)
    assert r.exit_code == 0, r.output  # not filtered: the services are the truth, nothing refused
    removed = [line for line in r.output.splitlines() if line.startswith("  removed")]
    assert len(removed) == 1, r.output
    assert "its kind has nothing to export now" in removed[0] and "shares.yaml" in removed[0]
    assert "folders.yaml now holds 1 of the 6 folders it held; the next plan forgets the other 5" in r.output
    for name in removed[0].split(": ", 1)[1].split(", "):
        if " and " not in name:
            assert not (out / name).exists()


def test_exclude_globs_that_match_nothing_are_warnings(clicked: Path, cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = cli("export", clicked, "--out", out, "--kind", "folders",
            "--exclude", "folders.campaigns*", "--exclude", "folders.Archive", "--exclude", "folders.nope-*",
            "--exclude", "users.*", env=EXPORT_ENV)
    assert r.exit_code == 0, r.output
    assert "folders 3." in r.output and "left out by the filters: 3 folders" in r.output
    assert "campaigns" not in r.stderr  # it matched: no warning
    assert "warning: --exclude 'folders.Archive' matched nothing: did you mean 'folders.archive'?" in r.stderr
    assert "warning: --exclude 'folders.nope-*' matched nothing: the exported names are like folders." in r.stderr
    assert "warning: --exclude 'users.*' matched nothing: users is not exported (--kind)" in r.stderr
    assert "warning" not in r.stdout
