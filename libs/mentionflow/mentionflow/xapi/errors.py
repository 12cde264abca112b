"""The three ways an X API call fails, as the rest of mentionflow sees them.

tweepy raises one exception class per status, and aiohttp raises its own for network and
body problems. Callers only need to know what to do next:

- `RateLimited`: wait until `reset_at`, then retry (never sleep inside the client: that
  would stall every other account sharing the loop);
- `TransientXError`: 5xx, network errors, timeouts, unparseable bodies: back off and retry;
- `PermanentXError`: 400/401/403/404 and other 4xx: retrying cannot help (bad credentials,
  duplicate content, deleted tweet); record the reason and stop.

`x_errors_mapped()` converts at the boundary so nothing above it imports tweepy or aiohttp.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import aiohttp
import tweepy

# When X sends a 429 without x-rate-limit-reset we still must not hammer it; one minute is
# short against a 15-minute window yet long enough not to burn the next window's quota.
DEFAULT_RATE_LIMIT_WAIT_S = 60.0

# X answers a repeated post with 403 and this phrase in the detail.
_DUPLICATE_PHRASE = "duplicate content"


class XApiError(Exception):
    """Base of every error the xapi package raises."""

    def __init__(self, message: str, *, endpoint: str, status: int | None = None) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.status = status


class RateLimited(XApiError):
    """429: the endpoint's window is spent until `reset_at` (UTC)."""

    def __init__(self, *, endpoint: str, reset_at: datetime, reset_known: bool) -> None:
        super().__init__(
            f"{endpoint}: rate limited until {reset_at.isoformat()}"
            + ("" if reset_known else " (no x-rate-limit-reset header; default wait)"),
            endpoint=endpoint,
            status=429,
        )
        self.reset_at = reset_at
        self.reset_known = reset_known

    def wait_seconds(self, now: float | None = None) -> float:
        """Seconds from `now` (unix time) until the window resets; never negative."""
        current = time.time() if now is None else now
        return max(0.0, self.reset_at.timestamp() - current)


class TransientXError(XApiError):
    """Worth retrying with backoff: 5xx, network failure, timeout, garbled body."""


class PermanentXError(XApiError):
    """Retrying cannot succeed; `reason` says why (shown to people, e.g. in the console)."""

    def __init__(self, message: str, *, endpoint: str, status: int | None, reason: str) -> None:
        super().__init__(message, endpoint=endpoint, status=status)
        self.reason = reason

    @property
    def is_duplicate(self) -> bool:
        """X refused the post because the same text was already posted."""
        return self.status == 403 and _DUPLICATE_PHRASE in self.reason.lower()


def reset_from_headers(headers: Mapping[str, str] | None) -> tuple[datetime, bool]:
    """The reset time announced by `x-rate-limit-reset`, or a default wait from now."""
    raw = headers.get("x-rate-limit-reset") if headers is not None else None
    if raw is not None:
        try:
            return datetime.fromtimestamp(int(raw), UTC), True
        except (TypeError, ValueError, OverflowError):
            pass
    return datetime.fromtimestamp(time.time() + DEFAULT_RATE_LIMIT_WAIT_S, UTC), False


def _reason(exc: tweepy.HTTPException) -> str:
    messages = [str(m) for m in exc.api_messages if m]
    if messages:
        return "; ".join(messages)
    return str(exc).split("\n", 1)[0]


def error_from_status(
    *, endpoint: str, status: int, headers: Mapping[str, str] | None, reason: str
) -> XApiError:
    """Classify a failed response by status alone (used when the body could not be read)."""
    if status == 429:
        reset_at, known = reset_from_headers(headers)
        return RateLimited(endpoint=endpoint, reset_at=reset_at, reset_known=known)
    if status >= 500:
        return TransientXError(f"{endpoint}: X server error {status}: {reason}", endpoint=endpoint,
                               status=status)
    return PermanentXError(f"{endpoint}: refused with {status}: {reason}", endpoint=endpoint,
                           status=status, reason=reason)


@asynccontextmanager
async def x_errors_mapped(endpoint: str) -> AsyncIterator[None]:
    """Convert tweepy / aiohttp / timeout exceptions raised inside into XApiError subclasses."""
    try:
        yield
    except XApiError:
        raise
    except tweepy.TooManyRequests as exc:
        if exc.reset_time is not None:
            reset_at, known = datetime.fromtimestamp(exc.reset_time, UTC), True
        else:
            reset_at, known = reset_from_headers(None)
        raise RateLimited(endpoint=endpoint, reset_at=reset_at, reset_known=known) from exc
    except tweepy.HTTPException as exc:
        status = int(getattr(exc.response, "status", 0) or 0)
        raise error_from_status(
            endpoint=endpoint, status=status, headers=None, reason=_reason(exc)
        ) from exc
    except aiohttp.ClientResponseError as exc:
        # tweepy's AsyncClient parses every error body as JSON, so a plain-text 503 (or 429)
        # surfaces as ContentTypeError, which still carries the status and headers.
        status = exc.status or 0
        if status >= 400:
            raise error_from_status(
                endpoint=endpoint, status=status, headers=exc.headers, reason=exc.message
            ) from exc
        raise TransientXError(f"{endpoint}: unreadable response ({status}): {exc.message}",
                              endpoint=endpoint, status=status or None) from exc
    except aiohttp.ClientError as exc:
        raise TransientXError(f"{endpoint}: network error: {exc!r}", endpoint=endpoint) from exc
    except TimeoutError as exc:
        raise TransientXError(f"{endpoint}: timed out", endpoint=endpoint) from exc
