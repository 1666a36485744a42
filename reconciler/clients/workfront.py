"""Workfront REST API client (``/attask/api/v<version>/``).

Protocol source: ``docs/api-fidelity.md`` section "Workfront" and
``../shared/reference/workfront-api.md`` sections 1-3.

* Objects are addressed by object code or alias (``proj``/``project``, ``docfdr``/``documentFolder``).
* Every answer is an envelope: ``{"data": ...}`` on success, ``{"error": {"class", "message"}}`` on
  failure (status 400/401/403/404/410/422/429/500); errors become
  :class:`~reconciler.clients.ApiError` with the exception class as ``code``.
* Search pages with ``$$FIRST``/``$$LIMIT`` (at most 2000 per request, default 100), sorted by
  ``ID_Sort=asc`` so that pages are stable; filters take ``_Mod`` modifiers.
* Writes send ``updates`` as a JSON body (as the official client does).
* Auth: ``apiKey`` header, or ``Authorization: Bearer <IMS token>`` plus ``x-gw-ims-org-id``.

The native AEM integration's own settings (name, repository, linked-folder settings, metadata
mapping) have **no public API**: :meth:`WorkfrontClient.list_integrations` and friends speak the one
the sandbox defines (``/aem-integration/api/v1/...``, docs/api-fidelity.md, "assumed").
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from reconciler.clients.errors import ApiError
from reconciler.clients.tokens import TokenProvider
from reconciler.clients.transport import HttpPolicy, ServiceClient, SleepFn

__all__ = ["MAX_LIMIT", "WorkfrontClient"]

#: the largest ``$$LIMIT`` Workfront accepts (more is an error)
MAX_LIMIT = 2000
INTEGRATIONS_ROOT = "/aem-integration/api/v1"

Filters = Mapping[str, Any] | Sequence[tuple[str, Any]]


class WorkfrontClient(ServiceClient):
    """Client for one Workfront instance.

    Args:
        base_url: the instance root, e.g. ``https://acme.my.workfront.com``.
        api_version: e.g. ``"21.0"``; requests go to ``/attask/api/v<api_version>/``.
        api_key: send ``apiKey: <key>`` (auth ``api_key``); or
        token_provider: IMS bearer tokens (auth ``ims``), with ``ims_org_id`` as ``x-gw-ims-org-id``.
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_version: str = "21.0",
        api_key: str | None = None,
        token_provider: TokenProvider | None = None,
        ims_org_id: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: HttpPolicy | None = None,
        secrets: Iterable[str] = (),
        sleep: SleepFn | None = None,
    ) -> None:
        if (api_key is None) == (token_provider is None):
            raise ValueError("give exactly one of api_key and token_provider")
        super().__init__("workfront", base_url, transport=transport, policy=policy, secrets=secrets, sleep=sleep)
        self.api_root = f"/attask/api/v{api_version}"
        self.api_key = api_key
        self.token_provider = token_provider
        self.ims_org_id = ims_org_id
        self.add_secret(api_key)

    async def auth_headers(self) -> dict[str, str]:
        if self.api_key is not None:
            return {"apiKey": self.api_key}
        assert self.token_provider is not None
        token = await self.token_provider.token()
        self.add_secret(token)
        headers = {"Authorization": f"Bearer {token}"}
        if self.ims_org_id:
            headers["x-gw-ims-org-id"] = self.ims_org_id
        return headers

    # -- plumbing ------------------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json_body: Any = None,
        expected: Sequence[int] = (200,),
    ) -> httpx.Response:
        kwargs: dict[str, Any] = {"params": params, "json": json_body, "expected": expected}
        return await self.request_with_token_refresh(method, path, **kwargs)

    def _data(self, response: httpx.Response) -> Any:
        body = self.json_of(response)
        if not isinstance(body, dict) or ("data" not in body and "error" not in body):
            raise ApiError(
                "workfront",
                response.request.method,
                self.redact(str(response.request.url)),
                response.status_code,
                "invalid_response",
                "expected a {data} envelope",
            )
        if "error" in body:
            err = body["error"] if isinstance(body["error"], dict) else {"message": str(body["error"])}
            code = str(err.get("class") or "").rsplit(".", 1)[-1] or None
            raise ApiError(
                "workfront",
                response.request.method,
                self.redact(str(response.request.url)),
                response.status_code,
                code,
                self.redact(str(err.get("message") or "")),
            )
        return body["data"]

    def _obj(self, obj_code: str, *rest: str) -> str:
        parts = [quote(obj_code, safe=""), *(quote(str(p), safe="") for p in rest if p)]
        return f"{self.api_root}/" + "/".join(parts)

    @staticmethod
    def _params(filters: Filters | None, fields: Sequence[str] | None = None) -> list[tuple[str, str]]:
        items = list(filters.items()) if isinstance(filters, Mapping) else list(filters or [])
        out: list[tuple[str, str]] = []
        for key, value in items:
            values = value if isinstance(value, list | tuple) else [value]
            out += [(key, v if isinstance(v, str) else json.dumps(v)) for v in values]
        if fields:
            out.append(("fields", ",".join(fields)))
        return out

    # -- standard operations ------------------------------------------------------------------

    async def search(
        self,
        obj_code: str,
        filters: Filters | None = None,
        *,
        fields: Sequence[str] | None = None,
        page_size: int = MAX_LIMIT,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """``GET /<obj>/search`` through every page (``$$FIRST``/``$$LIMIT``, ``ID_Sort=asc``).

        ``filters``: ``{"name": "X", "name_Mod": "cicontains"}`` or a list of pairs (repeat a key
        for ``in``). ``limit``: stop after that many objects. One request per ``page_size`` objects.
        """
        if not 1 <= page_size <= MAX_LIMIT:
            raise ValueError(f"page_size must be 1..{MAX_LIMIT}")
        base = self._params(filters, fields)
        if not any(k.endswith("_Sort") for k, _ in base):
            base.append(("ID_Sort", "asc"))
        out: list[dict[str, Any]] = []
        first = 0
        while True:
            size = page_size if limit is None else min(page_size, limit - len(out))
            page = self._data(
                await self._send(
                    "GET",
                    self._obj(obj_code, "search"),
                    params=[*base, ("$$FIRST", str(first)), ("$$LIMIT", str(size))],
                )
            )
            if not isinstance(page, list):
                raise ApiError(
                    "workfront",
                    "GET",
                    self._obj(obj_code, "search"),
                    200,
                    "invalid_response",
                    "search did not return a list",
                )
            out += [p for p in page if isinstance(p, dict)]
            first += len(page)
            if len(page) < size or (limit is not None and len(out) >= limit):
                return out

    async def count(self, obj_code: str, filters: Filters | None = None) -> int:
        """``GET /<obj>/count`` -> ``{"data":{"count":N}}``."""
        data = self._data(await self._send("GET", self._obj(obj_code, "count"), params=self._params(filters)))
        return int(data["count"] if isinstance(data, dict) else data)

    async def get(self, obj_code: str, obj_id: str, *, fields: Sequence[str] | None = None) -> dict[str, Any] | None:
        """``GET /<obj>/<ID>``; None when the object does not exist (404)."""
        response = await self._send(
            "GET", self._obj(obj_code, obj_id), params=self._params(None, fields), expected=(200, 404)
        )
        if response.status_code == 404:
            return None
        data = self._data(response)
        return data if isinstance(data, dict) else None

    async def create(
        self, obj_code: str, updates: Mapping[str, Any], *, fields: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """``POST /<obj>`` with ``updates`` as a JSON body; returns the new object."""
        data = self._data(
            await self._send("POST", self._obj(obj_code), params=self._params(None, fields), json_body=dict(updates))
        )
        return dict(data)

    async def edit(
        self, obj_code: str, obj_id: str, updates: Mapping[str, Any], *, fields: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """``PUT /<obj>/<ID>`` with ``updates`` as a JSON body (sparse edit)."""
        data = self._data(
            await self._send(
                "PUT", self._obj(obj_code, obj_id), params=self._params(None, fields), json_body=dict(updates)
            )
        )
        return dict(data)

    async def delete(self, obj_code: str, obj_id: str, *, force: bool = True) -> bool:
        """``DELETE /<obj>/<ID>?force=true``; False when it was already gone (404)."""
        response = await self._send(
            "DELETE", self._obj(obj_code, obj_id), params=[("force", "true")] if force else None, expected=(200, 404)
        )
        if response.status_code == 404:
            return False
        self._data(response)
        return True

    async def action(
        self, obj_code: str, action: str, args: Mapping[str, Any] | None = None, *, obj_id: str | None = None
    ) -> Any:
        """``PUT /<obj>/<ID>/<action>?args`` or ``PUT /<obj>?action=<action>&args``; returns ``data``."""
        params = self._params(args)
        if obj_id:
            path = self._obj(obj_code, obj_id, action)
        else:
            path = self._obj(obj_code)
            params = [("action", action), *params]
        return self._data(await self._send("PUT", path, params=params))

    async def batch(self, uris: Sequence[str], *, atomic: bool = False) -> Any:
        """``POST /batch`` with ``uri`` per request (relative, with ``method=``)."""
        params = [("atomic", "true" if atomic else "false"), *(("uri", u) for u in uris)]
        return self._data(await self._send("POST", f"{self.api_root}/batch", params=params))

    # -- the native integration's settings (no public API; the sandbox defines one) --------

    async def list_integrations(self) -> list[dict[str, Any]]:
        """``GET /aem-integration/api/v1/integrations`` (assumed API). A 404 raises ``NotFoundError``
        (the endpoint itself is missing); an answer whose ``data`` is not a list raises ``ApiError``
        ``listing_failed``: a failed listing is never an empty one."""
        response = await self._send("GET", f"{INTEGRATIONS_ROOT}/integrations")
        data = self._data(response)
        if not isinstance(data, list):
            raise self.listing_failed(response, "the listing's data is not a list")
        return [d for d in data if isinstance(d, dict)]

    async def create_integration(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self._data(await self._send("POST", f"{INTEGRATIONS_ROOT}/integrations", json_body=dict(body))))

    async def update_integration(self, integration_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        path = f"{INTEGRATIONS_ROOT}/integrations/{quote(integration_id, safe='')}"
        return dict(self._data(await self._send("PUT", path, json_body=dict(body))))

    async def delete_integration(self, integration_id: str) -> bool:
        path = f"{INTEGRATIONS_ROOT}/integrations/{quote(integration_id, safe='')}"
        response = await self._send("DELETE", path, expected=(200, 404))
        return response.status_code != 404

    async def list_metadata_mappings(self, integration_id: str) -> list[dict[str, Any]]:
        """``GET .../integrations/{id}/metadata-mappings`` (assumed API): the integration's mappings.
        ``[]`` when the integration does not exist (its 404, confirmed by the integrations listing);
        ``ApiError`` ``listing_failed`` for a 404 of an existing integration's listing or a ``data``
        that is not a list; ``invalid_response`` for a body that is not the JSON envelope."""
        path = f"{INTEGRATIONS_ROOT}/integrations/{quote(integration_id, safe='')}/metadata-mappings"
        response = await self._send("GET", path, expected=(200, 404))
        if response.status_code == 404:
            # 404 means "no such integration" (the parent is missing: no mappings) only when the
            # integrations listing works and lacks it; otherwise the endpoint itself is missing
            if not any(str(i.get("id")) == integration_id for i in await self.list_integrations()):
                return []
            raise self.listing_failed(response, "the listing answered 404 for an integration that exists")
        data = self._data(response)
        if not isinstance(data, list):
            raise self.listing_failed(response, "the listing's data is not a list")
        return [d for d in data if isinstance(d, dict)]

    async def create_metadata_mapping(self, integration_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        path = f"{INTEGRATIONS_ROOT}/integrations/{quote(integration_id, safe='')}/metadata-mappings"
        return dict(self._data(await self._send("POST", path, json_body=dict(body))))

    async def update_metadata_mapping(
        self, integration_id: str, mapping_id: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        path = (
            f"{INTEGRATIONS_ROOT}/integrations/{quote(integration_id, safe='')}"
            f"/metadata-mappings/{quote(mapping_id, safe='')}"
        )
        return dict(self._data(await self._send("PUT", path, json_body=dict(body))))

    async def delete_metadata_mapping(self, integration_id: str, mapping_id: str) -> bool:
        path = (
            f"{INTEGRATIONS_ROOT}/integrations/{quote(integration_id, safe='')}"
            f"/metadata-mappings/{quote(mapping_id, safe='')}"
        )
        response = await self._send("DELETE", path, expected=(200, 404))
        return response.status_code != 404
