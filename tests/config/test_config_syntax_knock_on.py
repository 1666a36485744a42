"""A broken file is one error: a YAML syntax error in one file of a directory brings no knock-on
errors ("refers to X, which is not declared" from the other files: X may be declared in the broken
file), only one warning saying what was not checked; and a key that is valid YAML but indented at
the wrong level gets an indentation hint, not a did-you-mean."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CONNECTIONS_YAML, TOY_KINDS, Writer

from reconciler.config import ConfigError, Diagnostic, load_config


def _diags(path: Path) -> list[Diagnostic]:
    with pytest.raises(ConfigError) as info:
        load_config(path, kinds=TOY_KINDS, environ={})
    return info.value.diagnostics


def test_syntax_error_in_one_file_suppresses_not_declared_in_the_others(write: Writer, tmp_path: Path) -> None:
    write("a.yaml", "version: 1\n" + CONNECTIONS_YAML + "orgs:\n  acme:\n\tims_org_id: x\nfolders:\n  f:\n    path: /p\n")
    write("b.yaml", """\
        version: 1
        users:
          u:
            org: acme
            email: u@example.com
        shares:
          s:
            folder: f
            members: [{user: u, role: viewer}]
            max_items: many
        application_keys:
          k:
            application: app
            certificate: ${cloud_configs.mac.public_key}
            depends_on: [folders.f]
        """)
    diags = _diags(tmp_path)
    errors = [d for d in diags if d.severity == "error"]
    assert [d.summary.split(":")[0] for d in errors] == ["YAML syntax error", "invalid value for 'max_items' in shares.s"]
    assert not any("not declared" in d.summary for d in diags)
    warning = next(d for d in diags if d.severity == "warning")
    assert warning.summary.startswith("5 references to undeclared names were not reported: ")
    assert warning.loc is not None and warning.loc.file.endswith("a.yaml")
    assert diags.index(warning) == diags.index(errors[0]) + 1  # right after the error it is about


def test_without_a_syntax_error_not_declared_is_reported(write: Writer, tmp_path: Path) -> None:
    write("a.yaml", "version: 1\n" + CONNECTIONS_YAML)
    write("b.yaml", "version: 1\nusers:\n  u:\n    org: acme\n    email: u@example.com\n")
    diags = _diags(tmp_path)
    assert [d.summary for d in diags] == ["users.u.org refers to orgs.acme, which is not declared"]


def test_one_broken_file_is_one_error(write: Writer) -> None:
    path = write("main.yaml", "version: 1\norgs:\n  acme:\n    ims_org_id: x\n\t  title: y\nfolders:\n  f: {path: /p}\n")
    diags = _diags(path)
    assert len(diags) == 1 and diags[0].summary.startswith("YAML syntax error")
    assert diags[0].hint == "YAML indents with spaces, never tabs"


def test_key_of_a_list_entry_indented_out_gets_an_indentation_hint(write: Writer) -> None:
    """`role` dedented out of its `members` entry (valid YAML) was 'did you mean folder?'."""
    path = write("main.yaml", "version: 1\nusers:\n  u: {org: o, email: e}\norgs:\n  o: {ims_org_id: x}\n"
                 "folders:\n  f: {path: /p, connection: c}\nshares:\n  s:\n    folder: f\n    members:\n"
                 "      - user: u\n    role: editor\n")
    unknown = [d for d in _diags(path) if d.summary.startswith("unknown key")]
    assert len(unknown) == 1 and unknown[0].summary == "unknown key 'role' in shares.s"
    assert unknown[0].hint == "'role' is a key of each entry of 'members', not of shares.s: check its indentation"


def test_key_indented_too_far_gets_an_indentation_hint(write: Writer) -> None:
    path = write("main.yaml", "version: 1\nshares:\n  s:\n    members:\n      - user: u\n        role: editor\n"
                 "        folder: f\n")
    unknown = [d for d in _diags(path) if d.summary.startswith("unknown key")]
    assert [d.hint for d in unknown] == ["'folder' is a key of shares.s: it looks indented too far"]


def test_a_real_typo_still_gets_did_you_mean(write: Writer) -> None:
    path = write("main.yaml", "version: 1\nfolders:\n  f:\n    pathh: /p\n")
    unknown = [d for d in _diags(path) if d.summary.startswith("unknown key")]
    assert [d.hint for d in unknown] == ["did you mean 'path'?"]


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("version: 1\nusers:\n jane:\n    org: o\n  dana:\n    org: o\n",
         "line 5 is indented 2 spaces, the mapping it is in (line 3) 1 space: line them up"),
        ("version: 1\nshares:\n  s:\n    members:\n      - user: u\n      role: editor\n",
         "line 6 is in the list that starts at line 5 but is not an entry ('- ...'): indent it under the entry"
         " above it, or start it with '- '"),
        ("version: 1\nshares:\n  s:\n    members:\n      - user: u\n          role: editor\n",
         "line 6 is indented more than line 5 ('user: ...'), so YAML reads it as the rest of that value: keys of one"
         " mapping start in the same column (line 5: column 9, line 6: column 11)"),
        ("version: 1\nfolders:\n  f:\n    path: /p\n      title: T\n",
         "line 5 is indented more than line 4 ('path: ...'), so YAML reads it as the rest of that value: keys of one"
         " mapping start in the same column (line 4: column 5, line 5: column 7)"),
    ],
)
def test_bad_indentation_says_which_lines_disagree(write: Writer, text: str, hint: str) -> None:
    diags = _diags(write("main.yaml", text))
    assert len(diags) == 1 and diags[0].summary.startswith("YAML syntax error")
    assert diags[0].hint == hint


def test_a_field_indented_as_an_entry_of_its_own_is_one_error_at_that_field(write: Writer, tmp_path: Path) -> None:
    """``url:`` written at the level of the connection names is the connection's field indented too
    little: one error there, and the connection above does not also miss its url."""
    write("main.yaml", """\
        version: 1
        connections:
          aem:
            type: aem
            username: admin
            password: ${env:AEM_PASSWORD:-admin}
          url: sandbox://aem
        folders:
          f:
            path: /content/dam/f
          title: F
        """)
    diags = [d for d in _diags(tmp_path) if d.severity == "error"]
    assert [(d.summary, d.loc.line if d.loc else None) for d in diags] == [
        ("'url' is indented as a connection of its own, but it is a field of connections.aem", 7),
        ("'title' is indented as a resource of its own, but it is a field of folders.f", 11),
    ]
    assert diags[0].hint == "indent 'url' under 'aem', at column 5 like its other fields"
    assert "connections.aem starts at" in diags[0].detail and ":3:3" in diags[0].detail


def test_an_entry_named_like_a_field_but_declared_as_a_mapping_is_an_entry(write: Writer, tmp_path: Path) -> None:
    write("main.yaml", "version: 1\n" + CONNECTIONS_YAML + "folders:\n  f:\n    path: /p\n  title:\n    path: /t\n")
    loaded = load_config(tmp_path, kinds=TOY_KINDS, environ={})
    assert sorted(loaded.resources) == ["folders.f", "folders.title"]
