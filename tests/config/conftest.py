"""Toy resource kinds and helpers for the configuration loader tests (no real kinds needed)."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from reconciler.config import RefTo, is_unresolved


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrgSpec(_Spec):
    """An IMS org (toy)."""

    ims_org_id: str = Field(description="The IMS org ID, <24 hex>@AdobeOrg.")


class AppSpec(_Spec):
    org: Annotated[str, RefTo("orgs")] = Field(description="Org the application lives in.")
    title: str
    scopes: list[str] = []
    credential: Literal["oauth_server_to_server", "service_account_jwt"] = "oauth_server_to_server"


class UserSpec(_Spec):
    org: Annotated[str, RefTo("orgs")]
    email: str


class FolderSpec(_Spec):
    connection: Annotated[str, RefTo("connections:aem")] = "aem"
    path: str
    ordered: bool = False
    title: str | None = None


class Member(_Spec):
    user: Annotated[str, RefTo("users")]
    role: Literal["viewer", "editor", "owner"]


class ShareSpec(_Spec):
    folder: Annotated[str, RefTo("folders")]
    members: list[Member] = []
    watchers: list[Annotated[str, RefTo("users")]] = []
    max_items: int = 10


class CloudConfigSpec(_Spec):
    connection: Annotated[str, RefTo("connections:aem")]
    client_id: str = Field(description="Application ID (32 hex).")
    tenant_url: str
    note: str | None = None
    api_secret: SecretStr | None = None
    retries: int = 3

    @field_validator("client_id")
    @classmethod
    def _client_id(cls, value: str) -> str:
        if is_unresolved(value) or re.fullmatch(r"[0-9a-f]{32}", value):
            return value
        raise ValueError("expected an application ID: 32 lowercase hex digits")


class KeySpec(_Spec):
    application: Annotated[str, RefTo("applications")]
    certificate: str


@dataclass(frozen=True)
class ToyKind:
    name: str
    model: type[BaseModel]
    outputs: frozenset[str] = frozenset()


TOY_KINDS: dict[str, ToyKind] = {
    k.name: k
    for k in (
        ToyKind("orgs", OrgSpec),
        ToyKind("applications", AppSpec, frozenset({"application_id", "technical_account_id"})),
        ToyKind("users", UserSpec),
        ToyKind("folders", FolderSpec),
        ToyKind("shares", ShareSpec),
        ToyKind("cloud_configs", CloudConfigSpec, frozenset({"public_key"})),
        ToyKind("application_keys", KeySpec, frozenset({"fingerprint"})),
    )
}

CONNECTIONS_YAML = """\
connections:
  aem:
    type: aem
    url: sandbox://aem
    username: admin
    password: ${env:AEM_PASSWORD:-admin}
  adobe:
    type: adobe
    ims_url: sandbox://ims
    console_url: sandbox://console
    umapi_url: sandbox://umapi
    client_id: 0123456789abcdef0123456789abcdef
    client_secret: ${env:ADOBE_SECRET:-dummy}
"""


@pytest.fixture
def kinds() -> dict[str, ToyKind]:
    return TOY_KINDS


Writer = Callable[..., Path]


@pytest.fixture
def write(tmp_path: Path) -> Writer:
    """write("a.yaml", text) -> path; text is dedented."""

    def _write(name: str, text: str = "") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return _write
