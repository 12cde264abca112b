"""The analytics pages: the brand picker, a brand's analytics over a range, and the monthly
client report (its PDF is the API's /api/v1/analytics/{brand}/report.pdf). Leads and admins."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from mentionflow_console.analytics import service
from mentionflow_console.analytics.drawing import chart_context
from mentionflow_console.analytics.tables import TableName
from mentionflow_console.deps import DbPool, UiSession
from mentionflow_console.errors import ConsoleError, Forbidden
from mentionflow_console.schemas import Name, Username
from mentionflow_console.web.pages import error_page, page

router = APIRouter(include_in_schema=False)
TABLES = list(TableName.__args__)  # type: ignore[attr-defined]
# Filter forms submit empty fields as "": the same as no filter.
OptDate = date | Literal[""]
OptName = Name | Literal[""]
OptUser = Username | Literal[""]


def _config(request: Request):  # noqa: ANN202
    return request.app.state.brand_config


@router.get("/analytics")
async def analytics_brands(request: Request, session: UiSession, pool: DbPool) -> HTMLResponse:
    if not session.user.at_least("lead"):
        return error_page(request, session, Forbidden("analytics are for leads and admins"))
    brands = await service.brands_with_items(pool, session.user, _config(request))
    return page(request, "analytics_brands.html", {"brands": brands}, session=session)


@router.get("/analytics/{brand}")
async def analytics_page(
    request: Request, brand: Name, session: UiSession, pool: DbPool,
    start: Annotated[OptDate | None, Query()] = None, end: Annotated[OptDate | None, Query()] = None,
    queue: Annotated[OptName | None, Query()] = None, agent: Annotated[OptUser | None, Query()] = None,
) -> HTMLResponse:
    try:
        context = service.check_access(session.user, _config(request), brand)
        comparison = service.range_of(context, start=start or None, end=end or None)
        report = await service.report(pool, brand=context, comparison=comparison, queue=queue or None,
                                      agent=agent or None)
    except ConsoleError as exc:
        return error_page(request, session, exc)
    query = urlencode({k: v for k, v in (("start", comparison.current.first_day.isoformat()),
                                         ("end", comparison.current.last_day.isoformat()),
                                         ("queue", queue), ("agent", agent)) if v})
    brands = await service.brands_with_items(pool, session.user, _config(request))
    return page(request, "analytics.html", {"report": report, "brands": brands, "tables": TABLES, "query": query,
                                            **chart_context(report)}, session=session)


@router.get("/analytics/{brand}/report")
async def report_page(request: Request, brand: Name, session: UiSession, pool: DbPool,
                      month: Annotated[str | None, Query(max_length=7)] = None) -> HTMLResponse:
    try:
        context = service.check_access(session.user, _config(request), brand)
        comparison = service.month_of(context, month=month or None)
        report = await service.report(pool, brand=context, comparison=comparison)
    except ConsoleError as exc:
        return error_page(request, session, exc)
    return page(request, "report.html", {"report": report, **chart_context(report)}, session=session)
