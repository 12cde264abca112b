"""The console's FastAPI app: ops endpoints from mentionflow.http, the API routers, the pages,
static files, and the one place where domain errors become HTTP responses."""

from __future__ import annotations

import logging
from urllib.parse import quote

import asyncpg
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from mentionflow.brandconfig import AgencyConfig
from mentionflow.browser_headers import BrowserProtections

from mentionflow_console import live, repository
from mentionflow_console.api import (
    analytics,
    approvals,
    assignment,
    audit,
    bulk,
    care,
    corrections,
    incidents,
    items,
    posts,
    users,
)
from mentionflow_console.deps import LoginRequired
from mentionflow_console.errors import ConsoleError, InvalidInput
from mentionflow_console.settings import ConsoleSettings
from mentionflow_console.web import analytics_pages, bulk_page, pages, publishing_pages
from mentionflow_console.web.templating import STATIC, make_templates, row_renderer

log = logging.getLogger(__name__)

DESCRIPTION = """Community managers' API: brand-scoped queue, mention detail, claim / release / reply /
resolve / tag / reassign, bulk actions, label corrections, saved replies, internal notes and mentions,
customer history, reply approval, publishing (posts and threads from the brands' accounts: drafts,
approval, schedule, calendar, debate), crisis board, audit log, live updates (SSE).

Authenticate with `Authorization: Bearer <token>` (`mentionflow users token NAME`) or the browser
session cookie (writes then need the `X-CSRF-Token` header). Items of brands you are not granted
answer 404, exactly like missing ones."""


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


# No /docs or /redoc: they run inline script from a CDN, which the console's CSP forbids (and
# nothing may be fetched from outside at run time). The schema stays at /openapi.json.
APP_OPTIONS = {"description": DESCRIPTION, "version": "1", "docs_url": None, "redoc_url": None}


def configure_app(app: FastAPI, *, settings: ConsoleSettings, pool: asyncpg.Pool, producer: AIOKafkaProducer,
                  brand_config: AgencyConfig | None = None) -> None:
    """Add the console's routes, pages, static files, browser protections and error translation
    to `app` (made by mentionflow.http.create_app with APP_OPTIONS, so it also serves /healthz
    /readyz /metrics)."""
    app.add_middleware(BrowserProtections, cacheable_prefixes=("/static/",))
    templates = make_templates()
    app.state.settings = settings
    app.state.pool = pool
    app.state.producer = producer
    app.state.brand_config = brand_config
    app.state.templates = templates
    app.state.facets = repository.FacetCache()
    app.state.item_feed = live.ItemFeed(pool, poll_interval_s=settings.console.live_poll_interval_s,
                                        render=row_renderer(templates))
    for router in (items.router, corrections.router, care.router, incidents.router, audit.router, users.router,
                   analytics.router, assignment.router, assignment.pages, pages.router, analytics_pages.router,
                   bulk.router, bulk_page.router, approvals.router, posts.router, publishing_pages.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.exception_handler(ConsoleError)
    async def console_error(request: Request, exc: ConsoleError) -> Response:
        if isinstance(exc, InvalidInput):
            # Same shape as FastAPI's own validation errors: the field is named in `loc`.
            # A field inside a list is named by its path: "parts.2" → ["body", "parts", 2].
            loc = ["body", *(int(p) if p.isdigit() else p for p in exc.field.split("."))]
            return JSONResponse({"detail": [{"loc": loc, "msg": exc.reason, "type": "value_error"}]},
                                status_code=422)
        if _is_api(request):
            return JSONResponse({"detail": exc.message}, status_code=exc.status_code)
        return pages.error_page(request, None, exc)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        target = f"/login?next={quote(exc.next_path, safe='/')}" if exc.next_path != "/" else "/login"
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(asyncpg.DataError)
    async def data_error(request: Request, exc: asyncpg.DataError) -> Response:
        # A value PostgreSQL cannot take (out-of-range, bad encoding) that validation let by.
        log.warning("database refused a value on %s %s: %s", request.method, request.url.path, exc)
        return JSONResponse({"detail": f"invalid value: {exc}"}, status_code=422)
