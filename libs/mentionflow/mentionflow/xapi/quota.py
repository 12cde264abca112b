"""X API quota metrics shared by the services that call X (ingest reads, publish posts)."""

from __future__ import annotations

from mentionflow.metrics import catalog
from mentionflow.xapi.client import CallObserver, RateLimitStatus


def quota_observer(service: str, account: str, also: CallObserver | None = None) -> CallObserver:
    """An observer recording the x-rate-limit-* headers of `account`'s calls (then `also`)."""

    def observe(endpoint: str, status: int | None, rate_limit: RateLimitStatus | None) -> None:
        if rate_limit is not None:
            catalog.XAPI_QUOTA_REMAINING.labels(service, endpoint, account).set(rate_limit.remaining)
            catalog.XAPI_QUOTA_LIMIT.labels(service, endpoint, account).set(rate_limit.limit)
        if also is not None:
            also(endpoint, status, rate_limit)

    return observe


__all__ = ["quota_observer"]
