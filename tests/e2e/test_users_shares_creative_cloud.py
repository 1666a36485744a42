"""Users, shares and the Creative Cloud connection end to end through the CLI on the sandbox:
every rule with its message, idempotence, drift, ownership of memberships, request budgets."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from reconciler import sandbox
from reconciler.engine import make_plan
from tests.helpers import CC_ORG, EXAMPLES, ORG, QUICKSTART, Run

CREATIVE = EXAMPLES / "creative-cloud"


def _db(path: Path) -> Path:
    return path / ".reconciler" / "sandbox.db"


def _edit(path: Path, old: str, new: str) -> None:
    main = path / "main.yaml"
    text = main.read_text()
    assert old in text, old
    main.write_text(text.replace(old, new, 1))


@pytest.fixture
def creative(tmp_path: Path) -> Path:
    dest = tmp_path / "creative-cloud"
    shutil.copytree(CREATIVE, dest, ignore=shutil.ignore_patterns(".reconciler"))
    return dest


def _apply(cli: Run, path: Path) -> str:
    out = cli("apply", "--auto-approve", path)
    assert out.exit_code == 0, out.output
    return out.output


# -- load-time rules ------------------------------------------------------------------------------


def test_ordered_folder_cannot_be_shared(quickstart: Path, cli: Run) -> None:
    _edit(quickstart, "    title: MC Demo\n    ordered: false", "    title: MC Demo\n    ordered: true")
    out = cli("validate", quickstart)
    assert out.exit_code == 1
    assert (
        "shares folders.mc-demo, which is ordered (sling:OrderedFolder): ordered folders cannot be shared" in out.output
    )
    assert "main.yaml:" in out.output and "set ordered: false on folders.mc-demo" in out.output


def test_share_to_experience_cloud_needs_synchronization(quickstart: Path, cli: Run) -> None:
    _edit(quickstart, "synchronization: enabled ", "synchronization: disabled")
    out = cli("plan", quickstart)
    assert out.exit_code == 1
    assert (
        "shares.mc-demo-experience-cloud shares to Experience Cloud through cloud_configs.assets-sync,"
        " whose synchronization is disabled"
    ) in out.output
    assert "set synchronization: enabled on cloud_configs.assets-sync" in out.output


def test_two_creative_cloud_connections_name_both_places(creative: Path, cli: Run) -> None:
    _edit(
        creative,
        "    org: acme-creative\n\n",
        "    org: acme-creative\n  second:\n    connection: author\n    org: acme\n\n",
    )
    out = cli("validate", creative)
    assert out.exit_code == 1
    assert "two Creative Cloud connections for AEM connection 'author': creative_cloud_connections.assets" in out.output
    assert "main.yaml:34:3) and creative_cloud_connections.second (" in out.output
    assert "main.yaml:37:3" in out.output


def test_member_that_is_not_a_user_of_the_org(quickstart: Path, cli: Run) -> None:
    extra = (
        "  creative:\n    connection: adobe\n    ims_org_id: 0F1E2D3C4B5A69788796A5B4@AdobeOrg\n\n"
        "creative_cloud_connections:\n  assets:\n    connection: author\n    org: creative\n\n"
    )
    _edit(
        quickstart,
        "    ims_org_id: A1B2C3D4E5F6A7B8C9D0E1F2@AdobeOrg\n\n",
        "    ims_org_id: A1B2C3D4E5F6A7B8C9D0E1F2@AdobeOrg\n" + extra,
    )
    out = cli("validate", quickstart)
    assert out.exit_code == 1
    assert "member users.jane is not a user of the org 'creative' (it is a user of 'acme')" in out.output


def test_members_must_be_declared_users(quickstart: Path, cli: Run) -> None:
    _edit(quickstart, "{user: jane, role: editor}", "{user: janet, role: editor}")
    out = cli("validate", quickstart)
    assert out.exit_code == 1 and "janet" in out.output and "jane" in out.output


# -- plan-time rules ------------------------------------------------------------------------------


def test_live_ordered_folder_is_refused_at_plan_time(quickstart: Path, cli: Run) -> None:
    # the YAML says plain, the live folder (made by the Assets UI or HTTP API) is ordered
    _edit(
        quickstart,
        "  mc-demo:\n    connection: author\n    title: MC Demo",
        "  mc-demo:\n    connection: author\n    path: /content/dam/we-retail\n    title: MC Demo",
    )
    out = cli("plan", quickstart)
    assert out.exit_code == 1
    assert (
        "/content/dam/we-retail is a sling:OrderedFolder in AEM: ordered folders cannot be shared to Experience Cloud"
    ) in out.output
    assert "Creative Cloud" in out.output


def test_target_org_without_creative_cloud_entitlement(creative: Path, cli: Run) -> None:
    assert cli("validate", creative).exit_code == 0
    db = _db(creative)
    sandbox.reset_world(db)
    sandbox.set_creative_cloud_entitlement(db, CC_ORG, False)
    _edit(creative, "    groups: [Creative Cloud All Apps]", "    groups: []")
    out = cli("plan", creative)
    assert out.exit_code == 1
    assert f"Acme Creative ({CC_ORG}) has no active Creative Cloud entitlement" in out.output


def test_switch_states_old_and_new_org_and_all_users(creative: Path, cli: Run) -> None:
    out = cli("plan", creative)
    assert out.exit_code == 0, out.output
    assert (
        f"from Acme Corp ({ORG}) to Acme Creative ({CC_ORG}): the switch applies to all users of the organization"
    ) in out.output
    _apply(cli, creative)
    assert sandbox.umapi_snapshot(_db(creative))["cc_connection"] == CC_ORG
    assert "No changes." in cli("plan", creative).output


# -- quickstart: shares, users, idempotence, drift, ownership --------------------------------------


def test_plan_states_the_ownership_rule(quickstart: Path, cli: Run) -> None:
    out = cli("plan", quickstart).output
    assert "changes to an asset propagate only from the side where it was uploaded" in out
    assert "waits for cloud_configs.assets-sync, folders.mc-demo, replication_agents.mac-sync" in out
    assert "users.dana, users.jane" in out


def test_apply_twice_then_drift_in_a_membership_shows_up(quickstart: Path, cli: Run) -> None:
    _apply(cli, quickstart)
    db = _db(quickstart)
    snap = sandbox.umapi_snapshot(db)
    assert snap["members"][f"{ORG}/jane.doe@acme.example"] == ["Marketing Cloud"]
    assert snap["members"][f"{ORG}/dana@acme.example"] == ["Assets Editors", "Marketing Cloud"]
    assert snap["shares"]["/content/dam/mc-demo/creative_cloud"] == [
        {"email": "dana@acme.example", "role": "viewer"},
        {"email": "jane.doe@acme.example", "role": "editor"},
    ]
    assert "No changes." in _apply(cli, quickstart)
    assert cli("plan", "--detailed-exitcode", quickstart).exit_code == 0

    sandbox.set_umapi_membership(db, ORG, "jane.doe@acme.example", "Marketing Cloud", False)
    sandbox.set_umapi_membership(db, ORG, "jane.doe@acme.example", "Assets Editors", True)  # not managed
    out = cli("plan", "--detailed-exitcode", quickstart)
    assert out.exit_code == 2
    assert "users.jane" in out.output and 'groups = [] -> ["Marketing Cloud"]' in out.output
    assert "drift" in out.output
    _apply(cli, quickstart)
    assert sandbox.umapi_snapshot(db)["members"][f"{ORG}/jane.doe@acme.example"] == [
        "Assets Editors",
        "Marketing Cloud",
    ]


def test_removing_users_removes_only_memberships_added_here(quickstart: Path, cli: Run) -> None:
    _apply(cli, quickstart)
    db = _db(quickstart)
    main = quickstart / "main.yaml"
    text = main.read_text()
    main.write_text(text[: text.index("# Step 6")])  # users and shares leave the YAML
    out = cli("plan", quickstart)
    effect = "will lose the memberships this tool added (Marketing Cloud); the account stays"
    assert f"# users.jane {effect}: removed from the configuration" in out.output, out.output
    assert f"# users.dana {effect}: removed from the configuration" in out.output
    assert "users.jane will be DELETED" not in out.output and "  / users.jane\n" in out.output
    done = _apply(cli, quickstart)
    lost = ": lost the memberships this tool added (Marketing Cloud); the account stays"
    for user in ("jane", "dana"):
        line = next(ln for ln in done.splitlines() if ln.startswith(f"users.{user}: Forgotten (left in place) after "))
        assert line.endswith(lost), line
    assert "users.jane: Destruction complete" not in done and "2 deleted, 2 forgotten" in done, done  # shares: deleted
    snap = sandbox.umapi_snapshot(db)
    assert snap["members"][f"{ORG}/dana@acme.example"] == ["Assets Editors"]  # its own group kept
    assert f"{ORG}/dana@acme.example" in snap["users"] and f"{ORG}/jane.doe@acme.example" in snap["users"]
    assert f"{ORG}/jane.doe@acme.example" not in snap["members"]
    assert snap["shares"] == {}


def test_remove_from_org_deletes_only_accounts_created_here(quickstart: Path, cli: Run) -> None:
    _edit(
        quickstart,
        "    groups: [Marketing Cloud]\n  dana:",
        "    groups: [Marketing Cloud]\n    remove_from_org: true\n  dana:",
    )
    _edit(quickstart, "    email: dana@acme.example\n", "    email: dana@acme.example\n    remove_from_org: true\n")
    _apply(cli, quickstart)
    main = quickstart / "main.yaml"
    text = main.read_text()
    main.write_text(text[: text.index("# Step 6")])
    out = cli("plan", quickstart).output
    assert "# users.jane will be DELETED: removed from the configuration" in out  # created here, not an Adobe ID
    assert "removes jane.doe@acme.example from the org and deletes the account (created by this tool)" in out
    assert "# users.dana will be removed from the org; the account itself stays (not created by this tool)" in out
    _apply(cli, quickstart)
    assert not any(
        k.endswith(("/dana@acme.example", "/jane.doe@acme.example"))
        for k in sandbox.umapi_snapshot(_db(quickstart))["users"]
    )


def test_unknown_group_is_a_plan_error(quickstart: Path, cli: Run) -> None:
    _edit(quickstart, "    groups: [Marketing Cloud]\n  dana:", "    groups: [Marketing Clud]\n  dana:")
    out = cli("plan", quickstart)
    assert out.exit_code == 1 and f"group(s) Marketing Clud not found in org {ORG}" in out.output
    assert "; did you mean Marketing Cloud?; the org has: " in out.output  # what the org has, from the listing


# -- request budget ----------------------------------------------------------------------------------


def _users_yaml(n: int) -> str:
    lines = ["\nusers:\n"]
    for i in range(n):
        lines.append(f"  u{i}:\n    org: acme\n    email: u{i}@acme.example\n    groups: [Marketing Cloud]\n")
    return "".join(lines)


def _noop_plan_umapi_requests(tmp_path: Path, n: int) -> int:
    from reconciler.wiring import Workspace

    work = tmp_path / f"n{n}"
    work.mkdir()
    text = (QUICKSTART / "main.yaml").read_text()
    text = text[: text.index("# Step 1")]  # connections and the org only
    (work / "main.yaml").write_text(text + _users_yaml(n))
    sandbox.add_umapi_users(
        _db(work), ORG, [{"email": f"u{i}@acme.example", "groups": ["Marketing Cloud"]} for i in range(n)]
    )

    async def run() -> int:
        from reconciler.engine import apply_plan

        ws = Workspace(work)
        try:
            first = await make_plan(ws.desired, ws.state, ws.providers)
            result = await apply_plan(first, ws.state, ws.providers)
            assert result.ok
        finally:
            await ws.aclose()
        ws = Workspace(work)
        try:
            again = await make_plan(ws.desired, ws.state, ws.providers)
            assert not again.plan.has_changes
            return ws.ctx.umapi("adobe").request_count
        finally:
            await ws.aclose()
            ws.close_state()

    return asyncio.run(run())


def test_noop_plan_over_500_users_makes_a_constant_number_of_requests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("reconciler.clients.umapi.PUBLISHED_LIMITS_PER_MIN", {})  # adopting 500 is not the point
    small = _noop_plan_umapi_requests(tmp_path, 5)
    large = _noop_plan_umapi_requests(tmp_path, 500)
    assert large == small == 2  # one users page + one groups page for the org


def test_a_country_the_api_cannot_change_is_said_not_silently_ignored(quickstart: Path, cli: Run) -> None:
    _apply(cli, quickstart)
    _edit(quickstart, "    country: US\n", "    country: DE\n")
    out = cli("plan", "--detailed-exitcode", quickstart)
    assert out.exit_code == 0, out.output  # nothing to do: the API cannot change it...
    assert "jane.doe@acme.example: country DE is not applied: the account's country is US" in out.output  # ...said
    _edit(quickstart, "    country: DE\n", "    country: us\n")
    assert "is not applied" not in cli("plan", quickstart).output
