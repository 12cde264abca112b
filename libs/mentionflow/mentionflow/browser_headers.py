"""Browser protections every HTML-serving app of the project sends on every response.

The console shows strangers' text to people whose buttons post as a brand, so the page
may run only our own script and styles (no inline code at all), may not be framed
(clickjacking), and nothing it loads may leave the origin. `BrowserProtections` is the one
ASGI middleware that adds them; the fake X API applies the same `SECURITY_HEADERS`.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
])

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",  # for browsers without frame-ancestors
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Responses carry mentions (strangers' personal data) and CSRF tokens: no cache may keep them.
NO_STORE = "no-store"


class BrowserProtections:
    """Pure ASGI middleware (streaming responses such as SSE pass through untouched):
    SECURITY_HEADERS on every HTTP response, and `Cache-Control: no-store` on every one
    whose path does not start with one of `cacheable_prefixes` (static assets)."""

    def __init__(self, app: ASGIApp, cacheable_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.cacheable_prefixes = cacheable_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = bool(self.cacheable_prefixes) and str(scope["path"]).startswith(self.cacheable_prefixes)
        started = False

        async def send_protected(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if not cacheable:
                    headers["Cache-Control"] = NO_STORE
            await send(message)

        try:
            await self.app(scope, receive, send_protected)
        except Exception:
            # Starlette's own 500 is sent outside this middleware, without the headers: send
            # ours, then re-raise so the error is still logged (the outer layer sees a started
            # response and sends nothing more).
            if not started:
                await send_protected({"type": "http.response.start", "status": 500,
                                      "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
                await send_protected({"type": "http.response.body", "body": b"Internal Server Error"})
            raise
