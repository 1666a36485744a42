"""What is knowable offline is caught by validate (issue 10 item 6), each at its file:line:col.

Each configuration in examples/invalid/ named in EXPECTED breaks exactly one of the rules of
reconciler/rules/{identity,scopes,agents,references,cycles,environments}.py; the other tests build
small configurations in a temporary directory.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler import rules
from reconciler.cli import main
from reconciler.config.diagnostics import Diagnostic
from reconciler.config.loader import load_config
from reconciler.kinds import REGISTRY
from reconciler.rules.environments import environment, normalise_url
from tests.helpers import ROOT

INVALID = ROOT / "examples" / "invalid"

# file -> (line:col of the error, substrings its formatted text must contain)
EXPECTED: dict[str, tuple[str, list[str]]] = {
    "unknown_scope": ("20:14", ["unknown scope 'dam-reed' in applications.assets-sync",
                                "known scopes: dam-read, dam-sync, dam-write, cc-share",
                                "did you mean 'dam-read'?"]),
    "sync_application_lacks_scope": ("20:13", [
        "applications.assets-sync lacks scope cc-share, but cloud_configs.assets-sync synchronizes with it",
        "Test Connection of the mac-sync agents would fail",
        "used by cloud_configs.assets-sync (", "sync_application_lacks_scope.yaml:26:16)",
        "add cc-share to the scopes of applications.assets-sync"]),
    "reference_wrong_attribute": ("25:16", [
        "client_id is fed ${applications.assets-sync.credential_id}, which is the Developer Console credential's id",
        "expected: ${applications.<name>.application_id}",
        "hint: client_id: ${applications.assets-sync.application_id}"]),
    "agent_not_created": ("30:11", [
        "replication_agents.mac-sync is agent 'mac-sync-assets', which cloud_configs.assets-sync does not create",
        "AEM creates mac-sync-assets-sync and mac-sync-assets-sync-1 for it",
        "agent_not_created.yaml:22:3", "hint: name: mac-sync-assets-sync"]),
    "creative_cloud_same_aem": ("23:3", [
        "two Creative Cloud connections for AEM connection 'author-ops'",
        "(connections 'author' and 'author-ops' both reach https://author.acme.example)",
        "creative_cloud_connections.assets (", "creative_cloud_same_aem.yaml:20:3)"]),
    "duplicate_folder": ("12:3", [
        "folders.demo and folders.mc-demo declare the same folder",
        "AEM 'http://localhost:4502', path '/content/dam/mc-demo'",
        "folders.mc-demo is declared at", "duplicate_folder.yaml:10:3"]),
    "dependency_cycle": ("11:18", [
        "dependency cycle: folders.a -> folders.b -> folders.a",
        "folders.a waits for folders.b: depends_on.0 at", "dependency_cycle.yaml:11:18",
        "folders.b waits for folders.a: title at", "dependency_cycle.yaml:14:12"]),
}

AEM = "  author: {type: aem, url: sandbox://aem, username: admin, password: admin}\n"
ADOBE = (
    "  adobe: {type: adobe, ims_url: sandbox://ims, console_url: sandbox://console,"
    " client_id: 5f0c2ab1d3e94c7a8b6d1e2f3a4b5c6d, client_secret: p8e-SandboxReconcilerSecret0123456789ab}\n"
)
ORGS = "orgs:\n  acme: {connection: adobe, ims_org_id: A1B2C3D4E5F6A7B8C9D0E1F2@AdobeOrg}\n"


def errors_of(path: Path) -> list[Diagnostic]:
    loaded = load_config(path, kinds=REGISTRY, environ={})
    return [d for d in rules.check(loaded) if d.severity == "error"]


def assert_at(diag: Diagnostic, path: Path, line_has: str, value: str | None = None) -> None:
    """``diag`` is at the first line of ``path`` containing ``line_has``, at ``value`` on it (at the
    line's first non-blank character when ``value`` is None)."""
    lines = path.read_text().splitlines()
    line = next(i for i, text in enumerate(lines) if line_has in text)
    text = lines[line]
    col = text.index(value) if value is not None else len(text) - len(text.lstrip())
    assert diag.loc is not None and (diag.loc.file, diag.loc.line, diag.loc.col) == (str(path), line + 1, col + 1), (
        diag.format()
    )


def write(tmp_path: Path, body: str, connections: str = AEM + ADOBE) -> Path:
    path = tmp_path / "main.yaml"
    path.write_text("version: 1\nconnections:\n" + connections + body)
    return path


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_invalid_example_breaks_its_rule(name: str) -> None:
    where, needles = EXPECTED[name]
    path = INVALID / f"{name}.yaml"
    assert path.read_text().startswith("# An invalid configuration, used by tests/rules/test_offline_rules.py")
    found = errors_of(path)
    assert len(found) == 1, "\n".join(d.format() for d in found)
    text = found[0].format()
    assert found[0].loc is not None and str(found[0].loc).endswith(f"{name}.yaml:{where}"), text
    for needle in needles:
        assert needle in text, f"{needle!r} not in:\n{text}"


@pytest.mark.parametrize("example", ["quickstart", "workfront", "creative-cloud"])
def test_the_examples_stay_valid(example: str) -> None:
    assert [d.format() for d in errors_of(ROOT / "examples" / example)] == []


# -- environments ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://Author.Example.com:443/", "https://author.example.com"),
        ("HTTP://localhost:80", "http://localhost/"),
        ("http://localhost:4502//", "http://localhost:4502"),
        ("sandbox://aem/", "sandbox://aem"),
    ],
)
def test_urls_that_name_one_aem_normalise_alike(a: str, b: str) -> None:
    assert normalise_url(a) == normalise_url(b)


def test_other_ports_and_paths_stay_apart() -> None:
    assert normalise_url("http://localhost:4502") != normalise_url("http://localhost:4503")
    assert normalise_url("https://a.example/Author") != normalise_url("https://a.example/author")
    assert normalise_url("http://a.example") != normalise_url("https://a.example")


def test_native_and_connector_on_two_connections_to_one_aem(tmp_path: Path) -> None:
    conns = (
        "  a1: {type: aem, url: 'https://author.acme.example/', username: u, password: '${env:P:-p}'}\n"
        "  a2: {type: aem, url: 'https://AUTHOR.acme.example:443', username: u, password: '${env:P:-p}'}\n"
        "  wf: {type: workfront, url: sandbox://workfront, auth: api_key, api_key: '${env:K:-k}'}\n"
    )
    path = write(
        tmp_path,
        "workfront_integrations:\n"
        "  native: {workfront: wf, type: native, aem: [a1], repository: r}\n"
        "  conn:\n    workfront: wf\n    type: enhanced_connector\n    aem: [a2]\n    connector_version: 1.8.2\n",
        conns,
    )
    loaded = load_config(path, kinds=REGISTRY, environ={})
    assert environment(loaded, "a1") == environment(loaded, "a2") == "https://author.acme.example"
    found = [d for d in errors_of(path) if "in parallel" in d.summary]
    assert len(found) == 1 and found[0].address == "workfront_integrations.conn"
    assert_at(found[0], path, "type: enhanced_connector", "enhanced_connector")
    assert "on the same AEM environment https://author.acme.example" in found[0].summary


def test_a_share_through_a_second_connection_to_the_folders_aem_is_fine(tmp_path: Path) -> None:
    conns = (
        "  a1: {type: aem, url: 'http://localhost:4502', username: u, password: '${env:P:-p}'}\n"
        "  a2: {type: aem, url: 'http://LOCALHOST:4502/', username: v, password: '${env:P:-p}'}\n" + ADOBE
    )
    path = write(
        tmp_path,
        ORGS + "applications:\n  app: {org: acme}\n"
        "cloud_configs:\n  c: {connection: a2, tenant_url: 'https://acme.experiencecloud.adobe.com',"
        " client_id: '${applications.app.application_id}'}\n"
        "folders:\n  f: {connection: a1}\n"
        "shares:\n  s: {folder: f, target: experience_cloud, cloud_config: c}\n",
        conns,
    )
    assert [d.format() for d in errors_of(path)] == []


# -- natural keys -----------------------------------------------------------------------------


def test_two_users_with_one_org_and_email_name_both_places(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        ORGS + "users:\n  jane: {org: acme, email: jane@acme.example}\n"
        "  jane2: {org: acme, email: Jane@ACME.example}\n",
    )
    (found,) = errors_of(path)
    assert_at(found, path, "jane2:")
    assert "users.jane2 and users.jane declare the same user (org 'acme', email 'jane@acme.example')" in found.summary
    assert "users.jane is declared at" in found.detail and "main.yaml:8:3" in found.detail


def test_two_shares_of_one_folder_and_target(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        ORGS + "applications:\n  app: {org: acme}\n"
        "cloud_configs:\n  c: {connection: author, tenant_url: 'https://acme.experiencecloud.adobe.com',"
        " client_id: '${applications.app.application_id}'}\n"
        "folders:\n  f: {connection: author}\n"
        "shares:\n  s1: {folder: f, target: experience_cloud, cloud_config: c}\n"
        "  s2: {folder: f, target: experience_cloud, cloud_config: c}\n"
        "  s3: {folder: f, target: creative_cloud, members: [{user: u, role: viewer}]}\n"
        "users:\n  u: {org: acme, email: u@acme.example}\n",
    )
    (found,) = errors_of(path)
    assert_at(found, path, "s2:")
    assert "shares.s2 and shares.s1 declare the same share (folder 'f', target 'experience_cloud')" in found.summary
    assert "main.yaml:14:3" in found.detail


def test_two_applications_with_one_project_name(tmp_path: Path) -> None:
    path = write(tmp_path, ORGS + "applications:\n  a: {org: acme, name: sync}\n  sync: {org: acme}\n")
    (found,) = errors_of(path)
    assert_at(found, path, "sync: {org")
    assert "applications.sync and applications.a declare the same application" in found.summary
    assert "project name 'sync'" in found.summary


def test_different_paths_and_aems_are_different_folders(tmp_path: Path) -> None:
    conns = AEM + "  other: {type: aem, url: 'http://localhost:4503', username: u, password: '${env:P:-p}'}\n"
    path = write(
        tmp_path,
        "folders:\n  a: {connection: author}\n  b: {connection: author, path: /content/dam/b}\n"
        "  c: {connection: other, path: /content/dam/a}\n",
        conns,
    )
    assert errors_of(path) == []


# -- scopes -----------------------------------------------------------------------------------


def test_an_application_nobody_syncs_with_may_have_fewer_scopes(tmp_path: Path) -> None:
    path = write(tmp_path, ORGS + "applications:\n  a: {org: acme, scopes: [dam-read]}\n")
    assert errors_of(path) == []


def test_unknown_scope_without_a_near_name_lists_the_known_ones(tmp_path: Path) -> None:
    path = write(tmp_path, ORGS + "applications:\n  a:\n    org: acme\n    scopes: [openid]\n")
    (found,) = errors_of(path)
    assert_at(found, path, "scopes:", "openid")
    assert found.hint == "use one of: dam-read, dam-sync, dam-write, cc-share"


def test_the_plan_time_scope_warning_is_gone() -> None:
    from reconciler.kinds.applications import ApplicationProvider

    provider = ApplicationProvider.__new__(ApplicationProvider)
    spec = provider.parse("applications.a", {"org": "acme", "scopes": ["dam-read"]})
    assert provider.notes("applications.a", spec, None) == []


# -- agents, references, cycles ---------------------------------------------------------------


def test_agent_names_follow_the_configuration_name(tmp_path: Path) -> None:
    cfg = (
        ORGS + "applications:\n  app: {org: acme}\n"
        "cloud_configs:\n  c:\n    connection: author\n    name: sync\n"
        "    tenant_url: https://acme.experiencecloud.adobe.com\n    client_id: ${applications.app.application_id}\n"
    )
    ok = write(
        tmp_path,
        cfg + "replication_agents:\n  a: {connection: author, name: mac-sync-sync, created_by: c}\n"
        "  mac-sync-sync-1: {connection: author, created_by: c}\n",
    )
    assert errors_of(ok) == []
    bad = write(tmp_path, cfg + "replication_agents:\n  mac-sync-c: {connection: author, created_by: c}\n")
    (found,) = errors_of(bad)
    assert_at(found, bad, "mac-sync-c:")  # no name: the resource name is the agent's name
    assert "is agent 'mac-sync-c', which cloud_configs.c does not create" in found.summary
    assert "AEM creates mac-sync-sync and mac-sync-sync-1" in found.summary


def test_an_agent_on_another_aem_than_its_configuration(tmp_path: Path) -> None:
    conns = AEM + ADOBE + "  other: {type: aem, url: 'http://localhost:4503', username: u, password: '${env:P:-p}'}\n"
    path = write(
        tmp_path,
        ORGS + "applications:\n  app: {org: acme}\n"
        "cloud_configs:\n  c: {connection: author, tenant_url: 'https://acme.experiencecloud.adobe.com',"
        " client_id: '${applications.app.application_id}'}\n"
        "replication_agents:\n  mac-sync-c:\n    connection: other\n    created_by: c\n",
        conns,
    )
    (found,) = errors_of(path)
    assert_at(found, path, "connection: other", "other")
    assert "replication_agents.mac-sync-c is on AEM http://localhost:4503, but cloud_configs.c" in found.summary


def test_a_certificate_fed_by_the_configurations_path(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        ORGS + "applications:\n  app: {org: acme}\n"
        "cloud_configs:\n  c: {connection: author, tenant_url: 'https://acme.experiencecloud.adobe.com',"
        " client_id: '${applications.app.application_id}'}\n"
        "application_keys:\n  k:\n    application: app\n    certificate: ${cloud_configs.c.path}\n",
    )
    (found,) = errors_of(path)
    assert_at(found, path, "certificate:", "${")
    assert "certificate is fed ${cloud_configs.c.path}, which is the configuration's JCR path" in found.summary
    assert found.hint == "certificate: ${cloud_configs.c.public_key}"


def test_a_client_id_fed_by_another_kind(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        ORGS + "cloud_configs:\n  c:\n    connection: author\n    tenant_url: https://acme.experiencecloud.adobe.com\n"
        "    client_id: ${orgs.acme.ims_org_id}\n",
    )
    (found,) = errors_of(path)
    assert_at(found, path, "client_id: ${orgs", "${")
    assert "attribute 'ims_org_id' of orgs" in found.summary
    assert found.hint == "client_id: ${applications.<name>.application_id}"


def test_a_cycle_through_a_typed_reference_and_three_resources(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        ORGS + "applications:\n  app:\n    org: acme\n    depends_on: [folders.f]\n"
        "cloud_configs:\n  c:\n    connection: author\n    tenant_url: https://acme.experiencecloud.adobe.com\n"
        "    client_id: ${applications.app.application_id}\n"
        "folders:\n  f:\n    connection: author\n    title: ${cloud_configs.c.name}\n",
    )
    (found,) = errors_of(path)
    assert found.summary == "dependency cycle: applications.app -> folders.f -> cloud_configs.c -> applications.app"
    assert_at(found, path, "depends_on: [folders.f]", "folders.f")
    lines = found.detail.splitlines()
    assert lines[0] == f"applications.app waits for folders.f: depends_on.0 at {path}:10:18"
    assert lines[1] == f"folders.f waits for cloud_configs.c: title at {path}:19:12"
    assert lines[2] == f"cloud_configs.c waits for applications.app: client_id at {path}:15:16"


def test_an_acyclic_configuration_has_no_cycle(tmp_path: Path) -> None:
    path = write(tmp_path, "folders:\n  a: {connection: author}\n  b:\n    connection: author\n    depends_on: [folders.a]\n")
    assert errors_of(path) == []


def test_validate_prints_the_cycle_and_exits_1() -> None:
    out = CliRunner().invoke(main, ["validate", str(INVALID / "dependency_cycle.yaml")])
    assert out.exit_code == 1
    assert "dependency_cycle.yaml:11:18: error: dependency cycle: folders.a -> folders.b -> folders.a" in out.output


@pytest.mark.parametrize("name", ["duplicate_folder", "sync_application_lacks_scope", "unknown_scope",
                                  "reference_wrong_attribute", "agent_not_created", "creative_cloud_same_aem"])
def test_validate_refuses_it_through_the_cli_before_any_network_call(name: str, tmp_path: Path) -> None:
    """Through the CLI, as a user runs it (secrets unset): exit 1, the place and the rule's words."""
    where, needles = EXPECTED[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text((INVALID / f"{name}.yaml").read_text())
    out = CliRunner().invoke(main, ["validate", str(path)], env={"AEM_PASSWORD": None, "ADOBE_CLIENT_SECRET": None})
    assert out.exit_code == 1, out.output
    assert f"{name}.yaml:{where}: error: " in out.output, out.output
    for needle in needles:
        assert needle in out.output
    assert not (tmp_path / ".reconciler" / "sandbox.db").exists()  # nothing was contacted, not even the sandbox
