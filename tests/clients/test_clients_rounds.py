"""clients.rounds: requests and sequential rounds counted at the transport."""

from __future__ import annotations

import asyncio

import httpx

from reconciler.clients.rounds import CountingTransport, RoundCounter, counting_transport_for


def _ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"path": request.url.path})


def test_requests_in_flight_together_are_one_round_and_a_request_after_an_answer_is_the_next() -> None:
    counter = RoundCounter()

    async def go() -> None:
        transport = CountingTransport(httpx.MockTransport(_ok), counter, delay_s=0.01)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc.test") as client:
            await client.get("/token")  # round 1
            await asyncio.gather(*(client.get(f"/list/{i}") for i in range(5)))  # round 2, together
            await client.get("/detail?secret=x")  # round 3: started after round 2 answered

    asyncio.run(go())
    assert counter.requests == 7 and counter.rounds == 3
    assert dict(counter.by_round) == {1: 1, 2: 5, 3: 1}
    assert counter.log[-1] == (3, "GET", "svc.test", "/detail"), "no query string in the log"
    counter.reset()
    assert (counter.requests, counter.rounds, counter.log) == (0, 0, [])


def test_counting_transport_for_wraps_every_url_of_a_transport_for() -> None:
    counter = RoundCounter()
    inner = httpx.MockTransport(_ok)
    wrapped = counting_transport_for(lambda url: ("http://" + url.removeprefix("sandbox://"), inner), counter)

    async def go() -> None:
        base, transport = wrapped("sandbox://aem")
        assert base == "http://aem" and isinstance(transport, CountingTransport)
        async with httpx.AsyncClient(transport=transport, base_url=base) as client:
            await client.get("/x")

    asyncio.run(go())
    assert counter.requests == 1 and counter.rounds == 1
