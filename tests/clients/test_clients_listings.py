"""A failed read is never an empty read (issue 10 item 8): each client's listings on a mock transport.

A 404 that means "the parent does not exist" (UMAPI's unknown group, AEM's absent agents folder, an
unknown Workfront integration) lists nothing; a 404 of the endpoint itself, an HTML login page or a
body that is not the documented JSON is an error naming the service, the URL and the base URL.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from reconciler.clients import ApiError, StaticTokenProvider
from reconciler.clients.aem import AemClient
from reconciler.clients.umapi import UmapiClient, UmapiError
from reconciler.clients.workfront import WorkfrontClient

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


Handler = Callable[[httpx.Request], httpx.Response]
LOGIN = "<html><head><title>Sign in</title></head><body><form>...</form></body></html>"


def _umapi(handler: Handler) -> UmapiClient:
    return UmapiClient("http://umapi.test/v2/usermanagement", api_key="k", token_provider=StaticTokenProvider("t"),
                       transport=httpx.MockTransport(handler), limits_per_min={})


def _aem(handler: Handler) -> AemClient:
    return AemClient("http://aem.test", username="admin", password="pw", transport=httpx.MockTransport(handler))


def _wf(handler: Handler) -> WorkfrontClient:
    return WorkfrontClient("http://wf.test", token_provider=StaticTokenProvider("t"), transport=httpx.MockTransport(handler))


async def test_umapi_404_on_the_listing_itself_is_an_error_naming_the_base_url() -> None:
    client = _umapi(lambda r: httpx.Response(404, text="Not Found"))
    with pytest.raises(UmapiError) as err:
        await client.list_groups("ORG@AdobeOrg")
    text = str(err.value)
    assert "listing_failed" in text and "http://umapi.test/v2/usermanagement/groups/ORG@AdobeOrg/0" in text
    assert "check the connection's base URL (http://umapi.test/v2/usermanagement)" in text
    with pytest.raises(UmapiError, match="listing_failed"):
        await client.list_users("ORG@AdobeOrg")


async def test_umapi_unknown_group_lists_no_one_but_another_404_is_an_error() -> None:
    body = {"lastPage": False, "result": "error.group.not_found", "message": "Not found: Group X"}
    client = _umapi(lambda r: httpx.Response(404, json=body))
    assert await client.list_users("ORG@AdobeOrg", group="X") == []
    client = _umapi(lambda r: httpx.Response(404, text="<html>404</html>"))
    with pytest.raises(UmapiError, match="listing_failed"):
        await client.list_users("ORG@AdobeOrg", group="X")


async def test_umapi_login_page_is_an_html_error_not_an_empty_listing() -> None:
    client = _umapi(lambda r: httpx.Response(200, text=LOGIN, headers={"content-type": "text/html"}))
    with pytest.raises(UmapiError) as err:
        await client.list_users("ORG@AdobeOrg")
    assert "an HTML page" in str(err.value) and "check the connection's base URL" in str(err.value)


async def test_aem_agents_404_tells_an_absent_folder_from_a_wrong_base_url() -> None:
    def absent_folder(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/etc/replication.json":
            return httpx.Response(200, json={"jcr:primaryType": "sling:Folder"})
        return httpx.Response(404, text="<html>No resource found</html>")

    assert await _aem(absent_folder).list_agents() == {}
    with pytest.raises(ApiError) as err:
        await _aem(lambda r: httpx.Response(404, text="<html>No resource found</html>")).list_agents()
    assert err.value.code == "listing_failed" and "http://aem.test/etc/replication/agents.author.2.json" in str(err.value)


async def test_aem_agents_login_page_is_an_error() -> None:
    client = _aem(lambda r: httpx.Response(200, text=LOGIN, headers={"content-type": "text/html"}))
    with pytest.raises(ApiError, match="an HTML page"):
        await client.list_agents()


async def test_workfront_mappings_404_is_empty_only_for_an_unknown_integration() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/integrations"):
            return httpx.Response(200, json={"data": [{"id": "known"}]})
        return httpx.Response(404, json={"error": {"message": "not found"}})

    client = _wf(handler)
    assert await client.list_metadata_mappings("unknown") == []
    with pytest.raises(ApiError, match="listing_failed"):
        await client.list_metadata_mappings("known")


async def test_workfront_integrations_not_a_list_is_an_error() -> None:
    client = _wf(lambda r: httpx.Response(200, json={"data": {"oops": 1}}))
    with pytest.raises(ApiError, match="listing_failed"):
        await client.list_integrations()
