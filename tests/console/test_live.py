"""Live queue updates (console/live.py): every change reaches every stream that shows it,
whatever the burst size or commit order, and one shared poll serves all the streams."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import orjson

from tests.console.factories import insert_item


async def _events(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, dict]]:
    name = "message"
    async for line in lines:
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            yield name, orjson.loads(line[6:])
            name = "message"


async def _collect(lines: AsyncIterator[str], wanted: set[str], timeout_s: float = 30) -> dict[str, dict]:
    """Changes received until every id of `wanted` arrived (or the timeout: the test then
    shows which are missing); id -> the last change received."""
    seen: dict[str, dict] = {}

    async def read() -> None:
        async for name, data in _events(lines):
            assert name == "items", name
            for change in data["items"]:
                seen[change["item"]["id"]] = change
            if wanted <= seen.keys():
                return

    try:
        await asyncio.wait_for(read(), timeout_s)
    except TimeoutError:
        pass
    return seen


async def test_a_burst_larger_than_any_page_arrives_whole(console):
    """1,200 rows committed in one transaction share one updated_at: none may be skipped."""
    async with console.client("agent-a") as agent:
        async with agent.stream("GET", "/api/v1/items/stream") as stream:
            lines = stream.aiter_lines()
            async with console.pool.acquire() as conn, conn.transaction():
                burst = {str(await insert_item(conn, brand="brand-a")) for _ in range(1_200)}
                await insert_item(conn, brand="brand-b")
            seen = await _collect(lines, burst)
    assert burst - seen.keys() == set()
    assert {c["item"]["brand_id"] for c in seen.values()} == {"brand-a"}


async def test_a_late_commit_is_still_delivered(console):
    """A transaction that began before rows already sent commits afterwards: its row carries
    an older updated_at than the stream's cursor and must arrive all the same."""
    async with console.client("agent-a") as agent:
        async with agent.stream("GET", "/api/v1/items/stream") as stream:
            lines = stream.aiter_lines()
            async with console.pool.acquire() as slow:
                transaction = slow.transaction()
                await transaction.start()
                late = str(await insert_item(slow, brand="brand-a", text="@brand-a began first"))
                early = str(await insert_item(console.pool, brand="brand-a", text="@brand-a committed first"))
                assert early in await _collect(lines, {early})
                await transaction.commit()
            seen = await _collect(lines, {late})
    assert late in seen, "the late commit never reached the stream"


async def test_a_stream_catches_up_from_its_cursor_and_status_decides_visibility(console):
    before = datetime.now(UTC) - timedelta(seconds=1)
    missed = str(await insert_item(console.pool, brand="brand-a", text="@brand-a while disconnected"))
    resolved_id = await insert_item(console.pool, brand="brand-a")
    await console.pool.execute("INSERT INTO queue_work (item_id, brand_id, status, version) "
                               "VALUES ($1, 'brand-a', 'resolved', 1)", resolved_id)
    resolved = str(resolved_id)
    async with console.client("agent-a") as agent:
        async with agent.stream("GET", "/api/v1/items/stream",
                                params={"since": before.isoformat(), "html": "1"}) as stream:
            seen = await _collect(stream.aiter_lines(), {missed, resolved})
    assert seen[missed]["visible"] is True and "while disconnected" in seen[missed]["html"]
    assert seen[resolved]["visible"] is False  # resolved: off the open queue


async def test_many_streams_share_one_poll(console):
    """Ten streams of two views: each gets its brand's rows, from the one feed of the process."""
    feed = console.app.state.item_feed
    async with AsyncExitStack() as stack:
        agent_a = await stack.enter_async_context(console.client("agent-a"))
        agent_b = await stack.enter_async_context(console.client("agent-b"))
        streams = [await stack.enter_async_context(c.stream("GET", "/api/v1/items/stream"))
                   for c in [agent_a] * 5 + [agent_b] * 5]
        await asyncio.sleep(0.5)
        assert feed.streams == 10
        mine_a = {str(await insert_item(console.pool, brand="brand-a")) for _ in range(20)}
        mine_b = {str(await insert_item(console.pool, brand="brand-b")) for _ in range(20)}
        results = await asyncio.gather(*(_collect(s.aiter_lines(), mine_a if n < 5 else mine_b)
                                         for n, s in enumerate(streams)))
    for n, seen in enumerate(results):
        assert seen.keys() == (mine_a if n < 5 else mine_b)
