"""tweepy's AsyncClient pointed at a configurable X API host, with our error mapping.

tweepy 4.17 hard-codes https://api.twitter.com. AsyncClient uses `self.session` when it is
set and only ever calls `session.request(method, url, params=, json=, headers=)` as an async
context manager, so `HostRewritingSession` (a thin wrapper around one long-lived
aiohttp.ClientSession) swaps the scheme and host just before the bytes leave. OAuth 1.0a
signatures are computed by tweepy over the real URL, exactly as in production; the fake X
API accepts any signature, and the real one never sees a rewritten URL (the default base).

Never construct AsyncClient with wait_on_rate_limit=True: with user auth it crashes on a
429 (tweepy 4.17), and even when it works it hides the wait inside the call. Callers get a
`RateLimited(reset_at)` and schedule the retry themselves.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import aiohttp
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from tweepy.asynchronous import AsyncClient
from yarl import URL

from mentionflow.xapi.errors import TransientXError, XApiError, x_errors_mapped

logger = logging.getLogger(__name__)

REAL_X_API = "https://api.twitter.com"

AuthKind = Literal["app_bearer", "oauth1_user", "oauth2_user"]


class XApiSettings(BaseModel):
    """Where the X API is and how long to wait for it (credentials live in XCredentials)."""

    model_config = ConfigDict(frozen=True)

    base_url: str = Field(default=REAL_X_API, description="the fake X API in tests and make run")
    timeout_s: float = Field(default=15.0, gt=0, description="whole request, connect to last byte")
    max_connections: int = Field(default=50, ge=1)


class XCredentials(BaseModel):
    """Credentials of one X app or account; every value is a SecretStr so it never prints.

    Reading uses the app bearer token when present (app-wide quota), else user context.
    Posting needs user context: OAuth 1.0a (all four keys) or an OAuth 2.0 user token.
    """

    model_config = ConfigDict(frozen=True)

    bearer_token: SecretStr | None = Field(default=None, description="app-only bearer (reading)")
    consumer_key: SecretStr | None = None
    consumer_secret: SecretStr | None = None
    access_token: SecretStr | None = None
    access_token_secret: SecretStr | None = None
    user_access_token: SecretStr | None = Field(default=None, description="OAuth 2.0 user token")

    @model_validator(mode="after")
    def _complete(self) -> XCredentials:
        oauth1 = [self.consumer_key, self.consumer_secret, self.access_token,
                  self.access_token_secret]
        given = sum(key is not None for key in oauth1)
        if given not in (0, 4):
            raise ValueError(
                "OAuth 1.0a needs all four of consumer_key, consumer_secret, access_token and "
                f"access_token_secret ({given} given)"
            )
        if given == 0 and self.bearer_token is None and self.user_access_token is None:
            raise ValueError("no X credentials: give a bearer_token, OAuth 1.0a keys or a "
                             "user_access_token")
        return self

    @property
    def has_oauth1(self) -> bool:
        return self.consumer_key is not None

    def read_auth(self) -> AuthKind:
        if self.bearer_token is not None:
            return "app_bearer"
        return "oauth1_user" if self.has_oauth1 else "oauth2_user"

    def post_auth(self) -> AuthKind:
        if self.has_oauth1:
            return "oauth1_user"
        if self.user_access_token is not None:
            return "oauth2_user"
        raise ValueError("posting needs user context: OAuth 1.0a keys or a user_access_token")


@dataclass(frozen=True, slots=True)
class RateLimitStatus:
    """The x-rate-limit-* headers of one response."""

    limit: int
    remaining: int
    reset_at: datetime

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateLimitStatus | None:
        try:
            return cls(
                limit=int(headers["x-rate-limit-limit"]),
                remaining=int(headers["x-rate-limit-remaining"]),
                reset_at=datetime.fromtimestamp(int(headers["x-rate-limit-reset"]), UTC),
            )
        except (KeyError, ValueError, OverflowError):
            return None


@dataclass(frozen=True, slots=True)
class XResponse:
    status: int
    body: dict[str, Any]
    rate_limit: RateLimitStatus | None


# Called after every X API call: (endpoint, HTTP status or None for a network error,
# rate-limit headers when there was a response). Ingest and publish hang metrics on it.
CallObserver = Callable[[str, int | None, RateLimitStatus | None], None]


class HostRewritingSession:
    """Looks like aiohttp.ClientSession to tweepy; sends every request to `base_url`."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self._session = session
        self._base = base_url.rstrip("/")

    def rewrite(self, url: str | URL) -> str | URL:
        text = str(url)
        if self._base == REAL_X_API or not text.startswith(REAL_X_API):
            return url
        rewritten = self._base + text[len(REAL_X_API):]
        # tweepy passes an already-encoded yarl.URL for OAuth1 (the signature covers that
        # exact query string); keep it encoded so aiohttp does not re-quote it.
        return URL(rewritten, encoded=True) if isinstance(url, URL) else rewritten

    def request(self, method: str, url: str | URL, **kwargs: Any) -> Any:
        return self._session.request(method, self.rewrite(url), **kwargs)


class _RedactAuthorization(logging.Filter):
    """tweepy logs request headers at DEBUG; keep bearer tokens and OAuth headers out."""

    _pattern = re.compile(r"('Authorization':\s*')[^']*(')")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "Authorization" in message:
            record.msg = self._pattern.sub(r"\1<redacted>\2", message)
            record.args = None
        return True


class _DropSigningDetails(logging.Filter):
    """oauthlib logs the OAuth 1.0a parameters (consumer key, access token) and signature at
    DEBUG while signing; those records carry nothing we need, so they are dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "oauth_" not in message and not message.startswith("Signature")


def _install_log_redaction() -> None:
    for name, filter_type in (("tweepy.asynchronous.client", _RedactAuthorization),
                              ("oauthlib.oauth1.rfc5849", _DropSigningDetails)):
        target = logging.getLogger(name)
        if not any(isinstance(f, filter_type) for f in target.filters):
            target.addFilter(filter_type())


class XClient:
    """One set of credentials used one way (reading or posting) over a shared session."""

    def __init__(self, tweepy_client: AsyncClient, auth: AuthKind,
                 observer: CallObserver | None = None) -> None:
        self.tweepy = tweepy_client
        self.auth = auth
        self._observer = observer

    @property
    def user_auth(self) -> bool:
        """tweepy's flag: True signs with OAuth 1.0a, False sends the bearer token."""
        return self.auth == "oauth1_user"

    async def call(self, endpoint: str, method: Callable[..., Awaitable[Any]], *args: Any,
                   **params: Any) -> XResponse:
        """Run one tweepy call; returns the JSON body or raises an XApiError subclass."""
        status: int | None = None
        rate_limit: RateLimitStatus | None = None
        try:
            async with x_errors_mapped(endpoint):
                response = await method(*args, user_auth=self.user_auth, **params)
                status = response.status
                rate_limit = RateLimitStatus.from_headers(response.headers)
                try:
                    body = await response.json()
                except ValueError as exc:  # right content type, broken JSON
                    raise TransientXError(f"{endpoint}: body is not JSON: {exc}",
                                          endpoint=endpoint, status=status) from exc
            if not isinstance(body, dict):
                raise TransientXError(f"{endpoint}: body is {type(body).__name__}, not an object",
                                      endpoint=endpoint, status=status)
            return XResponse(status=status, body=body, rate_limit=rate_limit)
        except XApiError as exc:
            status = exc.status
            raise
        finally:
            self._observe(endpoint, status, rate_limit)

    def _observe(self, endpoint: str, status: int | None, rate_limit: RateLimitStatus | None
                 ) -> None:
        if self._observer is None:
            return
        try:
            self._observer(endpoint, status, rate_limit)
        except Exception:  # a metrics bug must not fail an X call
            logger.exception("X API call observer failed for %s", endpoint)


class XSession:
    """One long-lived aiohttp session shared by every XClient of a process.

    Open it inside the running event loop (`async with XSession(settings) as xs:`); clients
    made from it stay valid until it closes. Closing is idempotent.
    """

    def __init__(self, settings: XApiSettings | None = None,
                 observer: CallObserver | None = None) -> None:
        self.settings = settings or XApiSettings()
        self._observer = observer
        self._http: aiohttp.ClientSession | None = None
        self._wrapper: HostRewritingSession | None = None

    async def open(self) -> XSession:
        if self._http is None:
            _install_log_redaction()
            self._http = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.settings.timeout_s),
                connector=aiohttp.TCPConnector(limit=self.settings.max_connections),
            )
            self._wrapper = HostRewritingSession(self._http, self.settings.base_url)
            logger.info("X API session opened against %s", self.settings.base_url)
        return self

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
            self._wrapper = None

    async def __aenter__(self) -> XSession:
        return await self.open()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def reader(self, credentials: XCredentials, *, observer: CallObserver | None = None) -> XClient:
        """A client for timelines and lookups (app bearer when available). `observer`, when
        given, is called after every call instead of the session's (e.g. bound to an account)."""
        return self._client(credentials, credentials.read_auth(), observer)

    def poster(self, credentials: XCredentials, *, observer: CallObserver | None = None) -> XClient:
        """A client that posts as the account (OAuth 1.0a or OAuth 2.0 user token)."""
        return self._client(credentials, credentials.post_auth(), observer)

    def _client(self, credentials: XCredentials, auth: AuthKind, observer: CallObserver | None = None) -> XClient:
        if self._wrapper is None:
            raise RuntimeError("XSession is not open: use `async with XSession(...)`")

        def plain(secret: SecretStr | None) -> str | None:
            return secret.get_secret_value() if secret is not None else None

        bearer = credentials.bearer_token if auth == "app_bearer" else credentials.user_access_token
        tweepy_client = AsyncClient(
            bearer_token=plain(bearer),
            consumer_key=plain(credentials.consumer_key),
            consumer_secret=plain(credentials.consumer_secret),
            access_token=plain(credentials.access_token),
            access_token_secret=plain(credentials.access_token_secret),
            # Raw responses: we read the rate-limit headers and parse bodies leniently
            # (tweepy's Tweet objects raise on a tweet with missing fields).
            return_type=aiohttp.ClientResponse,
            wait_on_rate_limit=False,
        )
        tweepy_client.session = self._wrapper
        return XClient(tweepy_client, auth, observer or self._observer)
