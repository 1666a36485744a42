"""Every client a ProviderContext builds has a rate limiter: the service's default, or the connection's."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import ValidationError

from reconciler.config.connections import AdobeConnection, AemConnection, WorkfrontConnection
from reconciler.kinds.context import DEFAULT_RATES, ProviderContext
from tests.helpers import CLIENT_ID, SECRET


def aem(**kw: object) -> AemConnection:
    return AemConnection.model_validate({"type": "aem", "url": "http://aem.test", "username": "admin",
                                         "password": "admin", **kw})


def adobe(**kw: object) -> AdobeConnection:
    return AdobeConnection.model_validate({"type": "adobe", "client_id": CLIENT_ID, "client_secret": SECRET, **kw})


def workfront(**kw: object) -> WorkfrontConnection:
    return WorkfrontConnection.model_validate({"type": "workfront", "url": "http://wf.test", "api_version": "21.0",
                                               "auth": "api_key", "api_key": "k", **kw})


def limits(ctx: ProviderContext) -> dict[str, tuple[float | None, int | None]]:
    """(rate, burst) of each client the context can build, by service."""
    clients = {
        "aem": ctx.aem("author"), "ims": ctx.ims("adobe"), "console": ctx.console("adobe"),
        "umapi": ctx.umapi("adobe"), "workfront": ctx.workfront("wf"),
    }
    out = {}
    for service, client in clients.items():
        out[service] = (client.limiter.max_rate, client.limiter.burst) if client.limiter is not None else (None, None)
    asyncio.run(ctx.aclose())
    return out


def test_each_service_gets_its_default_rate_when_the_connection_sets_none() -> None:
    got = limits(ProviderContext({"author": aem(), "adobe": adobe(), "wf": workfront()}))
    for service, (rate, burst) in DEFAULT_RATES.items():
        assert got[service][0] == rate
        assert got[service][1] == (burst if burst is not None else max(1, int(rate // 2)))
    assert got["umapi"] == (pytest.approx(40 / 60), 40)  # the documented per-client limits, per minute


def test_the_connection_rate_overrides_and_zero_turns_it_off() -> None:
    got = limits(ProviderContext({"author": aem(rate_limit_per_s=20), "adobe": adobe(rate_limit_per_s=0),
                                  "wf": workfront(rate_limit_per_s=4)}))
    assert got["aem"] == (20.0, 10)
    assert got["workfront"] == (4.0, 2)
    assert got["ims"] == got["console"] == got["umapi"] == (None, None)


def test_a_negative_rate_is_refused() -> None:
    with pytest.raises(ValidationError, match="rate_limit_per_s"):
        aem(rate_limit_per_s=-1)
