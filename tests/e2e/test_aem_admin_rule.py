"""Seeds 000/001: sharing to Experience Cloud / Creative Cloud and switching the Creative Cloud org
need administrator privileges on the AEM instance. ``plan`` checks the AEM connection's user (``admin``
or a member of ``administrators``) and says so clearly when it is not one."""

from __future__ import annotations

from pathlib import Path

from reconciler import sandbox
from tests.helpers import Run, sync_client

AUTHZ = "/libs/granite/security/post/authorizables"


def _add_author(db: Path, user: str, *, administrator: bool) -> None:
    aem = sync_client("aem", db)
    aem.auth = ("admin", "admin")
    made = aem.post(AUTHZ, data={"createUser": "", "authorizableId": user, "rep:password": "pw-" + user})
    assert made.status_code == 201, made.text
    if administrator:
        joined = aem.post("/home/groups/a/administrators.rw.html", data={"addMembers": user})
        assert joined.status_code == 200


def _connect_as(quickstart: Path, user: str) -> None:
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace("    username: admin\n", f"    username: {user}\n", 1))


def _with_cc_connection(quickstart: Path) -> None:
    (quickstart / "cc.yaml").write_text(
        "version: 1\ncreative_cloud_connections:\n  assets:\n    connection: author\n    org: acme\n"
    )


def test_plan_refuses_sharing_when_the_aem_user_is_not_an_administrator(quickstart: Path, cli: Run) -> None:
    db = quickstart / ".reconciler" / "sandbox.db"
    sandbox.reset_world(db)
    _add_author(db, "editor", administrator=False)
    _connect_as(quickstart, "editor")
    _with_cc_connection(quickstart)
    out = cli("plan", quickstart, env={"AEM_PASSWORD": "pw-editor"})
    assert out.exit_code == 1, out.output
    text = " ".join(out.output.split())
    assert "sharing to Experience Cloud needs administrator privileges on the AEM instance" in text
    assert "sharing to Creative Cloud needs administrator privileges on the AEM instance" in text
    assert "connecting AEM Assets to a Creative Cloud org needs administrator privileges" in text
    assert "the user 'editor' of connection author is not an administrator" in text
    assert "add 'editor' to the administrators group" in text


def test_plan_accepts_a_member_of_administrators(quickstart: Path, cli: Run) -> None:
    db = quickstart / ".reconciler" / "sandbox.db"
    sandbox.reset_world(db)
    _add_author(db, "ops", administrator=True)
    _connect_as(quickstart, "ops")
    _with_cc_connection(quickstart)
    out = cli("plan", quickstart, "--detailed-exitcode", env={"AEM_PASSWORD": "pw-ops"})
    assert out.exit_code == 2, out.output
    assert "administrator privileges" not in out.output
    applied = cli("apply", "--auto-approve", quickstart, env={"AEM_PASSWORD": "pw-ops"})
    assert applied.exit_code == 0, applied.output


def test_admin_itself_is_an_administrator(quickstart: Path, cli: Run) -> None:
    out = cli("plan", quickstart)
    assert out.exit_code == 0, out.output
    assert "administrator privileges" not in out.output
