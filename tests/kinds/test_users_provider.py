"""The users kind without a service: what removing a user says it does (``removal_effect``, by the
ownership rules of its module docstring), the create's notes and attributes, outputs that never hold
an empty ``user_id``, and ``CreatedIds`` (ids read back after creates, one listing per round)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from reconciler.engine import RefreshItem, StateRecord
from reconciler.kinds.context import ProviderContext
from reconciler.kinds.users import CreatedIds, UserProvider

ORG = "A1B2C3D4E5F6A7B8C9D0E1F2@AdobeOrg"


def _provider() -> UserProvider:
    return UserProvider(ProviderContext({}))


def _record(*, created: bool, added: list[str], remove_from_org: bool = False, type_: str = "federated_id") -> StateRecord:
    outputs = {"email": "bob@acme.example", "org": ORG, "connection": "adobe", "type": type_,
               "added_groups": added, "created": created, "remove_from_org": remove_from_org}
    return StateRecord("users.bob", "users", f"{ORG}/bob@acme.example", created, outputs=outputs)


def test_a_user_leaving_the_yaml_loses_only_the_memberships_added_here() -> None:
    p = _provider()
    effect = p.removal_effect(_record(created=True, added=["Marketing Cloud"]))
    assert effect is not None and effect.kept
    assert effect.planned == "will lose the memberships this tool added (Marketing Cloud); the account stays"
    assert effect.done == "lost the memberships this tool added (Marketing Cloud); the account stays"
    assert p.destroy_note(_record(created=True, added=["Marketing Cloud"])) is None  # the header says it


def test_memberships_removed_outside_are_not_promised_again() -> None:
    p = _provider()
    p._live["users.bob"] = {"email": "bob@acme.example", "groups": ["Assets Editors"]}  # observed by the plan
    effect = p.removal_effect(_record(created=True, added=["Marketing Cloud"]))
    assert effect is not None and effect.kept
    assert effect.planned == "will be forgotten; the account and its memberships stay (this tool added none)"


def test_remove_from_org_deletes_only_an_account_created_here_that_is_not_an_adobe_id() -> None:
    p = _provider()
    ours = _record(created=True, added=[], remove_from_org=True)
    assert p.removal_effect(ours) is None  # "will be DELETED" is true
    assert p.destroy_note(ours) == "removes bob@acme.example from the org and deletes the account (created by this tool)"
    adopted = p.removal_effect(_record(created=False, added=[], remove_from_org=True))
    assert adopted is not None and not adopted.kept
    assert adopted.planned == "will be removed from the org; the account itself stays (not created by this tool)"
    adobe_id = p.removal_effect(_record(created=True, added=[], remove_from_org=True, type_="adobe_id"))
    assert adobe_id is not None and "an Adobe ID belongs to the person" in adobe_id.planned


def test_a_new_users_country_is_an_attribute_and_a_note() -> None:
    p = _provider()
    spec = p.parse("users.jane", {"org": ORG, "email": "Jane@acme.example", "country": "DE"})
    assert p.desired(spec)["country"] == "DE"
    notes = p.change_notes("users.jane", spec, None)
    assert any("country DE is set at creation only" in n and "cannot change it later" in n for n in notes), notes
    without = p.parse("users.jane", {"org": ORG, "email": "jane@acme.example", "type": "adobe_id"})
    assert "country" not in p.desired(without)


def test_an_accounts_other_country_is_not_a_change_to_make() -> None:
    p = _provider()
    spec = p.parse("users.jane", {"org": ORG, "email": "jane@acme.example", "country": "DE"})
    live = {"email": "jane@acme.example", "type": "federatedID", "country": "FR", "id": "X@AdobeID"}
    obs = p._observed(RefreshItem("users.jane", spec, None), "adobe", ORG, live)
    assert obs.attributes["country"] == "DE"  # no update planned (UMAPI cannot change it): notes() warns
    only_state = p._observed(RefreshItem("users.jane", None, _record(created=True, added=[])), "adobe", ORG, live)
    assert only_state.attributes["country"] == "FR"


def test_user_id_is_the_listings_or_left_out_never_empty() -> None:
    p = _provider()
    spec = p.parse("users.jane", {"org": ORG, "email": "jane@acme.example", "country": "DE"})
    listed = {"email": "jane@acme.example", "type": "federatedID", "id": "842F3CF3@AdobeID"}
    assert p._observed(RefreshItem("users.jane", spec, None), "adobe", ORG, listed).outputs["user_id"] == "842F3CF3@AdobeID"
    no_id = {"email": "jane@acme.example", "type": "federatedID"}
    assert "user_id" not in p._observed(RefreshItem("users.jane", spec, None), "adobe", ORG, no_id).outputs
    rec = _record(created=True, added=[])
    rec.outputs["user_id"] = "842F3CF3@AdobeID"
    assert p._observed(RefreshItem("users.jane", spec, rec), "adobe", ORG, no_id).outputs["user_id"] == "842F3CF3@AdobeID"


def test_created_ids_share_one_listing_per_round() -> None:
    listings: list[int] = []

    async def go() -> None:
        gate = asyncio.Event()

        async def fetch() -> list[dict[str, Any]]:
            listings.append(1)
            await gate.wait()
            return [{"email": f"u{i}@acme.example", "id": f"ID{i}"} for i in range(5)]

        ids = CreatedIds(fetch)
        first = [asyncio.ensure_future(ids.row_of(f"u{i}@acme.example")) for i in range(3)]
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        late = asyncio.ensure_future(ids.row_of("u4@acme.example"))  # its create finished during the listing
        missing = asyncio.ensure_future(ids.row_of("nobody@acme.example"))
        await asyncio.sleep(0)
        gate.set()
        rows = await asyncio.gather(*first, late, missing)
        assert [r["id"] if r else None for r in rows] == ["ID0", "ID1", "ID2", "ID4", None]
        assert ids.listings == 2  # the three first creates in one listing, the two later ones in the next

    asyncio.run(go())
    assert len(listings) == 2


def test_created_ids_raise_a_failed_listing_to_its_round() -> None:
    async def go() -> None:
        async def fetch() -> list[dict[str, Any]]:
            raise RuntimeError("listing failed")

        ids = CreatedIds(fetch)
        with pytest.raises(RuntimeError, match="listing failed"):
            await ids.row_of("u0@acme.example")

    asyncio.run(go())


def test_a_user_no_longer_declared_is_observed_with_the_memberships_it_was_managed_with() -> None:
    """An adopted user (no membership added here) that leaves the YAML shows no drift: the groups the
    state recorded are read back as they are live, and only a real change outside shows."""
    p = _provider()
    rec = _record(created=False, added=[])
    rec.attributes = {"email": "bob@acme.example", "groups": ["Marketing Cloud"], "type": "federated_id"}
    live = {"email": "bob@acme.example", "type": "federatedID", "groups": ["Marketing Cloud", "Other"]}
    observed = p._observed(RefreshItem("users.bob", None, rec), "adobe", ORG, live)
    assert observed.attributes["groups"] == ["Marketing Cloud"]  # "Other" was never managed
    gone = {**live, "groups": ["Other"]}
    assert p._observed(RefreshItem("users.bob", None, rec), "adobe", ORG, gone).attributes["groups"] == []
