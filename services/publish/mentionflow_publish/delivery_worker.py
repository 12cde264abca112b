"""Sends due notifications and pages over HTTP, with retries and backoff, recording each try.

At-least-once towards the receiver: a crash between the POST and the record re-sends after
the lease. PagerDuty deduplicates by dedup_key, so a repeated trigger or acknowledge is
harmless there; a chat webhook could show a message twice in that narrow window.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

import asyncpg
import httpx
from mentionflow import db
from mentionflow.metrics import catalog as m

from mentionflow_publish.channels import ChannelDirectory, ChannelUnavailable
from mentionflow_publish.delivery_store import Delivery, claim_due, record_attempt
from mentionflow_publish.settings import PublishSettings

log = logging.getLogger(__name__)

CLAIM_BATCH = 50


def backoff_s(attempt: int, initial_s: float, max_s: float) -> float:
    """Exponential backoff after the `attempt`-th failure (1-based), capped."""
    return min(max_s, initial_s * 2 ** (attempt - 1))


def classify_status(status: int) -> str:
    """'sent' for 2xx; 'retry' for 408, 429 and 5xx; 'failed' for any other answer."""
    if 200 <= status < 300:
        return "sent"
    if status in (408, 429) or status >= 500:
        return "retry"
    return "failed"


def retry_after_s(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None


class DeliveryWorker:
    def __init__(self, pool: asyncpg.Pool, settings: PublishSettings, channels: ChannelDirectory,
                 client: httpx.AsyncClient | None = None) -> None:
        self.pool = pool
        self.settings = settings
        self.channels = channels
        self._client = client or httpx.AsyncClient(timeout=settings.delivery_timeout_s, trust_env=False)
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        self._wakeup.set()

    async def close(self) -> None:
        await self._client.aclose()

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                handled = await self.run_once()
            except db.TRANSIENT_ERRORS as exc:
                log.warning("delivery loop: %s: %s; retrying", type(exc).__name__, exc)
                handled = 0
            if handled:
                continue
            self._wakeup.clear()
            waits = [asyncio.ensure_future(self._wakeup.wait()), asyncio.ensure_future(stopping.wait())]
            await asyncio.wait(waits, timeout=self.settings.delivery_poll_s, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waits:
                waiter.cancel()

    async def run_once(self) -> int:
        due = await claim_due(self.pool, limit=CLAIM_BATCH, lease_s=self.settings.delivery_lease_s)
        if due:
            await asyncio.gather(*(self._deliver(d) for d in due))
        return len(due)

    async def _deliver(self, delivery: Delivery) -> None:
        started = time.perf_counter()
        http_status: int | None = None
        retry_hint: float | None = None
        url: str | None = None
        try:
            channel = self.channels.resolve(delivery.channel)
            body = dict(delivery.body)
            if channel.type == "pagerduty":
                body["routing_key"] = channel.routing_key
            url = channel.url
            response = await self._client.post(url, json=body)
            http_status = response.status_code
            outcome = classify_status(http_status)
            error = None if outcome == "sent" else f"HTTP {http_status}: {response.text[:300]}"
            retry_hint = retry_after_s(response) if http_status == 429 else None
        except ChannelUnavailable as exc:
            outcome, error = "failed", str(exc)
        except httpx.HTTPError as exc:
            # webhook URLs embed tokens: keep them out of the stored and logged reason
            outcome, error = "retry", f"{type(exc).__name__}: {exc}".replace(url or "\0", "<url>")
        if outcome == "retry" and delivery.attempts >= self.settings.delivery_max_attempts:
            outcome, error = "failed", f"gave up after {delivery.attempts} attempts: {error}"
        retry_in = None
        if outcome == "retry":
            retry_in = retry_hint if retry_hint is not None else backoff_s(
                delivery.attempts, self.settings.delivery_backoff_initial_s, self.settings.delivery_backoff_max_s)
        sent_at = await record_attempt(self.pool, delivery, outcome=outcome, http_status=http_status,
                                       error=error, duration_ms=(time.perf_counter() - started) * 1000,
                                       retry_in_s=retry_in)
        self._count(delivery, outcome)
        if outcome == "sent":
            at = sent_at or datetime.now(UTC)
            m.PUBLISH_DELIVERY_LATENCY_SECONDS.labels(delivery.kind).observe(
                max(0.0, (at - delivery.source_at).total_seconds()))
        else:
            log.warning("%s %s to %s (attempt %d): %s: %s", delivery.kind, delivery.action, delivery.channel,
                        delivery.attempts, outcome, error)

    @staticmethod
    def _count(delivery: Delivery, outcome: str) -> None:
        if delivery.kind == "page":
            m.PUBLISH_PAGES.labels(delivery.action, outcome).inc()
        else:
            m.PUBLISH_NOTIFICATIONS.labels(outcome).inc()
