"""Brand analytics over a range (with the previous period), their CSV tables and the monthly
client report as PDF. Leads and admins; another brand's figures answer 404."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response, StreamingResponse

from mentionflow_console.analytics import pdf, service, tables
from mentionflow_console.analytics.models import Report
from mentionflow_console.deps import CurrentUser, DbPool
from mentionflow_console.schemas import Name, Problem, Username

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])
RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"model": Problem, "description": "needs the lead role"},
    404: {"model": Problem, "description": "no such brand in your scope"},
}
BrandId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$", description="brand id")]
Start = Annotated[date | None, Query(description="first day, in the brand's time zone (default: 27 days before end)")]
End = Annotated[date | None, Query(description="last day, included (default: today); at most 92 days after start")]
QueueFilter = Annotated[Name | None, Query(description="only items routed to this queue")]
AgentFilter = Annotated[Username | None, Query(description="only items assigned to this person")]
Month = Annotated[str | None, Query(max_length=7, description="YYYY-MM (default: the last complete month)")]


def _config(request: Request):  # noqa: ANN202
    return request.app.state.brand_config


@router.get("/{brand}", summary="A brand's figures over a range, with the previous period (leads)",
            responses=RESPONSES)
async def brand_analytics(request: Request, brand: BrandId, user: CurrentUser, pool: DbPool, start: Start = None,
                          end: End = None, queue: QueueFilter = None, agent: AgentFilter = None) -> Report:
    context = service.check_access(user, _config(request), brand)
    comparison = service.range_of(context, start=start, end=end)
    return await service.report(pool, brand=context, comparison=comparison, queue=queue, agent=agent)


@router.get("/{brand}/csv/{table}", summary="One table of the figures, or the range's items, as CSV (leads)",
            responses={**RESPONSES, 200: {"content": {"text/csv": {}}, "description": "CSV, header first"}},
            response_class=Response)
async def analytics_csv(request: Request, brand: BrandId, table: tables.TableName, user: CurrentUser, pool: DbPool,
                        start: Start = None, end: End = None, queue: QueueFilter = None, agent: AgentFilter = None,
                        ) -> Response:
    context = service.check_access(user, _config(request), brand)
    comparison = service.range_of(context, start=start, end=end)
    name = f"{brand}-{table}-{comparison.current.first_day}-{comparison.current.last_day}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if table == "items":
        rows = service.item_csv(pool, brand=context, comparison=comparison, queue=queue, agent=agent)
        return StreamingResponse(rows, media_type="text/csv; charset=utf-8", headers=headers)
    figures = await service.report(pool, brand=context, comparison=comparison, queue=queue, agent=agent)
    return Response(tables.table(figures, table), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/{brand}/report.pdf", summary="The monthly client report as PDF (leads)",
            responses={**RESPONSES, 200: {"content": {"application/pdf": {}}, "description": "the report"}},
            response_class=Response)
async def report_pdf(request: Request, brand: BrandId, user: CurrentUser, pool: DbPool, month: Month = None
                     ) -> Response:
    context = service.check_access(user, _config(request), brand)
    comparison = service.month_of(context, month=month)
    figures = await service.report(pool, brand=context, comparison=comparison)
    document = await pdf.render(request.app.state.templates, figures)
    name = f"{brand}-report-{comparison.current.first_day:%Y-%m}.pdf"
    return Response(document, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
