"""One community manager's browser session, as the console's pages drive it.

A session logs in through the login form (CSRF cookie + field, like a browser), loads the
queue page, and then holds what the page opens: the live queue stream named in the page's
`data-stream` (`/api/v1/items/stream?...&html=1&since=<the page's cursor>`) and the mentions
stream of the navigation bar. Meanwhile it reloads the queue page and lists the queue through
the API (`/api/v1/items`) every few seconds. Streams are reconnected with `Last-Event-ID`
after an error, as EventSource does.

What it records: each request's latency, and the first moment each queue item arrived on the
live stream (in an `items` batch) (an array indexed by RowRegistry, NaN until then).
"""

from __future__ import annotations

import asyncio
import html
import logging
import math
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import httpx
import numpy as np
import orjson

from bench.console_load.commits import RowRegistry

log = logging.getLogger(__name__)

LOGIN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
QUEUE_STREAM = re.compile(r'id="queue-table" data-stream="([^"]+)"')
MENTIONS_STREAM = "/api/v1/mentions/stream"
API_LIST = "/api/v1/items?limit=50"
RECONNECT_S = 2.0  # the console's `retry: 2000`


@dataclass(frozen=True, slots=True)
class SseEvent:
    event: str
    data: bytes
    event_id: str | None


def split_events(buffer: bytes) -> tuple[list[SseEvent], bytes]:
    """The complete server-sent events at the start of `buffer` and the incomplete rest.
    Comments (`: keepalive`) and `retry:` blocks yield nothing; multi-line data is joined with
    newlines (the SSE rules)."""
    *blocks, rest = buffer.split(b"\n\n")
    events = []
    for block in blocks:
        name, event_id, data = "message", None, []
        for line in block.split(b"\n"):
            field_name, _, value = line.partition(b":")
            value = value[1:] if value.startswith(b" ") else value
            if field_name == b"event":
                name = value.decode()
            elif field_name == b"data":
                data.append(value)
            elif field_name == b"id":
                event_id = value.decode()
        if data:
            events.append(SseEvent(name, b"\n".join(data), event_id))
    return events, rest


@dataclass
class Latencies:
    """Every session's request timings (ms) and failures, shared. page_ms and api_ms are the
    periodic reads during the traffic."""

    page_ms: list[float] = field(default_factory=list)
    api_ms: list[float] = field(default_factory=list)
    login_ms: list[float] = field(default_factory=list)
    first_page_ms: list[float] = field(default_factory=list)  # the page each session opens with, before the load
    errors: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    brands: frozenset[str]


class CmSession:
    def __init__(self, *, account: Account, base_url: str, registry: RowRegistry, latencies: Latencies,
                 page_every_s: float, api_every_s: float, rng: random.Random) -> None:
        self.account = account
        self._base_url = base_url
        self._registry = registry
        self._latencies = latencies
        self._page_every_s = page_every_s
        self._api_every_s = api_every_s
        self._rng = rng
        self._received_at = np.full(1024, math.nan)
        self.window_start = math.nan  # when it asked for the queue page: rows committed after must arrive live
        self.item_events = 0
        self.last_event_at = 0.0
        self.cursor_at = math.nan  # the live stream's cursor (the last event id) as seconds since the epoch
        self.foreign: list[str] = []  # items of brands the user does not work: must stay empty
        self.reconnects = 0
        self.streaming = asyncio.Event()  # the live queue stream answered
        self._client: httpx.AsyncClient | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # ---- lifecycle -------------------------------------------------------------------
    async def open(self) -> None:
        """Log in, load the queue page, start its streams and the periodic fetches."""
        # No read timeout: a stream is quiet between changes (the console sends keepalives).
        # Idle connections dropped before the server's keep-alive (uvicorn: 5 s) closes them under a request.
        self._client = httpx.AsyncClient(base_url=self._base_url, timeout=httpx.Timeout(30.0, read=None),
                                         limits=httpx.Limits(keepalive_expiry=4.0))
        await self._login()
        self.window_start = time.time()
        page = await self._timed("/", self._latencies.first_page_ms)
        found = QUEUE_STREAM.search(page)
        if found is None:
            raise RuntimeError(f"{self.account.username}: the queue page names no live stream")
        stream_url = html.unescape(found.group(1))
        self._tasks = [asyncio.create_task(self._stream(stream_url, self._on_item), name="cm-queue-stream"),
                       asyncio.create_task(self._stream(MENTIONS_STREAM, None), name="cm-mentions-stream")]

    def start_fetching(self, stop: asyncio.Event) -> None:
        self._tasks += [asyncio.create_task(self._every(self._page_every_s, "/", self._latencies.page_ms, stop)),
                        asyncio.create_task(self._every(self._api_every_s, API_LIST, self._latencies.api_ms, stop))]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    def received_at(self) -> np.ndarray:
        """First arrival per RowRegistry index (seconds since the epoch), NaN: never arrived."""
        size = len(self._registry)
        if self._received_at.size < size:
            self._grow(size)
        return self._received_at[:size]

    # ---- requests --------------------------------------------------------------------
    async def _login(self) -> None:
        assert self._client is not None
        started = time.perf_counter()
        form = await self._client.get("/login")
        token = LOGIN_CSRF.search(form.text)
        if form.status_code != 200 or token is None:
            raise RuntimeError(f"login form: HTTP {form.status_code}")
        answer = await self._client.post("/login", data={"username": self.account.username,
                                                         "password": self.account.password,
                                                         "csrf_token": token.group(1), "next": "/"})
        if answer.status_code != 303 or "mf_session" not in self._client.cookies:
            raise RuntimeError(f"{self.account.username} could not log in: HTTP {answer.status_code}")
        self._latencies.login_ms.append((time.perf_counter() - started) * 1000)

    async def _timed(self, path: str, into: list[float]) -> str:
        """GET `path`, its time to the last byte appended to `into` (failures are counted instead)."""
        assert self._client is not None
        started = time.perf_counter()
        response = await self._client.get(path)
        if response.status_code != 200:
            self._latencies.errors[f"GET {path.split('?')[0]}: HTTP {response.status_code}"] += 1
            raise RuntimeError(f"GET {path}: HTTP {response.status_code}")
        into.append((time.perf_counter() - started) * 1000)
        return response.text

    async def _every(self, every_s: float, path: str, into: list[float], stop: asyncio.Event) -> None:
        await asyncio.sleep(self._rng.uniform(0, every_s))  # spread the sessions over the interval
        while not stop.is_set():
            try:
                await self._timed(path, into)
            except httpx.HTTPError as exc:
                self._latencies.errors[f"GET {path.split('?')[0]}: {type(exc).__name__}"] += 1
            except RuntimeError:
                pass  # counted by _timed
            await asyncio.sleep(every_s)

    # ---- live updates ----------------------------------------------------------------
    async def _stream(self, url: str, on_item: Callable[[SseEvent, float], None] | None) -> None:
        assert self._client is not None
        last_id: str | None = None
        while True:
            headers = {"Accept": "text/event-stream"} | ({"Last-Event-ID": last_id} if last_id else {})
            try:
                async with self._client.stream("GET", url, headers=headers) as response:
                    if response.status_code != 200:
                        self._latencies.errors[f"stream {url.split('?')[0]}: HTTP {response.status_code}"] += 1
                    else:
                        if on_item is not None:
                            self.streaming.set()
                        # A batch spans many reads: keep the pieces and join them only once an
                        # event can be complete, not the growing buffer at every read.
                        pieces: list[bytes] = []
                        async for chunk in response.aiter_raw():
                            arrived = time.time()
                            ends_event = b"\n\n" in chunk or (pieces and pieces[-1].endswith(b"\n")
                                                                 and chunk.startswith(b"\n"))
                            pieces.append(chunk)
                            if not ends_event:
                                continue
                            events, rest = split_events(b"".join(pieces))
                            pieces = [rest] if rest else []
                            for event in events:
                                last_id = event.event_id or last_id
                                if event.event == "reset":  # the console gave up on this stream: counted
                                    self._latencies.errors[f"stream {url.split('?')[0]}: reset"] += 1
                                if on_item is not None and event.event == "items":
                                    on_item(event, arrived)
            except httpx.HTTPError as exc:
                self._latencies.errors[f"stream {url.split('?')[0]}: {type(exc).__name__}"] += 1
            self.reconnects += 1
            await asyncio.sleep(RECONNECT_S)

    def _on_item(self, event: SseEvent, arrived: float) -> None:
        """An `items` batch: the first arrival of each of its rows."""
        self.item_events += 1
        self.last_event_at = arrived
        if event.event_id:
            self.cursor_at = datetime.fromisoformat(event.event_id).timestamp()
        for change in orjson.loads(event.data)["items"]:
            item = change["item"]
            if item["brand_id"] not in self.account.brands:
                self.foreign.append(item["id"])
                continue
            index = self._registry.index(item["id"])
            if index >= self._received_at.size:
                self._grow(index + 1)
            if math.isnan(self._received_at[index]):
                self._received_at[index] = arrived

    def _grow(self, size: int) -> None:
        grown = np.full(max(size, 2 * self._received_at.size), math.nan)
        grown[:self._received_at.size] = self._received_at
        self._received_at = grown
