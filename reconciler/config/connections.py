"""Connection models: the endpoints the reconciler talks to (the ``connections:`` section).

``connections`` maps a name to one of:

* ``type: aem`` (:class:`AemConnection`): an AEM author; HTTP basic auth or a bearer token.
* ``type: adobe`` (:class:`AdobeConnection`): IMS, Developer Console and User Management API base
  URLs plus the OAuth Server-to-Server credential the reconciler itself uses.
* ``type: workfront`` (:class:`WorkfrontConnection`): a Workfront host, API version and auth.

A URL ``sandbox://<service>`` selects the embedded sandbox emulator. Secrets are ``SecretStr``
(printed as ``**********``); give them with ``${env:NAME}`` or ``${file:path}``.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from reconciler.refs import RefTo, is_unresolved

__all__ = [
    "CONNECTION_MODELS",
    "DEFAULT_ADOBE_SCOPES",
    "AdobeConnection",
    "AemConnection",
    "Connection",
    "WorkfrontConnection",
]

DEFAULT_ADOBE_SCOPES: tuple[str, ...] = (
    "openid",
    "AdobeID",
    "read_organizations",
    "additional_info.projectedProductContext",
    "additional_info.roles",
    "adobeio_api",
    "read_client_secret",
    "manage_client_secrets",
)

_HTTP_URL = re.compile(r"https?://[^\s/]+(/\S*)?")
_CLIENT_ID = re.compile(r"[0-9a-f]{32}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _check_url(value: str, sandbox: str) -> str:
    if is_unresolved(value):
        return value
    if value == f"sandbox://{sandbox}" or _HTTP_URL.fullmatch(value):
        return value.rstrip("/") if not value.startswith("sandbox://") else value
    raise ValueError(f"expected an http(s):// URL or sandbox://{sandbox}")


class _Common(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    verify_tls: bool = Field(True, description="Verify TLS certificates (turn off only for a local test server).")
    timeout_s: float = Field(30, gt=0, description="Timeout of one HTTP request, in seconds.")
    rate_limit_per_s: float | None = Field(
        None,
        ge=0,
        description=(
            "Client-side rate limit: at most this many requests per second to each service of this "
            "connection (set it to the rate your server allows). Absent or null: the service's default "
            "(AEM 200, Workfront 50, IMS and Developer Console 20, User Management API 40 per minute). "
            "0: no client-side limit. The limit is adaptive: a 429 halves it and pauses all of the "
            "client's requests for the Retry-After, then it climbs back."
        ),
    )


class AemConnection(_Common):
    """An AEM author instance. Authenticate with ``username`` + ``password`` or with a ``token``."""

    type: Literal["aem"] = Field(description="Connection type: an AEM author instance.")
    url: str = Field(
        description="Author base URL, e.g. https://author-p1-e2.adobeaemcloud.com or http://localhost:4502; "
        "sandbox://aem for the embedded sandbox."
    )
    username: str | None = Field(None, description="User for HTTP basic auth (with password).")
    password: SecretStr | None = Field(None, description="Password for HTTP basic auth; use ${env:...} or ${file:...}.")
    token: SecretStr | None = Field(
        None,
        description="Bearer token (e.g. a local development access token), instead of username/password.",
    )
    mac_service_path: str = Field(
        "/etc/cloudservices/marketingcloud",
        description="Repository path under which Adobe Experience Cloud cloud configurations live.",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _check_url(value, "aem")

    @model_validator(mode="after")
    def _auth(self) -> AemConnection:
        basic = self.username is not None or self.password is not None
        if basic and self.token is not None:
            raise ValueError("give either username + password or token, not both")
        if not basic and self.token is None:
            raise ValueError("no credentials: give username + password (basic auth) or token (bearer)")
        if basic and (self.username is None or self.password is None):
            missing = "password" if self.password is None else "username"
            raise ValueError(f"basic auth needs both username and password ({missing} is missing)")
        return self


class AdobeConnection(_Common):
    """Adobe IMS, Developer Console and User Management API, with the reconciler's own credential.

    The credential is an OAuth Server-to-Server credential (``client_id`` + ``client_secret``)
    of a Developer Console project that has admin rights in the org.
    """

    type: Literal["adobe"] = Field(description="Connection type: Adobe IMS + Developer Console + User Management API.")
    ims_url: str = Field("https://ims-na1.adobelogin.com", description="IMS base URL; sandbox://ims for the sandbox.")
    console_url: str = Field(
        "https://developers.adobe.io",
        description="Developer Console API base URL; sandbox://console for the sandbox.",
    )
    umapi_url: str = Field(
        "https://usermanagement.adobe.io/v2/usermanagement",
        description="User Management API base URL; sandbox://umapi for the sandbox.",
    )
    client_id: str = Field(
        description="Client ID (API key) of the OAuth Server-to-Server credential: 32 lowercase hex digits."
    )
    client_secret: SecretStr = Field(description="Client secret of the credential; use ${env:...} or ${file:...}.")
    scopes: list[str] = Field(
        default_factory=lambda: list(DEFAULT_ADOBE_SCOPES), description="OAuth scopes requested from IMS."
    )

    @field_validator("ims_url")
    @classmethod
    def _ims(cls, value: str) -> str:
        return _check_url(value, "ims")

    @field_validator("console_url")
    @classmethod
    def _console(cls, value: str) -> str:
        return _check_url(value, "console")

    @field_validator("umapi_url")
    @classmethod
    def _umapi(cls, value: str) -> str:
        return _check_url(value, "umapi")

    @field_validator("client_id")
    @classmethod
    def _client_id(cls, value: str) -> str:
        # Never echo the value: a mistake here is often a secret pasted into the wrong field.
        if is_unresolved(value) or _CLIENT_ID.fullmatch(value):
            return value
        if value.startswith("p8e-"):
            raise ValueError(
                "this looks like a client secret (it starts with 'p8e-'), not a client ID; "
                "put it in client_secret and use the credential's Client ID (32 hex characters) here"
            )
        if _UUID.fullmatch(value):
            raise ValueError(
                "this looks like a UUID (a secret or a technical account ID), not a client ID; "
                "the Client ID is 32 lowercase hex characters without dashes"
            )
        if re.fullmatch(r"[0-9A-F]{32}", value, re.IGNORECASE):
            raise ValueError("a client ID is lowercase hex; write it in lowercase")
        raise ValueError("expected a client ID: 32 lowercase hex characters")


class WorkfrontConnection(_Common):
    """A Workfront instance, authenticated by an IMS bearer token (via an adobe connection) or an API key."""

    type: Literal["workfront"] = Field(description="Connection type: Workfront.")
    url: str = Field(description="Workfront base URL, e.g. https://acme.my.workfront.com; sandbox://workfront.")
    api_version: str = Field(
        "21.0",
        pattern=r"^\d+\.\d+$",
        description="Workfront REST API version, as in /attask/api/v<version>/.",
    )
    auth: Literal["ims", "api_key"] = Field(
        description="ims: bearer token from the adobe connection named in `adobe`; api_key: the `api_key`."
    )
    api_key: SecretStr | None = Field(None, description="Workfront API key (auth: api_key).")
    adobe: Annotated[str | None, RefTo("connections:adobe")] = Field(
        None, description="Name of the adobe connection that issues IMS tokens (auth: ims)."
    )
    ims_org_id: str | None = Field(
        None,
        pattern=r"^[0-9A-F]{24}@AdobeOrg$",
        description="IMS org sent as x-gw-ims-org-id with the bearer token (auth: ims), e.g. <24 hex>@AdobeOrg.",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _check_url(value, "workfront")

    @model_validator(mode="after")
    def _auth(self) -> WorkfrontConnection:
        if self.auth == "ims" and self.adobe is None:
            raise ValueError("auth: ims needs `adobe`: the name of an adobe connection")
        if self.auth == "api_key" and self.api_key is None:
            raise ValueError("auth: api_key needs `api_key`")
        return self


Connection = Annotated[AemConnection | AdobeConnection | WorkfrontConnection, Field(discriminator="type")]

#: connection ``type`` -> model
CONNECTION_MODELS: dict[str, type[AemConnection | AdobeConnection | WorkfrontConnection]] = {
    "aem": AemConnection,
    "adobe": AdobeConnection,
    "workfront": WorkfrontConnection,
}
