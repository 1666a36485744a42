"""Adobe Developer Console (I/O Management API) client.

Protocol source: ``docs/api-fidelity.md`` section "Developer Console" and
``../shared/reference/adobe-ims-console-api.md`` section 3.

Every call sends ``Authorization: Bearer <IMS token>`` and ``x-api-key: <client id>``. ``org_id``
is always the numeric Console (AMS) org id such as ``"23294"``, not the IMS org ``...@AdobeOrg``.
Gateway errors arrive as ``{"error_code","message"}`` (e.g. 403 ``403003 Api Key is invalid``,
401 ``401013 Oauth token is not valid``) and become ``code``/``message`` of the raised
:class:`~reconciler.clients.ApiError`.

POSTs that create something are not idempotent: they are retried only on 429/503 and on
connection failures before anything was sent, never after a dropped response.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from reconciler.clients.errors import ApiError
from reconciler.clients.tokens import TokenProvider
from reconciler.clients.transport import HttpPolicy, ServiceClient, SleepFn

__all__ = ["CREDENTIAL_TYPES", "ConsoleClient"]

#: ``credentialType`` path values accepted by the subscribe endpoint.
CREDENTIAL_TYPES = frozenset({"oauth_server_to_server", "entp", "adobeid", "analytics"})

Id = str | int


def _seg(value: Id) -> str:
    text = str(value)
    if not text:
        raise ValueError("empty id in a Developer Console path")
    return quote(text, safe="")


class ConsoleClient(ServiceClient):
    """Client for the Developer Console API (``https://developer.adobe.io`` or ``sandbox://console``).

    Args:
        base_url: API root; paths start with ``/console/organizations``.
        api_key: the client id of the credential the reconciler itself authenticates with.
        token_provider: a :class:`~reconciler.clients.TokenProvider` (e.g.
            :class:`~reconciler.clients.ims.ServerToServerTokenProvider`). On a 401 the provider's
            ``invalidate()`` (if it has one) is called and the request is sent once more with a
            fresh token.
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str,
        token_provider: TokenProvider,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: HttpPolicy | None = None,
        secrets: Iterable[str] = (),
        sleep: SleepFn | None = None,
    ) -> None:
        super().__init__("console", base_url, transport=transport, policy=policy, secrets=secrets, sleep=sleep)
        self.api_key = api_key
        self.token_provider = token_provider

    async def auth_headers(self) -> dict[str, str]:
        token = await self.token_provider.token()
        self.add_secret(token)
        return {"Authorization": f"Bearer {token}", "x-api-key": self.api_key}

    async def _call(
        self,
        method: str,
        path: str,
        *,
        expected: Collection[int] = (200,),
        idempotent: bool | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        """``request`` plus one retry with a fresh token after a 401 (expired/revoked token)."""
        return await self.request_with_token_refresh(
            method, path, params=params, json=json, data=data, files=files, idempotent=idempotent, expected=expected
        )

    def _list(self, response: httpx.Response) -> list[dict[str, Any]]:
        body = self.json_of(response)
        if isinstance(body, dict) and isinstance(body.get("content"), list):  # paged org-level lists
            body = body["content"]
        if not isinstance(body, list):
            raise ApiError(
                "console",
                response.request.method,
                str(response.request.url),
                response.status_code,
                "invalid_response",
                "expected a JSON array",
            )
        return [item for item in body if isinstance(item, dict)]

    def _object(self, response: httpx.Response) -> dict[str, Any]:
        body = self.json_of(response)
        if not isinstance(body, dict):
            raise ApiError(
                "console",
                response.request.method,
                str(response.request.url),
                response.status_code,
                "invalid_response",
                "expected a JSON object",
            )
        return body

    @staticmethod
    def _certificate_file(certificate_pem: str | bytes) -> dict[str, tuple[str, bytes, str]]:
        content = certificate_pem.encode() if isinstance(certificate_pem, str) else certificate_pem
        return {"certificate": ("certificate", content, "application/x-pem-file")}

    # -- organizations and projects ------------------------------------------------------------

    async def list_orgs(self) -> list[dict[str, Any]]:
        """``GET /console/organizations`` -> ``[{"id","code","name","description","type","roles","role"}]``.

        ``id`` is the numeric Console org id, ``code`` the IMS org (``...@AdobeOrg``), ``role``
        ``"ADMIN"`` or ``"DEVELOPER"``. Protocol: api-fidelity.md row ``GET /console/organizations``.
        """
        return self._list(await self._call("GET", "/console/organizations"))

    async def list_projects(self, org_id: Id, *, title: str | None = None) -> list[dict[str, Any]]:
        """``GET /console/organizations/{orgId}/projects`` (bare array; ``title`` = exact filter).

        Items: ``{id,name,title,description,type,enabled,deleted,org_id,date_created,
        date_last_modified,who_created,metadata:{workspaces:[{id,name}]}}``.
        Protocol: api-fidelity.md row ``GET /console/organizations/{orgId}/projects``.
        """
        params = {"title": title} if title is not None else None
        return self._list(await self._call("GET", f"/console/organizations/{_seg(org_id)}/projects", params=params))

    async def create_project(self, org_id: Id, *, name: str, title: str, description: str = "") -> dict[str, Any]:
        """``POST .../projects`` JSON ``{name,title,type:"default",description}`` -> ``{projectId,
        projectType, workspaceId}`` (201; a default workspace ``Production`` is created).

        Not idempotent. Raises :class:`~reconciler.clients.ConflictError` (409) when the
        name is taken. Protocol: api-fidelity.md row ``POST /console/organizations/{orgId}/projects``.
        """
        response = await self._call(
            "POST",
            f"/console/organizations/{_seg(org_id)}/projects",
            json={"name": name, "title": title, "type": "default", "description": description},
            expected=(200, 201),
            idempotent=False,
        )
        return self._object(response)

    async def edit_project(self, org_id: Id, project_id: Id, *, title: str, description: str) -> dict[str, Any]:
        """``PATCH .../projects/{projectId}`` JSON ``{title, description}``: change a project's title and
        description in place (the name cannot change). Returns the project as answered.

        Protocol: ``@adobe/aio-lib-console`` ``editProject(organizationId, projectId, projectDetails)``
        calls ``patch_console_organizations__orgId__projects__projectId_`` with the details as body;
        the answer's shape (the project) is assumed, so the caller re-reads the project.
        """
        response = await self._call(
            "PATCH",
            f"/console/organizations/{_seg(org_id)}/projects/{_seg(project_id)}",
            json={"title": title, "description": description},
            idempotent=True,
        )
        return self._object(response)

    async def delete_project(self, org_id: Id, project_id: Id) -> bool:
        """``DELETE .../projects/{projectId}``: True when deleted (200/204), False when absent (404).

        Protocol: api-fidelity.md row ``DELETE /console/organizations/{orgId}/projects/{projectId}``.
        """
        response = await self._call(
            "DELETE",
            f"/console/organizations/{_seg(org_id)}/projects/{_seg(project_id)}",
            expected=(200, 204, 404),
        )
        return response.status_code != 404

    async def list_workspaces(self, org_id: Id, project_id: Id) -> list[dict[str, Any]]:
        """``GET .../projects/{projectId}/workspaces`` -> ``[{id,name,title,description,...}]``.

        Protocol: adobe-ims-console-api.md §3 "Workspaces" (not listed in api-fidelity.md).
        """
        return self._list(
            await self._call("GET", f"/console/organizations/{_seg(org_id)}/projects/{_seg(project_id)}/workspaces")
        )

    # -- credentials -----------------------------------------------------------------------------

    def _workspace(self, org_id: Id, project_id: Id, workspace_id: Id) -> str:
        return f"/console/organizations/{_seg(org_id)}/projects/{_seg(project_id)}/workspaces/{_seg(workspace_id)}"

    async def list_credentials(self, org_id: Id, project_id: Id, workspace_id: Id) -> list[dict[str, Any]]:
        """``GET .../workspaces/{workspaceId}/credentials`` -> ``[{"id_workspace","id_integration",
        "flow_type","integration_type"}]`` (``integration_type``: ``oauth_server_to_server`` or
        ``service`` for JWT). Protocol: api-fidelity.md row ``GET …/credentials``.
        """
        path = self._workspace(org_id, project_id, workspace_id) + "/credentials"
        return self._list(await self._call("GET", path))

    async def create_s2s_credential(
        self, org_id: Id, project_id: Id, workspace_id: Id, *, name: str, description: str
    ) -> dict[str, Any]:
        """``POST .../credentials/oauth-server-to-server`` JSON ``{name,description}`` ->
        ``{id, apiKey, orgId}``. Not idempotent.
        Protocol: api-fidelity.md row ``POST …/credentials/oauth-server-to-server``.
        """
        path = self._workspace(org_id, project_id, workspace_id) + "/credentials/oauth-server-to-server"
        response = await self._call(
            "POST", path, json={"name": name, "description": description}, expected=(200, 201), idempotent=False
        )
        return self._object(response)

    async def create_entp_credential(
        self,
        org_id: Id,
        project_id: Id,
        workspace_id: Id,
        *,
        name: str,
        description: str,
        certificate_pem: str | bytes,
    ) -> dict[str, Any]:
        """``POST .../credentials/entp`` multipart: file part ``certificate`` (PEM), fields ``name``,
        ``description`` -> ``{id, apiKey, orgId}``; the certificate becomes the first binding.
        Legacy Service Account (JWT) credential. Not idempotent.
        Protocol: api-fidelity.md row ``POST …/credentials/entp``.
        """
        path = self._workspace(org_id, project_id, workspace_id) + "/credentials/entp"
        response = await self._call(
            "POST",
            path,
            data={"name": name, "description": description},
            files=self._certificate_file(certificate_pem),
            expected=(200, 201),
            idempotent=False,
        )
        return self._object(response)

    async def subscribe_services(
        self,
        org_id: Id,
        project_id: Id,
        workspace_id: Id,
        credential_type: str,
        credential_id: Id,
        sdk_codes: Sequence[str],
    ) -> dict[str, Any]:
        """``PUT .../credentials/{credentialType}/{credentialId}/services`` with
        ``[{"sdkCode","roles":null,"licenseConfigs":null}]``: **replaces** the credential's
        subscriptions; returns ``{"sdkList":[...]}``. ``credential_type``:
        ``oauth_server_to_server`` or ``entp`` (also ``adobeid``/``analytics``). Idempotent.
        Protocol: api-fidelity.md row ``PUT …/credentials/{credentialType}/{credentialId}/services``.
        """
        if credential_type not in CREDENTIAL_TYPES:
            raise ValueError(f"credential_type must be one of {sorted(CREDENTIAL_TYPES)}, got {credential_type!r}")
        path = (
            self._workspace(org_id, project_id, workspace_id)
            + f"/credentials/{_seg(credential_type)}/{_seg(credential_id)}/services"
        )
        body = [{"sdkCode": code, "roles": None, "licenseConfigs": None} for code in sdk_codes]
        return self._object(await self._call("PUT", path, json=body, expected=(200, 201)))

    # -- services and integrations ------------------------------------------------------------------

    async def list_services(self, org_id: Id) -> list[dict[str, Any]]:
        """``GET /console/organizations/{orgId}/services`` -> ``[{"name","code","enabled","type",
        "properties","requiresApproval","entitledForOrg","scopes"?}]`` (``scopes`` is a sandbox
        extension). Protocol: api-fidelity.md row ``GET /console/organizations/{orgId}/services``.
        """
        return self._list(await self._call("GET", f"/console/organizations/{_seg(org_id)}/services"))

    async def get_integration(self, org_id: Id, credential_id: Id) -> dict[str, Any] | None:
        """``GET /console/organizations/{orgId}/integrations/{credentialId}`` -> ``{"id","apikey",
        "technicalAccountId","technicalAccountEmail","orgId","name","sdkList","serviceProperties",
        "type","integration_type","status"}``, or None on 404.
        Protocol: api-fidelity.md row ``GET /console/organizations/{orgId}/integrations/{credentialId}``.
        """
        response = await self._call(
            "GET",
            f"/console/organizations/{_seg(org_id)}/integrations/{_seg(credential_id)}",
            expected=(200, 404),
        )
        if response.status_code == 404:
            return None
        return self._object(response)

    def _bindings(self, org_id: Id, credential_id: Id) -> str:
        return f"/console/organizations/{_seg(org_id)}/integrations/entp/{_seg(credential_id)}/bindings"

    async def list_bindings(self, org_id: Id, credential_id: Id) -> list[dict[str, Any]]:
        """``GET .../integrations/entp/{credentialId}/bindings`` -> ``[{"bindingId","orgId",
        "technicalAccountId","certificateFingerprint","notAfter"}]`` (fingerprint: SHA-1 of the
        certificate DER, lowercase hex). Protocol: api-fidelity.md row ``GET/POST …/bindings``.
        """
        return self._list(await self._call("GET", self._bindings(org_id, credential_id)))

    async def add_binding(self, org_id: Id, credential_id: Id, certificate_pem: str | bytes) -> list[dict[str, Any]]:
        """``POST .../integrations/entp/{credentialId}/bindings`` multipart file part ``certificate``
        -> all bindings of the credential (same shape as :meth:`list_bindings`). Not idempotent.
        Protocol: api-fidelity.md row ``GET/POST …/bindings``.
        """
        response = await self._call(
            "POST",
            self._bindings(org_id, credential_id),
            files=self._certificate_file(certificate_pem),
            expected=(200, 201),
            idempotent=False,
        )
        return self._list(response)

    async def delete_binding(self, org_id: Id, credential_id: Id, binding_id: Id) -> None:
        """``DELETE .../integrations/entp/{credentialId}/bindings/{bindingId}`` (200). A 404 (already
        gone) is not an error. Protocol: api-fidelity.md row ``DELETE …/bindings/{bindingId}``.
        """
        await self._call(
            "DELETE",
            f"{self._bindings(org_id, credential_id)}/{_seg(binding_id)}",
            expected=(200, 204, 404),
        )
