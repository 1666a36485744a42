"""What cannot change in place is said offline, with the place and what to do (rules.inplace)."""

from __future__ import annotations

from pathlib import Path

from reconciler.kinds import REGISTRY
from reconciler.rules.inplace import replacement_fields
from tests.helpers import Run

AUTHOR2 = "connections:\n  author2:\n    type: aem\n    url: http://127.0.0.1:9\n    username: admin\n    password: ${env:X:-admin}\n"
EXTRA = "folders:\n  extra:\n    connection: author\n"

#: replace-forcing attributes that no YAML field sets directly (they come from a reference or a link)
DERIVED = {
    ("application_keys", "fingerprint"),  # of the certificate
    ("shares", "path"),  # the folder's path
    ("workfront_linked_folders", "integration_id"),
    ("workfront_metadata_mappings", "integration_id"),
}


def test_every_replace_forcing_attribute_maps_to_a_yaml_field_or_is_derived() -> None:
    assert replacement_fields("folders") == {"ordered": "ordered"}
    assert replacement_fields("workfront_linked_folders")["id"] == "object_id"
    for kind, kdef in REGISTRY.items():
        attrs = set(getattr(kdef.provider, "replace_fields", frozenset()))
        mapped = set(replacement_fields(kind).values())
        assert {(kind, a) for a in attrs - mapped} <= DERIVED, kind
    assert replacement_fields("nonsense") == {}


def _applied_with_extra(quickstart: Path, cli: Run) -> Path:
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace("connections:\n", AUTHOR2, 1).replace("folders:\n", EXTRA, 1))
    out = cli("apply", "--auto-approve", quickstart)
    assert out.exit_code == 0, out.output
    return main


def _line_of(main: Path, text: str) -> int:
    return next(i for i, line in enumerate(main.read_text().splitlines(), 1) if line.strip() == text)


def test_a_changed_connection_is_said_not_silently_ignored(quickstart: Path, cli: Run) -> None:
    main = _applied_with_extra(quickstart, cli)
    main.write_text(main.read_text().replace(EXTRA, "folders:\n  extra:\n    connection: author2\n", 1))
    line = _line_of(main, "connection: author2")
    for command in ("validate", "plan"):
        out = cli(command, quickstart)
        assert out.exit_code == 0, out.output
        assert f"main.yaml:{line}:17: warning: folders.extra: connection cannot be changed in place" in out.output
        assert "`reconciler state rm folders.extra`" in out.output and "put connection back to 'author'" in out.output


def test_a_replace_forcing_change_is_said_by_validate_with_what_it_loses(quickstart: Path, cli: Run) -> None:
    main = _applied_with_extra(quickstart, cli)
    assert "cannot be changed in place" not in cli("validate", quickstart).output  # nothing changed
    main.write_text(main.read_text().replace(EXTRA, EXTRA + "    ordered: true\n", 1))
    out = cli("validate", quickstart)
    line = _line_of(main, "ordered: true")
    assert f"main.yaml:{line}:14: warning: folders.extra: ordered cannot be changed in place (false was applied" in out.output
    assert "every asset in it (when it holds assets, apply stops unless" in out.output
    assert "set ordered: false again" in out.output
    main.write_text(main.read_text().replace("    ordered: true\n", "    ordered: true\n    lifecycle: {allow_content_loss: true}\n", 1))
    assert "allow_content_loss is set: they are lost" in cli("validate", quickstart).output


def test_without_a_local_state_nothing_is_compared(quickstart: Path, cli: Run) -> None:
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace("folders:\n", EXTRA + "    ordered: true\n", 1))
    out = cli("validate", quickstart)
    assert out.exit_code == 0 and "cannot be changed in place" not in out.output, out.output


def test_an_adobe_id_name_is_said_never_applied(quickstart: Path, cli: Run) -> None:
    main = quickstart / "main.yaml"
    text = main.read_text()
    assert "  dana:" in text
    main.write_text(text.replace("    email: dana@acme.example\n", "    email: dana@acme.example\n    type: adobe_id\n    lastname: D\n", 1))
    out = cli("validate", quickstart)
    line = _line_of(main, "lastname: D")
    assert f"main.yaml:{line}:15: warning: users.dana.lastname cannot be changed by this tool" in out.output, out.output
    assert "error.update.adobeid.no" in out.output and "hint: remove it" in out.output


def test_validate_warns_for_a_new_adobe_id_with_a_name_once_per_field(quickstart: Path, cli: Run) -> None:
    """The user test's case (README: validate and plan warn): jane made an Adobe ID, with firstname and
    lastname, and no state yet: validate says it offline, one warning per field, and still succeeds."""
    main = quickstart / "main.yaml"
    text = main.read_text()
    assert "    type: federated_id\n    firstname: Jane\n    lastname: Doe\n" in text
    main.write_text(text.replace("    type: federated_id\n", "    type: adobe_id\n", 1))
    out = cli("validate", quickstart)
    assert out.exit_code == 0, out.output
    why = ("  an Adobe ID belongs to its owner: the User Management API refuses to update its name"
           " (error.update.adobeid.no), so this value is never applied to the account")
    warnings = [line for line in out.output.splitlines() if ": warning: " in line]
    assert warnings == [
        f"{main}:{_line_of(main, 'firstname: Jane')}:16: warning: users.jane.firstname cannot be changed by this tool:"
        " it is never applied",
        f"{main}:{_line_of(main, 'lastname: Doe')}:15: warning: users.jane.lastname cannot be changed by this tool:"
        " it is never applied",
    ]
    assert out.output.count(why) == 2 and out.output.count("hint: remove it (the owner changes it") == 2


def test_the_readme_lists_the_fields_that_force_a_replacement() -> None:
    import re

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = readme.split("<!-- replace-fields:start", 1)[1].split("<!-- replace-fields:end -->", 1)[0]
    listed = {
        kind: set(re.findall(r"`([a-z_]+)`", fields.split("(", 1)[0]))
        for kind, fields in re.findall(r"^\s*\| `([a-z_]+)` \| (.*) \|$", table, re.M)
    }
    expected = {kind: set(replacement_fields(kind)) for kind in REGISTRY if replacement_fields(kind)}
    assert listed == expected


def test_values_are_compared_in_the_form_the_kind_derives(tmp_path: Path, cli: Run) -> None:
    import shutil

    from tests.helpers import EXAMPLES

    work = tmp_path / "wf"
    shutil.copytree(EXAMPLES / "workfront", work, ignore=shutil.ignore_patterns(".reconciler"))
    main = work / "main.yaml"
    assert "target: ./jcr:content/metadata/dc:description" in main.read_text()  # stored as dc:description
    assert cli("apply", "--auto-approve", work).exit_code == 0
    out = cli("validate", work)
    assert out.exit_code == 0 and "warning" not in out.output, out.output


def test_pointing_a_user_or_an_application_at_another_org_is_said(quickstart: Path, cli: Run) -> None:
    assert cli("apply", "--auto-approve", quickstart).exit_code == 0
    main = quickstart / "main.yaml"
    other = "orgs:\n  other:\n    connection: adobe\n    ims_org_id: 0F1E2D3C4B5A69788796A5B4@AdobeOrg\n"
    text = main.read_text().replace("orgs:\n", other, 1)
    text = text.replace("  assets-sync:\n    org: acme\n", "  assets-sync:\n    org: other\n", 1)
    main.write_text(text.replace("  jane:\n    org: acme\n", "  jane:\n    org: other\n", 1))
    out = cli("plan", quickstart)
    assert out.exit_code == 0, out.output
    for address in ("applications.assets-sync", "users.jane"):
        assert f"warning: {address}: org cannot be changed in place" in out.output, out.output
    assert "`reconciler state rm users.jane`" in out.output
    assert "users.dana: org" not in out.output  # still on acme
