"""The client report as PDF: the report's own HTML (templates/report_print.html, the same
figures and SVG charts as the page) laid out by WeasyPrint. Nothing is fetched: the stylesheet
is passed in and any URL in the document is refused."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from fastapi.templating import Jinja2Templates

from mentionflow_console.analytics.drawing import chart_context
from mentionflow_console.analytics.models import Report
from mentionflow_console.web.templating import STATIC

STYLESHEETS = (STATIC / "console.css", STATIC / "report.css")


def _no_fetch(url: str, *args: object, **kwargs: object) -> dict:
    raise ValueError(f"the report fetches nothing: {url}")


def render_sync(html: str, stylesheets: tuple[Path, ...] = STYLESHEETS) -> bytes:
    from weasyprint import CSS, HTML  # imported on use: it loads Pango, which only the PDF needs

    # WeasyPrint logs every layout step at INFO: ten lines per PDF in the console's log.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

    return HTML(string=html, url_fetcher=_no_fetch).write_pdf(stylesheets=[CSS(filename=str(s)) for s in stylesheets])


async def render(templates: Jinja2Templates, report: Report) -> bytes:
    """The PDF bytes (laid out in a worker thread: WeasyPrint is CPU-bound and synchronous)."""
    html = templates.env.get_template("report_print.html").render(report=report, **chart_context(report))
    return await asyncio.to_thread(render_sync, html)
