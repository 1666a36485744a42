"""Connection models and their diagnostics through the loader."""

from __future__ import annotations

import pytest
from conftest import TOY_KINDS, Writer
from pydantic import TypeAdapter, ValidationError

from reconciler.config import (
    AdobeConnection,
    AemConnection,
    ConfigError,
    Connection,
    WorkfrontConnection,
    load_config,
)

HEX = "0123456789abcdef0123456789abcdef"


def test_connection_union_discriminates() -> None:
    ta: TypeAdapter[AemConnection | AdobeConnection | WorkfrontConnection] = TypeAdapter(Connection)
    aem = ta.validate_python({"type": "aem", "url": "https://author.example.com/", "token": "t"})
    assert isinstance(aem, AemConnection) and aem.url == "https://author.example.com"
    assert aem.mac_service_path == "/etc/cloudservices/marketingcloud" and aem.verify_tls and aem.timeout_s == 30
    adobe = ta.validate_python({"type": "adobe", "client_id": HEX, "client_secret": "s"})
    assert isinstance(adobe, AdobeConnection)
    assert adobe.ims_url == "https://ims-na1.adobelogin.com"
    assert adobe.umapi_url == "https://usermanagement.adobe.io/v2/usermanagement"
    assert "manage_client_secrets" in adobe.scopes and adobe.scopes[0] == "openid"
    wf = ta.validate_python({"type": "workfront", "url": "sandbox://workfront", "auth": "ims", "adobe": "a"})
    assert isinstance(wf, WorkfrontConnection) and wf.api_version == "21.0"


@pytest.mark.parametrize(
    "data",
    [
        {"type": "aem", "url": "sandbox://aem"},
        {"type": "aem", "url": "sandbox://aem", "username": "u"},
        {"type": "aem", "url": "sandbox://aem", "username": "u", "password": "p", "token": "t"},
        {"type": "aem", "url": "sandbox://ims", "token": "t"},
        {"type": "aem", "url": "localhost:4502", "token": "t"},
        {"type": "adobe", "client_id": "p8e-abc", "client_secret": "s"},
        {"type": "adobe", "client_id": "12345678-1234-1234-1234-123456789012", "client_secret": "s"},
        {"type": "adobe", "client_id": HEX.upper(), "client_secret": "s"},
        {"type": "adobe", "client_id": HEX, "client_secret": "s", "ims_url": "sandbox://umapi"},
        {"type": "workfront", "url": "sandbox://workfront", "auth": "ims"},
        {"type": "workfront", "url": "sandbox://workfront", "auth": "api_key"},
        {"type": "workfront", "url": "sandbox://workfront", "auth": "api_key", "api_key": "k", "extra": 1},
    ],
)
def test_invalid_connections(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Connection).validate_python(data)


def test_client_secret_in_client_id_is_named_but_not_shown(write: Writer) -> None:
    path = write(
        "a.yaml",
        "version: 1\nconnections:\n  adobe:\n    type: adobe\n    client_id: ${env:ID}\n"
        "    client_secret: ${env:SECRET}\n",
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, kinds=TOY_KINDS, environ={"ID": "p8e-Zx9SECRETSECRET", "SECRET": "x"})
    text = str(info.value)
    assert "looks like a client secret" in text
    assert "p8e-Zx9SECRETSECRET" not in text and "SECRETSECRET" not in text
    assert f"{path}:5:16" in text


def test_connection_type_errors(write: Writer) -> None:
    path = write(
        "a.yaml",
        "version: 1\nconnections:\n  a: {url: sandbox://aem}\n  b: {type: aen, url: sandbox://aem}\n"
        "  c: {type: aem, url: sandbox://aem, token: '${env:T}', bogus: 1}\n  d:\n",
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, kinds=TOY_KINDS, environ={"T": "tokentoken"})
    errs = info.value.errors
    assert "missing required field 'type'" in errs[0].summary
    assert errs[1].hint == "did you mean 'aem'?" and errs[1].loc is not None and errs[1].loc.col == 13
    assert errs[2].summary == "unknown key 'bogus' in connections.c"
    assert "connection d is empty" in errs[3].summary


def test_workfront_adobe_reference(write: Writer) -> None:
    base = (
        "version: 1\nconnections:\n"
        f"  adobe-prod: {{type: adobe, client_id: {HEX}, client_secret: '${{env:S}}'}}\n"
        "  aem: {type: aem, url: sandbox://aem, token: '${env:S}'}\n"
    )
    ok = write("a.yaml", base + "  wf: {type: workfront, url: sandbox://workfront, auth: ims, adobe: adobe-prod}\n")
    cfg = load_config(ok, kinds=TOY_KINDS, environ={"S": "x"})
    assert cfg.connections["wf"].type == "workfront"
    ok.write_text(base + "  wf: {type: workfront, url: sandbox://workfront, auth: ims, adobe: adobe-prd}\n")
    with pytest.raises(ConfigError) as info:
        load_config(ok, kinds=TOY_KINDS, environ={"S": "x"})
    assert info.value.errors[0].hint == "did you mean 'adobe-prod'?"
    ok.write_text(base + "  wf: {type: workfront, url: sandbox://workfront, auth: ims, adobe: aem}\n")
    with pytest.raises(ConfigError, match="of type aem, not adobe"):
        load_config(ok, kinds=TOY_KINDS, environ={"S": "x"})


def test_connection_cannot_reference_resources(write: Writer) -> None:
    path = write(
        "a.yaml",
        "version: 1\nconnections:\n  aem: {type: aem, url: sandbox://aem, token: '${orgs.o.ims_org_id}'}\n",
    )
    with pytest.raises(ConfigError, match="connections cannot use resource attributes"):
        load_config(path, kinds=TOY_KINDS, environ={})
