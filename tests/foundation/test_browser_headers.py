"""BrowserProtections: the headers on every answer, errors and crashes included."""

from __future__ import annotations

import httpx
from fastapi import FastAPI, HTTPException
from fastapi.responses import PlainTextResponse
from mentionflow.browser_headers import SECURITY_HEADERS, BrowserProtections


def _app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(BrowserProtections, cacheable_prefixes=("/static/",))

    @app.get("/page")
    async def page() -> PlainTextResponse:
        return PlainTextResponse("ok", headers={"Cache-Control": "max-age=600"})

    @app.get("/static/app.js")
    async def asset() -> PlainTextResponse:
        return PlainTextResponse("//", headers={"Cache-Control": "max-age=600"})

    @app.get("/refused")
    async def refused() -> None:
        raise HTTPException(403, "no")

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError("a bug")

    return app


async def test_every_answer_carries_the_headers_and_only_static_may_be_cached():
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        answers = {path: await client.get(path) for path in ("/page", "/static/app.js", "/refused", "/crash", "/none")}
    assert {path: r.status_code for path, r in answers.items()} == {
        "/page": 200, "/static/app.js": 200, "/refused": 403, "/crash": 500, "/none": 404}
    for path, response in answers.items():
        assert {name: response.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS, path
        expected_cache = "max-age=600" if path == "/static/app.js" else "no-store"
        assert response.headers.get("cache-control") == expected_cache, path
    assert "frame-ancestors 'none'" in SECURITY_HEADERS["Content-Security-Policy"]
