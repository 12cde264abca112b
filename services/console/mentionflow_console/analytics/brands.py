"""What the analytics need of a brand's config: its name, time zone, calendar, and the agency's
name. A brand the console's config does not know is shown in UTC without business hours."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from mentionflow.brandconfig import AgencyConfig
from mentionflow.brandconfig.calendar import BusinessCalendar

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DEFAULT_AGENCY = "mentionflow"


@dataclass(frozen=True)
class BrandContext:
    brand_id: str
    name: str
    agency: str
    time_zone: str
    calendar: BusinessCalendar | None
    hours_text: str

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


def brand_context(config: AgencyConfig | None, brand_id: str) -> BrandContext:
    agency = config.agency.name if config is not None else DEFAULT_AGENCY
    brand = config.brands.get(brand_id) if config is not None else None
    if brand is None:
        return BrandContext(brand_id, brand_id, agency, "UTC", None,
                            "none configured for this brand: business-hours figures are not computed")
    if brand.calendar.empty:
        return BrandContext(brand_id, brand.name, agency, brand.time_zone, None,
                            "none configured for this brand: business-hours figures are not computed")
    return BrandContext(brand_id, brand.name, agency, brand.time_zone, brand.calendar, hours_text(brand))


def hours_text(brand) -> str:  # noqa: ANN001 - a brandconfig Brand
    """'Mon–Fri 09:00-18:00; Sun 00:00-06:00 (Europe/Paris); closed on 2 holidays'."""
    groups: list[tuple[list[str], str]] = []
    for name, ranges in zip(DAY_NAMES, brand.hours_by_weekday, strict=True):
        if not ranges:
            continue
        text = ", ".join(str(r) for r in ranges)
        if groups and groups[-1][1] == text and DAY_NAMES.index(groups[-1][0][-1]) == DAY_NAMES.index(name) - 1:
            groups[-1][0].append(name)
        else:
            groups.append(([name], text))
    days = "; ".join(f"{d[0]}–{d[-1]} {t}" if len(d) > 1 else f"{d[0]} {t}" for d, t in groups)
    holidays = len(brand.holiday_set)
    closed = f"; closed on {holidays} holiday{'s' if holidays != 1 else ''}" if holidays else ""
    return f"{days} ({brand.time_zone}){closed}"
