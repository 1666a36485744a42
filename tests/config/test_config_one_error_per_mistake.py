"""One mistake, one error: a value already in error is not judged again (a non-boolean string for
a bool, a malformed ``${...}``, an unreadable ``${file:}``, an unset variable), an invalid choice
lists the allowed values, and a misspelt section or an invalid name folds the references to what
it declares into its own error instead of each saying "not declared"."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CONNECTIONS_YAML, TOY_KINDS, Writer

from reconciler.config import ConfigError, Diagnostic, load_config


def _diags(path: Path, environ: dict[str, str] | None = None) -> list[Diagnostic]:
    with pytest.raises(ConfigError) as info:
        load_config(path, kinds=TOY_KINDS, environ=environ or {})
    return info.value.diagnostics


def _formatted(diags: list[Diagnostic]) -> list[str]:
    return [d.format() for d in diags]


ORG = "orgs:\n  acme: {ims_org_id: x}\n"


def test_a_non_boolean_string_for_a_bool_is_one_error(write: Writer) -> None:
    path = write("main.yaml", "version: 1\n" + CONNECTIONS_YAML + "folders:\n  f:\n    path: /p\n    ordered: nope\n")
    assert _formatted(_diags(path)) == [
        f"{path}:18:14: error: invalid value for 'ordered' in folders.f: expected true or false\n"
        "  got: 'nope'\n"
        "  hint: YAML 1.2: write true or false (yes/no/on/off are strings)"
    ]


def test_a_yes_for_a_bool_is_still_one_error(write: Writer) -> None:
    path = write("main.yaml", "version: 1\n" + CONNECTIONS_YAML + "folders:\n  f:\n    path: /p\n    ordered: 'yes'\n")
    diags = _diags(path)
    assert [d.summary for d in diags] == ["invalid value for 'ordered' in folders.f: expected true or false"]


def test_an_invalid_choice_lists_the_allowed_values(write: Writer) -> None:
    path = write("main.yaml", "version: 1\n" + ORG + "applications:\n  app:\n    org: acme\n    title: T\n"
                 "    credential: oauth_server2server\n")
    assert _formatted(_diags(path)) == [
        f"{path}:8:17: error: invalid value for 'credential' in applications.app: not one of the allowed values\n"
        "  got: 'oauth_server2server'\n"
        "  expected one of: oauth_server_to_server, service_account_jwt\n"
        "  hint: did you mean 'oauth_server_to_server'?"
    ]


def test_an_invalid_choice_in_a_list_entry_lists_the_allowed_values(write: Writer) -> None:
    path = write("main.yaml", "version: 1\n" + CONNECTIONS_YAML + ORG + "users:\n  u: {org: acme, email: e}\n"
                 "folders:\n  f: {path: /p}\nshares:\n  s:\n    folder: f\n    members:\n      - {user: u, role: admin}\n")
    diags = _diags(path)
    assert [(d.summary, d.detail, d.hint) for d in diags] == [
        ("invalid value for 'members.0.role' in shares.s: not one of the allowed values",
         "got: 'admin'\nexpected one of: viewer, editor, owner", None),
    ]


def test_an_invalid_choice_from_the_environment_is_not_shown(write: Writer) -> None:
    path = write("main.yaml", "version: 1\n" + ORG + "applications:\n  app:\n    org: acme\n    title: T\n"
                 "    credential: ${env:CRED}\n")
    diags = _diags(path, {"CRED": "oauth_server2server"})
    assert [(d.summary, d.detail, d.hint) for d in diags] == [
        ("invalid value for 'credential' in applications.app: not one of the allowed values",
         "got: the value of ${env:CRED} (not shown)\nexpected one of: oauth_server_to_server, service_account_jwt",
         None),
    ]


def test_an_unterminated_reference_is_not_also_checked_for_its_format(write: Writer) -> None:
    path = write("main.yaml", "version: 1\n" + CONNECTIONS_YAML + "cloud_configs:\n  c:\n    connection: aem\n"
                 "    tenant_url: https://t\n    client_id: ${applications.app.application_id\n")
    assert _formatted(_diags(path)) == [
        f"{path}:19:16: error: invalid interpolation ${{applications.app.application_id: unterminated '${{'"
        " (no closing '}')\n"
        "  hint: close it with '}' (or write $${ for a literal ${)"
    ]


def test_an_unset_variable_is_not_also_checked_for_its_format(write: Writer) -> None:
    path = write("main.yaml", "version: 1\n" + CONNECTIONS_YAML + "cloud_configs:\n  c:\n    connection: aem\n"
                 "    tenant_url: https://t\n    client_id: ${env:CLIENT_ID}\nfolders:\n  f:\n    path: /p\n"
                 "    ordered: ${env:ORDERED}\n")
    assert [d.summary for d in _diags(path)] == [
        "environment variable CLIENT_ID is not set",
        "environment variable ORDERED is not set",
    ]


def test_an_absolute_file_path_is_not_said_relative(write: Writer, tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    path = write("main.yaml", "version: 1\n" + CONNECTIONS_YAML + f"folders:\n  f:\n    path: ${{file:{missing}}}\n")
    assert _formatted(_diags(path)) == [
        f"{path}:17:11: error: cannot read ${{file:{missing}}}: No such file or directory"
    ]


def test_a_relative_file_path_says_where_it_was_looked_for(write: Writer, tmp_path: Path) -> None:
    path = write("main.yaml", "version: 1\n" + CONNECTIONS_YAML + "folders:\n  f:\n    path: ${file:nope.txt}\n")
    diags = _diags(path)
    assert [(d.summary, d.detail) for d in diags] == [
        ("cannot read ${file:nope.txt}: No such file or directory",
         f"resolved to {tmp_path / 'nope.txt'} (relative to the directory of {path})"),
    ]


SHARES = """\
shares:
  s1:
    folder: mc-demo
  s2:
    folder: mc-demo
    depends_on: [folders.mc-demo]
  s3:
    folder: other
"""


def test_a_misspelt_section_folds_the_references_to_its_names_into_its_error(write: Writer) -> None:
    path = write("main.yaml", "version: 1\n" + CONNECTIONS_YAML + "folder:\n  mc-demo:\n    path: /p\n" + SHARES)
    diags = _diags(path)
    assert [(d.summary, d.loc.line if d.loc else None) for d in diags] == [
        ("unknown top-level key 'folder'", 15),
        ("shares.s3.folder refers to folders.other, which is not declared", 25),  # not under folder:
    ]
    first = diags[0]
    assert first.hint == "did you mean 'folders'?"
    assert first.detail.splitlines()[1:] == [
        f"3 references to folders.mc-demo are not checked until this is fixed: {path}:20:13, {path}:22:13, {path}:23:18"
    ]


def test_an_invalid_name_folds_the_references_of_its_kind_into_its_error(write: Writer) -> None:
    path = write("main.yaml", "version: 1\n" + CONNECTIONS_YAML + 'folders:\n  "mc demo!":\n    path: /p\n' + SHARES)
    assert _formatted(_diags(path)) == [
        f"{path}:16:3: error: invalid name 'mc demo!' in folders\n"
        "  a name starts with a letter or digit and has only letters, digits, '_' and '-'\n"
        f"  3 references to folders.mc-demo are not checked until this is fixed: {path}:20:13, {path}:22:13,"
        f" {path}:23:18\n"
        f"  1 reference to folders.other is not checked until this is fixed: {path}:25:13\n"
        "  hint: rename it, e.g. 'mc-demo'"
    ]


def test_a_misspelt_connections_section_folds_the_connection_references(write: Writer) -> None:
    path = write("main.yaml", "version: 1\n" + CONNECTIONS_YAML.replace("connections:", "connection:")
                 + "folders:\n  f:\n    path: /p\n    connection: aem\n")
    diags = _diags(path)
    assert [d.summary for d in diags] == ["unknown top-level key 'connection'"]
    assert diags[0].detail.splitlines()[1] == (
        f"1 reference to connections.aem is not checked until this is fixed: {path}:18:17"
    )


def test_without_such_an_error_a_missing_name_is_reported(write: Writer) -> None:
    path = write("main.yaml", "version: 1\n" + CONNECTIONS_YAML + "folders:\n  other-name:\n    path: /p\n" + SHARES)
    assert [d.summary for d in _diags(path)] == [
        "shares.s1.folder refers to folders.mc-demo, which is not declared",
        "shares.s2.folder refers to folders.mc-demo, which is not declared",
        "depends_on names folders.mc-demo, which is not declared",
        "shares.s3.folder refers to folders.other, which is not declared",
    ]


def test_a_scalar_where_a_list_is_expected_says_so_and_how_to_write_it(write: Writer) -> None:
    path = write("main.yaml", "version: 1\n" + ORG + "applications:\n  app:\n    org: acme\n    title: T\n"
                 "    scopes: dam-read\n")
    (diag,) = _diags(path)
    assert diag.summary == "invalid value for 'scopes' in applications.app: expected a list"
    assert diag.hint == "write a list: scopes: [dam-read]" and "Input should" not in diag.format()


def test_length_errors_are_said_plainly() -> None:
    from reconciler.config.report import _plain_msg

    assert _plain_msg("string_too_short", "String should have at least 1 character", {"min_length": 1}) == (
        "must not be empty")
    assert _plain_msg("string_too_long", "String should have at most 8 characters", {"max_length": 8}) == (
        "must be at most 8 characters long")
    assert _plain_msg("value_error", "Value error, bad path", None) == "bad path"


@pytest.mark.parametrize(("value", "summary"), [
    ("[]", "expected a string"),
    ("{a: 1}", "expected a string"),
])
def test_pydantic_wording_is_said_in_the_configurations_words(write: Writer, value: str, summary: str) -> None:
    path = write("main.yaml", "version: 1\n" + ORG + f"applications:\n  app:\n    org: acme\n    title: {value}\n")
    diags = _diags(path)
    assert [d.summary for d in diags] == [f"invalid value for 'title' in applications.app: {summary}"]
    assert "should" not in diags[0].format() and "title" in diags[0].format()


def test_shell_style_variables_get_the_env_spelling(write: Writer) -> None:
    bare = write("bare/main.yaml", "version: 1\n" + CONNECTIONS_YAML.replace(
        "${env:AEM_PASSWORD:-admin}", "$AEM_PASSWORD"))
    result = load_config(bare, kinds=TOY_KINDS, environ={})
    (warning,) = [d for d in result.warnings if "connections.aem.password" in d.summary]
    assert "starts with '$' like a shell variable; this tool does not expand $NAME" in warning.summary
    assert warning.hint == "an environment variable is written ${env:NAME} (or use ${file:path})"
    assert "AEM_PASSWORD" not in warning.format()  # the value is a secret, whatever it looks like
    braced = write("braced/main.yaml", "version: 1\n" + CONNECTIONS_YAML.replace(
        "${env:AEM_PASSWORD:-admin}", "${AEM_PASSWORD:-admin}"))
    (error,) = _diags(braced)
    assert error.hint == "an environment variable is written ${env:AEM_PASSWORD:-admin}"


def test_a_misspelt_required_key_is_one_error_not_also_missing(write: Writer) -> None:
    path = write("main.yaml", "version: 1\n" + "orgs:\n  acme: {ims_org_idd: x}\n")
    (diag,) = _diags(path)
    assert diag.summary == "unknown key 'ims_org_idd' in orgs.acme" and diag.hint == "did you mean 'ims_org_id'?"
    other = write("other/main.yaml", "version: 1\n" + "orgs:\n  acme: {colour: x}\n")  # no near miss: both said
    assert sorted(d.summary for d in _diags(other)) == [
        "missing required field 'ims_org_id' in orgs.acme", "unknown key 'colour' in orgs.acme"]
