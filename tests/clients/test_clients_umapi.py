"""The UMAPI client against the in-process sandbox: paging, the /action format, partial success, testOnly,
429 + Retry-After, create/remove errors, the published per-client limits (the emulator's own headers
and error answers: tests/sandbox/test_sandbox_umapi.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.clients.umapi import UmapiClient, user_command
from reconciler.sandbox import add_umapi_users, set_faults, set_umapi_rate_limits, umapi_snapshot
from tests.helpers import ORG

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_users_are_listed_in_pages_of_2000(umapi: UmapiClient, db: Path) -> None:
    add_umapi_users(db, ORG, [{"email": f"u{i:05d}@acme.example", "groups": ["Marketing Cloud"]} for i in range(4500)])
    before = umapi.request_count
    users = await umapi.list_users(ORG)
    assert len(users) == 4502  # + the two seeded users
    assert umapi.request_count - before == 3  # pages 0, 1, 2
    by_email = {u["email"]: u for u in users}
    assert by_email["u00042@acme.example"]["groups"] == ["Marketing Cloud"]
    assert by_email["u00042@acme.example"]["type"] == "federatedID"
    members = await umapi.list_users(ORG, group="Marketing Cloud")
    assert len(members) == 4500


async def test_groups_listing(umapi: UmapiClient) -> None:
    groups = {g["groupName"]: g for g in await umapi.list_groups(ORG)}
    assert groups["Marketing Cloud"]["type"] == "PRODUCT_PROFILE"
    assert groups["Creative Cloud All Apps"]["productName"] == "Creative Cloud All Apps"
    assert groups["Assets Editors"]["type"] == "USER_GROUP"


async def test_action_partial_success_names_the_failing_command(umapi: UmapiClient, db: Path) -> None:
    commands = [
        user_command(
            "new@acme.example",
            [
                {
                    "createFederatedID": {
                        "email": "new@acme.example",
                        "country": "US",
                        "firstname": "N",
                        "lastname": "W",
                    }
                },
                {"add": {"group": ["Marketing Cloud"]}},
            ],
        ),
        user_command("dana@acme.example", [{"add": {"group": ["No Such Profile"]}}]),
        user_command("ghost@acme.example", [{"add": {"group": ["Marketing Cloud"]}}]),
    ]
    result = await umapi.execute(ORG, commands)
    assert result.completed == 1 and result.not_completed == 2
    codes = {e.command: e.code for e in result.errors}
    assert codes == {1: "error.group.not_found", 2: "error.user.nonexistent"}
    assert [e.message for e in result.errors if e.command == 1] == ["Group No Such Profile was not found"]
    snap = umapi_snapshot(db)
    assert snap["members"][f"{ORG}/new@acme.example"] == ["Marketing Cloud"]
    assert snap["members"][f"{ORG}/dana@acme.example"] == ["Assets Editors"]


async def test_batches_of_ten_commands_and_ten_groups(umapi: UmapiClient, db: Path) -> None:
    add_umapi_users(db, ORG, [{"email": f"b{i}@acme.example"} for i in range(25)])
    result = await umapi.execute(
        ORG, [user_command(f"b{i}@acme.example", [{"add": {"group": ["Marketing Cloud"]}}]) for i in range(25)]
    )
    assert result.ok and result.completed == 25 and result.requests == 3
    # 12 groups in one add step: split into two steps (the sandbox refuses more than 10 in one)
    create = {"createFederatedID": {"email": "g@acme.example", "country": "US"}}
    names = [f"grp{i}" for i in range(12)]
    group_cmds = [{"usergroup": n, "requestID": n, "do": [{"createUserGroup": {"description": n}}]} for n in names]
    assert (await umapi.execute(ORG, group_cmds)).ok
    result = await umapi.execute(ORG, [user_command("g@acme.example", [create, {"add": {"group": names}}])])
    assert result.ok, result.errors
    assert sorted(umapi_snapshot(db)["members"][f"{ORG}/g@acme.example"]) == sorted(names)


async def test_test_only_changes_nothing(umapi: UmapiClient, db: Path) -> None:
    before = umapi_snapshot(db)
    result = await umapi.execute(
        ORG,
        [
            user_command("dana@acme.example", [{"add": {"group": ["Marketing Cloud"]}}]),
            user_command("ghost@acme.example", [{"remove": {"group": ["Marketing Cloud"]}}]),
        ],
        test_only=True,
    )
    assert result.completed == 0 and result.completed_in_test_mode == 2 and not result.errors
    assert umapi_snapshot(db) == before
    assert umapi.request_log[-1][1].endswith(f"/action/{ORG}")


async def test_429_with_retry_after_is_retried(umapi: UmapiClient, db: Path) -> None:
    await umapi.list_groups(ORG)  # the IMS token is fetched and cached first
    set_faults(db, fail_next=2, fail_status=429, retry_after=1)
    users = await umapi.list_users(ORG)
    assert {u["email"] for u in users} >= {"dana@acme.example"}
    statuses = [s for _, _, s in umapi.request_log]
    assert statuses[-3:] == [429, 429, 200]


async def test_published_rate_limits_when_switched_on(umapi: UmapiClient, db: Path) -> None:
    set_umapi_rate_limits(db, True)
    umapi.policy.max_attempts = 1
    for _ in range(5):
        await umapi.list_groups(ORG)
    with pytest.raises(Exception) as err:
        await umapi.list_groups(ORG)
    assert "429" in str(err.value)
    assert umapi.request_log[-1][2] == 429


async def test_removing_from_org_and_create_errors(umapi: UmapiClient, db: Path) -> None:
    r = await umapi.execute(
        ORG,
        [user_command("dana@acme.example", [{"createFederatedID": {"email": "dana@acme.example", "country": "US"}}])],
    )
    assert [e.code for e in r.errors] == ["error.user.already_in_org"]
    r = await umapi.execute(
        ORG,
        [
            user_command(
                "dana@acme.example",
                [{"removeFromOrg": {"deleteAccount": False}}, {"add": {"group": ["Marketing Cloud"]}}],
            )
        ],
    )
    assert [e.code for e in r.errors] == ["error.command.removefromorg.not_last"]
    r = await umapi.execute(ORG, [user_command("dana@acme.example", [{"removeFromOrg": {"deleteAccount": False}}])])
    assert r.ok
    assert f"{ORG}/dana@acme.example" not in umapi_snapshot(db)["users"]
