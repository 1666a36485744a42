"""Loader tests with toy kinds (tests/config/conftest.py): happy path, every error, positions."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CONNECTIONS_YAML, TOY_KINDS, CloudConfigSpec, ShareSpec, Writer

from reconciler.config import (
    AttrRef,
    ConfigError,
    Diagnostic,
    LoadedConfig,
    SourceLoc,
    load_config,
)

HEADER = "version: 1\n" + CONNECTIONS_YAML

FULL = (
    HEADER
    + """\
orgs:
  acme:
    ims_org_id: 0123456789abcdef01234567@AdobeOrg
applications:
  assets-sync:
    org: acme
    title: Assets sync
cloud_configs:
  mac:
    connection: aem
    client_id: ${applications.assets-sync.application_id}
    tenant_url: https://acme.experiencecloud.adobe.com
application_keys:
  key1:
    application: assets-sync
    certificate: ${cloud_configs.mac.public_key}
    depends_on: [orgs.acme]
    lifecycle: {prevent_destroy: true}
users:
  bob: {org: acme, email: bob@example.com}
folders:
  f1:
    path: /content/dam/f1
shares:
  s1:
    folder: f1
    members:
      - user: bob
        role: owner
    watchers: [bob]
"""
)


def load(path: Path, environ: dict[str, str] | None = None, *, recursive: bool = False) -> LoadedConfig:
    return load_config(path, kinds=TOY_KINDS, environ=environ or {}, recursive=recursive)


def errors_of(path: Path, environ: dict[str, str] | None = None) -> list[Diagnostic]:
    with pytest.raises(ConfigError) as info:
        load(path, environ)
    errs = [d for d in info.value.diagnostics if d.severity == "error"]
    assert errs, "ConfigError without errors"
    return errs


def only_error(path: Path, environ: dict[str, str] | None = None) -> Diagnostic:
    errs = errors_of(path, environ)
    assert len(errs) == 1, "\n".join(d.format() for d in errs)
    return errs[0]


# -- happy path ------------------------------------------------------------------------------


def test_full_config_loads_with_addresses_edges_and_locations(write: Writer) -> None:
    path = write("main.yaml", FULL)
    cfg = load(path)
    assert cfg.version == 1
    assert cfg.root == path.parent
    assert cfg.files == [path]
    assert list(cfg.resources) == [
        "orgs.acme",
        "applications.assets-sync",
        "cloud_configs.mac",
        "application_keys.key1",
        "users.bob",
        "folders.f1",
        "shares.s1",
    ]
    r = cfg.resources
    assert r["applications.assets-sync"].depends_on == {"orgs.acme"}
    assert r["cloud_configs.mac"].depends_on == {"applications.assets-sync"}
    assert r["cloud_configs.mac"].attr_refs == [("client_id", AttrRef("applications", "assets-sync", "application_id"))]
    key = r["application_keys.key1"]
    assert key.depends_on == {"applications.assets-sync", "cloud_configs.mac", "orgs.acme"}
    assert key.lifecycle.prevent_destroy is True
    assert "depends_on" not in key.data and "lifecycle" not in key.data
    assert r["shares.s1"].depends_on == {"folders.f1", "users.bob"}
    assert r["orgs.acme"].lifecycle.prevent_destroy is False
    # spec is validated, reference strings stay literal
    mac = r["cloud_configs.mac"]
    assert isinstance(mac.spec, CloudConfigSpec)
    assert mac.spec.client_id == "${applications.assets-sync.application_id}"
    assert isinstance(r["shares.s1"].spec, ShareSpec)
    # positions
    assert mac.address == "cloud_configs.mac" and mac.kind == "cloud_configs" and mac.name == "mac"
    assert mac.loc == SourceLoc(str(path), 23, 3)
    assert mac.field_locs["client_id"] == SourceLoc(str(path), 25, 16)
    share = r["shares.s1"]
    assert share.field_locs["members.0.role"] == SourceLoc(str(path), 43, 15)
    assert share.field_locs["watchers.0"].line == 44
    # connections
    assert set(cfg.connections) == {"aem", "adobe"}
    assert cfg.connections["aem"].type == "aem"
    assert cfg.connection_locs["adobe"] == SourceLoc(str(path), 8, 3)
    assert cfg.warnings == []


def test_default_typed_reference_is_checked_and_an_edge(write: Writer) -> None:
    # FolderSpec.connection defaults to "aem": a connection reference, checked but no edge
    path = write("a.yaml", HEADER + "folders:\n  f:\n    path: /content/dam/f\n")
    cfg = load(path)
    assert cfg.resources["folders.f"].depends_on == set()
    path.write_text("version: 1\nfolders:\n  f:\n    path: /content/dam/f\n")
    err = only_error(path)
    assert "folders.f.connection (default value)" in err.summary
    assert err.loc == SourceLoc(str(path), 3, 3)


def test_empty_file_and_empty_config(write: Writer) -> None:
    write("empty.yaml", "")
    write("comments.yml", "# nothing here\n")
    cfg = load(write("x.yaml", "").parent)
    assert cfg.resources == {} and cfg.connections == {} and cfg.version == 1


def test_yaml_12_yes_stays_a_string(write: Writer) -> None:
    path = write(
        "a.yaml",
        HEADER
        + "orgs:\n  acme:\n    ims_org_id: 'x'\n"
        + "applications:\n  a:\n    org: acme\n    title: yes\n    scopes: [on, off, no]\n",
    )
    app = load(path).resources["applications.a"]
    assert app.spec.model_dump()["title"] == "yes"
    assert app.data["scopes"] == ["on", "off", "no"]


def test_yes_is_not_a_boolean(write: Writer) -> None:
    path = write("a.yaml", HEADER + "folders:\n  f:\n    path: /content/dam/f\n    ordered: yes\n")
    err = only_error(path)
    assert err.loc == SourceLoc(str(path), 18, 14)
    assert err.hint is not None and "true or false" in err.hint


def test_merge_keys_and_anchors(write: Writer) -> None:
    path = write(
        "a.yaml",
        HEADER
        + """\
orgs:
  acme: {ims_org_id: x}
users:
  base: &u {org: acme, email: a@example.com}
  other:
    <<: *u
    email: b@example.com
""",
    )
    cfg = load(path)
    assert cfg.resources["users.other"].data == {"email": "b@example.com", "org": "acme"}
    assert cfg.resources["users.other"].depends_on == {"orgs.acme"}


# -- YAML-level errors -------------------------------------------------------------------------


def test_yaml_syntax_error_has_position(write: Writer) -> None:
    path = write("bad.yaml", "version: 1\norgs:\n  acme: {ims_org_id: x\n")
    err = only_error(path)
    assert err.summary.startswith("YAML syntax error")
    assert err.loc is not None and err.loc.file == str(path) and err.loc.line == 4
    assert str(err.loc).startswith(f"{path}:4:")


def test_yaml_syntax_error_tab_indent(write: Writer) -> None:
    path = write("bad.yaml", "version: 1\norgs:\n\tacme: {}\n")
    err = only_error(path)
    assert err.loc is not None and err.loc.line == 3


def test_duplicate_key_shows_both_lines(write: Writer) -> None:
    path = write(
        "dup.yaml",
        "version: 1\norgs:\n  acme:\n    ims_org_id: a\n    ims_org_id: b\n",
    )
    err = only_error(path)
    assert err.summary == "duplicate key 'ims_org_id'"
    assert err.loc == SourceLoc(str(path), 5, 5)
    assert f"{path}:4:5" in err.detail


def test_duplicate_top_level_key(write: Writer) -> None:
    path = write("dup.yaml", "version: 1\norgs: {}\norgs: {}\n")
    err = only_error(path)
    assert err.loc == SourceLoc(str(path), 3, 1) and f"{path}:2:1" in err.detail


def test_duplicate_name_across_two_files_names_both_places(write: Writer) -> None:
    a = write("a.yaml", "version: 1\norgs:\n  acme: {ims_org_id: x}\n")
    b = write("b.yaml", "orgs:\n  other: {ims_org_id: y}\n  acme: {ims_org_id: z}\n")
    err = only_error(a.parent)
    assert "orgs.acme is defined twice" in err.summary
    assert err.loc == SourceLoc(str(b), 3, 3)
    assert f"{a}:3:3" in err.detail


def test_duplicate_connection_name_across_files(write: Writer) -> None:
    write("a.yaml", HEADER)
    b = write("b.yaml", "connections:\n  aem: {type: aem, url: sandbox://aem, token: t}\n")
    err = only_error(b.parent)
    assert "connections.aem is defined twice" in err.summary and err.loc == SourceLoc(str(b), 2, 3)


def test_unsupported_tag(write: Writer) -> None:
    path = write("a.yaml", "version: 1\norgs:\n  acme: {ims_org_id: !vault secret/x}\n")
    err = only_error(path)
    assert "unsupported YAML tag" in err.summary and err.loc is not None and err.loc.line == 3


def test_invalid_utf8(write: Writer, tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes(b"version: 1\nx: \xff\n")
    err = only_error(path)
    assert err.loc == SourceLoc(str(path), 2, 4)


def test_top_level_must_be_mapping(write: Writer) -> None:
    err = only_error(write("a.yaml", "- 1\n- 2\n"))
    assert "must be a mapping" in err.summary


def test_missing_path() -> None:
    with pytest.raises(ConfigError, match="not found"):
        load(Path("/nonexistent/config.yaml"))


# -- structure errors --------------------------------------------------------------------------


def test_unknown_top_level_key_did_you_mean(write: Writer) -> None:
    path = write("a.yaml", "version: 1\nconnection: {}\n")
    err = only_error(path)
    assert err.summary == "unknown top-level key 'connection'"
    assert err.loc == SourceLoc(str(path), 2, 1)
    assert err.hint == "did you mean 'connections'?"
    assert "orgs" in err.detail


def test_unknown_field_did_you_mean(write: Writer) -> None:
    path = write(
        "a.yaml",
        HEADER
        + """\
cloud_configs:
  assets-sync:
    connection: aem
    clinet_id: 0123456789abcdef0123456789abcdef
    client_id: 0123456789abcdef0123456789abcdef
    tenant_url: https://x.experiencecloud.adobe.com
""",
    )
    err = only_error(path)
    assert err.summary == "unknown key 'clinet_id' in cloud_configs.assets-sync"
    assert err.loc == SourceLoc(str(path), 18, 5)
    assert err.detail.startswith("expected one of: connection, client_id, tenant_url")
    assert err.hint == "did you mean 'client_id'?"
    text = err.format()
    assert text.startswith(f"{path}:18:5: error: unknown key 'clinet_id' in cloud_configs.assets-sync\n")
    assert "\n  hint: did you mean 'client_id'?" in text


def test_unknown_nested_field(write: Writer) -> None:
    path = write(
        "a.yaml",
        HEADER
        + "users:\n  bob: {org: o, email: e}\norgs:\n  o: {ims_org_id: x}\nfolders:\n  f: {path: /p}\n"
        + "shares:\n  s:\n    folder: f\n    members:\n      - user: bob\n        rol: owner\n",
    )
    errs = errors_of(path)
    extra = next(e for e in errs if "unknown key" in e.summary)
    assert extra.summary == "unknown key 'rol' in shares.s.members.0"
    assert extra.hint == "did you mean 'role'?"
    assert extra.loc == SourceLoc(str(path), 26, 9)
    assert not [e for e in errs if "missing" in e.summary]  # 'rol' is 'role' misspelt: one error says it


def test_missing_field_points_at_the_resource_key(write: Writer) -> None:
    path = write("a.yaml", "version: 1\norgs:\n  acme:\n    depends_on: []\n")
    err = only_error(path)
    assert err.summary == "missing required field 'ims_org_id' in orgs.acme"
    assert err.loc == SourceLoc(str(path), 3, 3)
    assert "<24 hex>@AdobeOrg" in err.detail


def test_type_error_at_value_line_and_col(write: Writer) -> None:
    path = write(
        "a.yaml",
        HEADER
        + "orgs:\n  o: {ims_org_id: x}\nfolders:\n  f: {path: /p}\nshares:\n  s:\n    folder: f\n"
        + "    max_items:   lots\n",
    )
    err = only_error(path)
    assert err.loc == SourceLoc(str(path), 22, 18)
    assert err.summary.startswith("invalid value for 'max_items' in shares.s: ")
    assert err.summary.endswith(": expected a whole number") and "Input should" not in err.summary
    assert "got: 'lots'" in err.detail


def test_number_for_string_field_hints_quoting(write: Writer) -> None:
    path = write("a.yaml", "version: 1\norgs:\n  o:\n    ims_org_id: 21.0\n")
    err = only_error(path)
    assert err.loc == SourceLoc(str(path), 4, 17)
    assert err.hint is not None and "quote" in err.hint


def test_custom_validator_message(write: Writer) -> None:
    path = write(
        "a.yaml",
        HEADER + "cloud_configs:\n  c: {connection: aem, client_id: nothex, tenant_url: t}\n",
    )
    err = only_error(path)
    assert "expected an application ID" in err.summary and "Value error" not in err.summary


def test_invalid_names(write: Writer) -> None:
    path = write("a.yaml", "version: 1\norgs:\n  -bad: {ims_org_id: x}\n  'a b': {ims_org_id: y}\n")
    errs = errors_of(path)
    assert [e.loc.line for e in errs if e.loc] == [3, 4]
    assert all("invalid name" in e.summary for e in errs)


def test_section_must_be_mapping(write: Writer) -> None:
    err = only_error(write("a.yaml", "version: 1\norgs: [a, b]\n"))
    assert "'orgs' must be a mapping" in err.summary


# -- version -----------------------------------------------------------------------------------


def test_version_mismatch_between_files(write: Writer) -> None:
    a = write("a.yaml", "version: 1\n")
    b = write("b.yaml", "version: 2\n")
    errs = errors_of(a.parent)
    mismatch = next(e for e in errs if "does not agree" in e.summary)
    assert mismatch.loc == SourceLoc(str(b), 1, 10) and f"{a}:1:10" in mismatch.detail
    assert any("unsupported configuration version 2" in e.summary for e in errs)


def test_version_missing(write: Writer) -> None:
    err = only_error(write("a.yaml", "orgs:\n  o: {ims_org_id: x}\n"))
    assert err.summary == "missing 'version'"


def test_version_must_be_int(write: Writer) -> None:
    err = only_error(write("a.yaml", "version: '1'\n"))
    assert "version must be an integer" in err.summary


def test_version_given_once_is_enough(write: Writer) -> None:
    write("a.yaml", "version: 1\n")
    path = write("b.yaml", "orgs:\n  o: {ims_org_id: x}\n")
    assert "orgs.o" in load(path.parent).resources


# -- references --------------------------------------------------------------------------------


def test_unknown_typed_reference_did_you_mean(write: Writer) -> None:
    path = write("a.yaml", "version: 1\norgs:\n  acme: {ims_org_id: x}\napplications:\n  a: {org: acm, title: t}\n")
    err = only_error(path)
    assert err.summary == "applications.a.org refers to orgs.acm, which is not declared"
    assert err.hint == "did you mean 'acme'?"
    assert err.loc == SourceLoc(str(path), 5, 12)


def test_unknown_typed_reference_in_list_and_nested_model(write: Writer) -> None:
    path = write(
        "a.yaml",
        HEADER
        + "orgs:\n  o: {ims_org_id: x}\nusers:\n  bob: {org: o, email: e}\nfolders:\n  f: {path: /p}\n"
        + "shares:\n  s:\n    folder: f\n    members: [{user: bobb, role: owner}]\n"
        + "    watchers: [bob, alice]\n",
    )
    errs = errors_of(path)
    assert [e.summary for e in errs] == [
        "shares.s.members.0.user refers to users.bobb, which is not declared",
        "shares.s.watchers.1 refers to users.alice, which is not declared",
    ]
    assert errs[0].hint == "did you mean 'bob'?"


def test_typed_reference_checked_even_when_validation_fails(write: Writer) -> None:
    path = write("a.yaml", "version: 1\napplications:\n  a: {org: nope, title: t, credential: jwt}\n")
    summaries = [e.summary for e in errors_of(path)]
    assert any("refers to orgs.nope" in s for s in summaries)
    assert any("credential" in s for s in summaries)


def test_connection_reference_type_checked(write: Writer) -> None:
    path = write(
        "a.yaml",
        HEADER + "cloud_configs:\n  c: {connection: adobe, client_id: " + "a" * 32 + ", tenant_url: t}\n",
    )
    err = only_error(path)
    assert "names connection 'adobe' of type adobe, not aem" in err.summary
    path.write_text(HEADER + "cloud_configs:\n  c: {connection: aen, client_id: " + "a" * 32 + ", tenant_url: t}\n")
    err = only_error(path)
    assert "not declared" in err.summary and err.hint == "did you mean 'aem'?"


def test_attribute_reference_unknown_resource_did_you_mean(write: Writer) -> None:
    path = write(
        "a.yaml",
        HEADER
        + "orgs:\n  o: {ims_org_id: x}\napplications:\n  assets-sync: {org: o, title: t}\n"
        + "cloud_configs:\n  c:\n    connection: aem\n"
        + "    client_id: '${applications.assets-syn.application_id}'\n    tenant_url: t\n",
    )
    err = only_error(path)
    assert err.summary == (
        "${applications.assets-syn.application_id} refers to applications.assets-syn, which is not declared"
    )
    assert err.hint == "did you mean 'assets-sync'?"
    # column of the ${ inside the quoted scalar
    assert err.loc == SourceLoc(str(path), 22, 17)


def test_attribute_reference_unknown_attribute_did_you_mean(write: Writer) -> None:
    path = write(
        "a.yaml",
        HEADER
        + "orgs:\n  o: {ims_org_id: x}\napplications:\n  app: {org: o, title: t}\n"
        + "cloud_configs:\n  c:\n    connection: aem\n"
        + "    client_id: x${applications.app.application_idd}\n    tenant_url: t\n",
    )
    err = only_error(path)
    assert err.summary == ("${applications.app.application_idd}: applications has no attribute 'application_idd'")
    assert err.hint == "did you mean 'application_id'?"
    assert "technical_account_id" in err.detail and "title" in err.detail
    assert err.loc == SourceLoc(str(path), 22, 17)


def test_attribute_reference_to_spec_field_and_unknown_kind(write: Writer) -> None:
    path = write(
        "a.yaml",
        HEADER
        + "orgs:\n  o: {ims_org_id: x}\napplications:\n  app: {org: o, title: t}\n"
        + "cloud_configs:\n  c:\n    connection: aem\n    client_id: ${applications.app.title}\n"
        + "    tenant_url: ${aplications.app.title}\n    note: ${env.HOME.x}\n",
    )
    errs = errors_of(path)
    assert len(errs) == 2
    assert errs[0].summary == "${aplications.app.title} refers to unknown kind 'aplications'"
    assert errs[0].hint == "did you mean 'applications'?"
    assert errs[1].hint is not None and "${env:" in errs[1].hint


def test_reference_not_in_non_string_field_is_deferred(write: Writer) -> None:
    path = write(
        "a.yaml",
        HEADER
        + "orgs:\n  o: {ims_org_id: x}\napplications:\n  app: {org: o, title: t}\n"
        + "cloud_configs:\n  c:\n    connection: aem\n    client_id: ${applications.app.application_id}\n"
        + "    tenant_url: t\n    retries: ${applications.app.technical_account_id}\n",
    )
    decl = load(path).resources["cloud_configs.c"]
    assert decl.data["retries"] == "${applications.app.technical_account_id}"
    assert [p for p, _ in decl.attr_refs] == ["client_id", "retries"]
    assert decl.depends_on == {"applications.app"}


def test_self_reference_is_an_error(write: Writer) -> None:
    path = write(
        "a.yaml",
        HEADER
        + "cloud_configs:\n  c: {connection: aem, client_id: '${cloud_configs.c.public_key}', "
        + "tenant_url: t}\n",
    )
    err = only_error(path)
    assert err.summary == "cloud_configs.c refers to itself (in client_id)"
    lines = path.read_text().splitlines()
    line = next(i for i, x in enumerate(lines) if "cloud_configs.c.public_key" in x)
    assert err.loc == SourceLoc(str(path), line + 1, lines[line].index("'${") + 1)  # the reference, not the key


def test_invalid_interpolation(write: Writer) -> None:
    path = write("a.yaml", "version: 1\norgs:\n  o: {ims_org_id: 'a ${x.y} b'}\n")
    err = only_error(path)
    assert "a reference needs an attribute" in err.summary and err.loc == SourceLoc(str(path), 3, 22)


def test_escape_gives_literal(write: Writer) -> None:
    path = write(
        "a.yaml",
        "version: 1\norgs:\n  o: {ims_org_id: 'a $${HOME} b'}\n  p: {ims_org_id: '$${orgs.o.ims_org_id}'}\n",
    )
    cfg = load(path)
    assert cfg.resources["orgs.o"].data["ims_org_id"] == "a ${HOME} b"
    # a literal that looks like a reference keeps its escape, so it is never mistaken for one
    assert cfg.resources["orgs.p"].data["ims_org_id"] == "$${orgs.o.ims_org_id}"
    assert cfg.resources["orgs.p"].depends_on == set()


# -- depends_on and lifecycle --------------------------------------------------------------------


def test_depends_on_errors(write: Writer) -> None:
    path = write(
        "a.yaml",
        HEADER
        + "orgs:\n  acme:\n    ims_org_id: x\n    depends_on: [orgs.acm, connections.aem, nodot]\n"
        + "    lifecycle: {prevent_destory: true}\n",
    )
    errs = errors_of(path)
    assert [e.loc.col for e in errs if e.loc] == [18, 28, 45, 17]
    assert errs[0].hint == "did you mean 'orgs.acme'?"
    assert "connection" in errs[1].summary
    assert errs[3].hint == "did you mean 'prevent_destroy'?"


def test_lifecycle_bool_required(write: Writer) -> None:
    path = write("a.yaml", "version: 1\norgs:\n  a:\n    ims_org_id: x\n    lifecycle: {prevent_destroy: 'yes'}\n")
    assert "must be a boolean" in only_error(path).summary


# -- env and file interpolation ------------------------------------------------------------------


def test_missing_env_var_error_at_position(write: Writer) -> None:
    path = write("a.yaml", 'version: 1\norgs:\n  o:\n    ims_org_id: "id-${env:ORG_ID}"\n')
    err = only_error(path, environ={})
    assert err.summary == "environment variable ORG_ID is not set"
    assert err.loc == SourceLoc(str(path), 4, 21)
    assert err.hint is not None and "export ORG_ID=" in err.hint and "${env:ORG_ID:-default}" in err.hint


def test_env_default_and_value(write: Writer) -> None:
    path = write(
        "a.yaml",
        "version: 1\norgs:\n  o: {ims_org_id: '${env:ORG:-fallback}'}\n  p: {ims_org_id: '${env:ORG2:-}x'}\n",
    )
    assert load(path).resources["orgs.o"].data["ims_org_id"] == "fallback"
    cfg = load(path, environ={"ORG": "from-env", "ORG2": "y"})
    assert cfg.resources["orgs.o"].data["ims_org_id"] == "from-env"
    assert cfg.resources["orgs.p"].data["ims_org_id"] == "yx"


def test_environ_defaults_to_os_environ(write: Writer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_TEST_ORG", "zzz")
    path = write("a.yaml", "version: 1\norgs:\n  o: {ims_org_id: '${env:RECONCILER_TEST_ORG}'}\n")
    cfg = load_config(path, kinds=TOY_KINDS)
    assert cfg.resources["orgs.o"].data["ims_org_id"] == "zzz"


def test_file_secret_relative_to_file(write: Writer) -> None:
    write("conf/secrets/aem.txt", "s3cr3t-password\n\n")
    path = write(
        "conf/sub/main.yaml",
        "version: 1\nconnections:\n  aem:\n    type: aem\n    url: http://localhost:4502\n"
        "    username: admin\n    password: ${file:../secrets/aem.txt}\n",
    )
    cfg = load(path.parent.parent, recursive=True)
    conn = cfg.connections["aem"]
    assert conn.type == "aem" and conn.password is not None
    assert conn.password.get_secret_value() == "s3cr3t-password"
    assert cfg.warnings == []


def test_missing_file_secret(write: Writer) -> None:
    path = write(
        "main.yaml",
        "version: 1\nconnections:\n  aem:\n    type: aem\n    url: http://localhost:4502\n"
        "    token: ${file:nope.txt}\n",
    )
    err = only_error(path)
    assert err.summary.startswith("cannot read ${file:nope.txt}")
    assert err.loc == SourceLoc(str(path), 6, 12)
    assert str(path.parent / "nope.txt") in err.detail


def test_env_value_with_dollar_brace_is_not_a_reference(write: Writer) -> None:
    path = write(
        "a.yaml",
        HEADER
        + "orgs:\n  o: {ims_org_id: x}\napplications:\n  app: {org: o, title: t}\n"
        + "cloud_configs:\n  c:\n    connection: aem\n    client_id: ${applications.app.application_id}\n"
        + "    tenant_url: t\n    note: '${env:NOTE} ${applications.app.title}'\n",
    )
    decl = load(path, environ={"NOTE": "${orgs.o.ims_org_id}"}).resources["cloud_configs.c"]
    assert decl.depends_on == {"applications.app"}
    assert decl.data["note"] == "$${orgs.o.ims_org_id} ${applications.app.title}"


# -- secrets never in diagnostics ------------------------------------------------------------------

SECRET = "p8e-TOPSECRET-value-123456"


def _all_text(exc: ConfigError) -> str:
    return str(exc) + "".join(repr(d) for d in exc.diagnostics)


def test_no_secret_value_in_any_diagnostic(write: Writer) -> None:
    write("secret.txt", SECRET + "\n")
    path = write(
        "a.yaml",
        """\
        version: 1
        connections:
          adobe:
            type: adobe
            client_id: ${env:CLIENT}
            client_secret: ${env:CLIENT}
            timeout_s: ${file:secret.txt}
          aem:
            type: aem
            url: ${env:CLIENT}
            token: ${file:secret.txt}
            username: x
        orgs:
          o:
            ims_org_id: [1]
        cloud_configs:
          c:
            connection: aem
            client_id: ${file:secret.txt}
            tenant_url: "x ${env:CLIENT} y"
            api_secret: 12345678901
            retries: ${env:CLIENT}
        """,
    )
    with pytest.raises(ConfigError) as info:
        load(path, environ={"CLIENT": SECRET})
    text = _all_text(info.value)
    assert SECRET not in text
    assert "TOPSECRET" not in text
    assert "12345678901" not in text
    assert "the value of ${env:CLIENT}" in text
    assert "looks like a client secret" in text


def test_literal_secret_warning_and_redaction(write: Writer) -> None:
    path = write(
        "a.yaml",
        "version: 1\nconnections:\n  aem: {type: aem, url: 'ftp://x', username: u, password: hunter2hunter2}\n",
    )
    with pytest.raises(ConfigError) as info:
        load(path)
    diags = info.value.diagnostics
    assert any(d.severity == "warning" and "written in clear" in d.summary for d in diags)
    assert "hunter2hunter2" not in _all_text(info.value)


def test_warnings_returned_on_success(write: Writer) -> None:
    path = write("a.yaml", "version: 1\nconnections:\n  aem: {type: aem, url: sandbox://aem, token: abcdefgh}\n")
    cfg = load(path)
    assert [w.address for w in cfg.warnings] == ["connections.aem"]
    assert cfg.warnings[0].loc == SourceLoc(str(path), 3, 47)


# -- directories, order, digest ------------------------------------------------------------------


def test_directory_merge_order_and_skips(write: Writer) -> None:
    root = write("b.yaml", "orgs:\n  b: {ims_org_id: x}\n").parent
    write("a.yml", "version: 1\norgs:\n  a: {ims_org_id: x}\n")
    write("sub/c.yaml", "orgs:\n  c: {ims_org_id: x}\n")
    write("a2/z.yaml", "orgs:\n  z: {ims_org_id: x}\n")
    write(".hidden/h.yaml", "bogus: 1\n")
    write(".reconciler/state.yaml", "bogus: 1\n")
    write(".pre-commit-config.yaml", "bogus: 1\n")
    write("notes.txt", "bogus: 1\n")
    cfg = load(root, recursive=True)
    assert cfg.root == root
    rel = [p.relative_to(root).as_posix() for p in cfg.files]
    assert rel == ["a.yml", "a2/z.yaml", "b.yaml", "sub/c.yaml"]
    assert list(cfg.resources) == ["orgs.a", "orgs.z", "orgs.b", "orgs.c"]


def test_empty_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no \*\.yaml"):
        load(tmp_path)


def test_digest_changes_when_a_file_changes(write: Writer) -> None:
    a = write("a.yaml", "version: 1\norgs:\n  a: {ims_org_id: x}\n")
    root = a.parent
    d1 = load(root).digest
    assert d1 == load(root).digest and len(d1) == 64
    a.write_text("version: 1\norgs:\n  a: {ims_org_id: y}\n")
    d2 = load(root).digest
    assert d2 != d1
    write("b.yaml", "")
    d3 = load(root).digest
    assert d3 != d2
    (root / "b.yaml").rename(root / "c.yaml")
    assert load(root).digest != d3


def test_errors_sorted_by_file_and_position(write: Writer) -> None:
    write("a.yaml", "version: 1\norgs:\n  x: {ims_org_idd: 1}\n")
    b = write("b.yaml", "orgs:\n  y: {}\nfoo: 1\n")
    with pytest.raises(ConfigError) as info:
        load(b.parent)
    locs = [(Path(d.loc.file).name, d.loc.line, d.loc.col) for d in info.value.diagnostics if d.loc]
    assert locs == sorted(locs)


def test_secret_shaped_literal_is_never_echoed(write: Writer) -> None:
    path = write(
        "a.yaml",
        HEADER + "cloud_configs:\n  c: {connection: aem, client_id: p8e-AbCdEfGh12345678, tenant_url: t}\n",
    )
    err = only_error(path)
    assert "p8e-AbCdEfGh12345678" not in err.format() and "AbCdEfGh" not in err.format()
