"""The kinds' shared machinery: Unknown values through specs, field checks, addresses, implicit deps."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from reconciler.engine import SpecError, Unknown, is_unknown
from reconciler.engine.addrs import Address
from reconciler.kinds import REGISTRY, ProviderContext
from reconciler.kinds.base import parse_model, resource_name
from reconciler.kinds.cloud_configs import CloudConfigSpec
from reconciler.kinds.errors import ConnectionMissing, KindError
from reconciler.kinds.shares import waits_for_agents
from reconciler.refs import AttrRef

APP_ID = Unknown(AttrRef("applications", "assets-sync", "application_id"))
CFG = {"connection": "author", "tenant_url": "https://acme.experiencecloud.adobe.com"}


def test_an_unknown_value_passes_the_spec_as_is_and_skips_the_format_check() -> None:
    parsed = parse_model(CloudConfigSpec, "cloud_configs.x", {**CFG, "client_id": APP_ID})
    assert parsed.model.client_id is APP_ID and is_unknown(parsed.model.client_id)
    provider = REGISTRY["cloud_configs"].provider(ProviderContext({}))
    assert is_unknown(provider.desired(parsed)["client_id"])


def test_a_known_value_is_checked_by_the_engine_parse() -> None:
    with pytest.raises(SpecError) as exc:
        parse_model(CloudConfigSpec, "cloud_configs.x", {**CFG, "client_id": "p8e-ThisLooksLikeAClientSecret0123456789"})
    assert exc.value.messages[0].startswith("client_id: Value error, this looks like the application's client secret")


def test_the_loader_validation_skips_literal_references_but_the_engine_does_not() -> None:
    literal = "${applications.assets-sync.application_id}"
    assert CloudConfigSpec.model_validate({**CFG, "client_id": literal}).client_id == literal  # load time
    bad_tenant = {**CFG, "client_id": "0123456789abcdef0123456789abcdef", "tenant_url": "${orgs.acme.tenant}"}
    CloudConfigSpec.model_validate(bad_tenant)  # load time: not judged yet
    with pytest.raises(ValidationError):  # engine parse: a plain string is a value, and it is checked
        CloudConfigSpec.model_validate(bad_tenant, context={"engine": True})


def test_unknown_is_falsy_shown_as_known_after_apply_and_equal_only_to_itself() -> None:
    assert not APP_ID and repr(APP_ID) == "(known after apply)"
    assert str(APP_ID) == "${applications.assets-sync.application_id}"
    assert APP_ID != "${applications.assets-sync.application_id}"
    assert APP_ID == Unknown(AttrRef("applications", "assets-sync", "application_id"))
    assert is_unknown({"a": [1, APP_ID]}) and not is_unknown({"a": ["${x.y.z}"]})


def test_address_parse_str_and_order() -> None:
    addr = Address.parse("folders.mc-demo")
    assert (addr.kind, addr.name, str(addr)) == ("folders", "mc-demo", "folders.mc-demo")
    assert sorted([Address("users", "a"), Address("folders", "z"), Address("folders", "b")]) == [
        Address("folders", "b"),
        Address("folders", "z"),
        Address("users", "a"),
    ]
    assert resource_name("cloud_configs.assets-sync") == "assets-sync"
    for bad in ("folders", "Folders.x", "folders.", "folders.-x"):
        with pytest.raises(ValueError):
            Address.parse(bad)


def test_a_share_implicitly_waits_for_the_agents_of_its_cloud_config() -> None:
    resources = {
        "replication_agents.a": {"created_by": "sync"},
        "replication_agents.b": {"created_by": "other"},
        "folders.sync": {"created_by": "sync"},
    }
    assert waits_for_agents("shares.s", {"cloud_config": "sync"}, resources) == ["replication_agents.a"]
    assert waits_for_agents("shares.s", {"target": "creative_cloud"}, resources) == []
    assert REGISTRY["shares"].implicit_deps is waits_for_agents


def test_connection_missing_is_a_kind_error() -> None:
    ctx = ProviderContext({})
    with pytest.raises(ConnectionMissing) as exc:
        ctx.aem("nope")
    assert isinstance(exc.value, KindError) and (
        "connection 'nope' is not declared; a connection of type aem is needed") in str(exc.value)
