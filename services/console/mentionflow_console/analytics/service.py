"""The analytics entry points the API and the pages share: who may see what, which period,
the report, the CSV and the PDF. Leads and admins only; a brand outside the caller's scope is
the same 404 as an unknown one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import asyncpg
from mentionflow.accounts import User
from mentionflow.brandconfig import AgencyConfig

from mentionflow_console.analytics import period, tables
from mentionflow_console.analytics.brands import BrandContext, brand_context
from mentionflow_console.analytics.compute import build_report
from mentionflow_console.analytics.models import Report
from mentionflow_console.errors import Forbidden, NotFound


def now() -> datetime:
    return datetime.now(UTC)


def check_access(user: User, config: AgencyConfig | None, brand_id: str) -> BrandContext:
    if not user.at_least("lead"):
        raise Forbidden(f"analytics are for leads and admins; you are {user.role}")
    if not user.can_see(brand_id):
        raise NotFound(f"no brand {brand_id}")
    return brand_context(config, brand_id)


def today_in(brand: BrandContext) -> date:
    return now().astimezone(brand.tz).date()


def range_of(brand: BrandContext, *, start: date | None, end: date | None) -> period.Comparison:
    return period.date_range(start=start, end=end, tz=brand.tz, today=today_in(brand))


def month_of(brand: BrandContext, *, month: str | None) -> period.Comparison:
    return period.month_range(month=month, tz=brand.tz, today=today_in(brand))


async def report(pool: asyncpg.Pool, *, brand: BrandContext, comparison: period.Comparison, queue: str | None = None,
                 agent: str | None = None) -> Report:
    return await build_report(pool, brand=brand, comparison=comparison, queue=queue, agent=agent, now=now())


def item_csv(pool: asyncpg.Pool, *, brand: BrandContext, comparison: period.Comparison, queue: str | None,
             agent: str | None) -> AsyncIterator[str]:
    return tables.item_rows(pool, brand=brand, comparison=comparison, queue=queue, agent=agent, now=now())


async def brands_with_items(pool: asyncpg.Pool, user: User, config: AgencyConfig | None) -> list[str]:
    """The brands a lead can pick: those of the config and those with items, within scope."""
    known = set(config.brands) if config is not None else set()
    rows = await pool.fetch("SELECT DISTINCT brand_id FROM queue_items WHERE $1::text[] IS NULL "
                            "OR brand_id = ANY($1::text[])", user.brand_scope)
    known |= {r["brand_id"] for r in rows}
    return sorted(b for b in known if user.can_see(b))
