"""The client report's written summary, generated from the figures alone. Pure."""

from __future__ import annotations

from mentionflow_console.analytics.models import AccountGrowth, PeriodFigures


def minutes_text(minutes: float | None) -> str:
    if minutes is None:
        return "–"
    if minutes < 90:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} days"


def change(current: int, previous: int) -> tuple[str, int | None]:
    """('rose', 8) / ('fell', 12) / ('held steady', 0) / ('was new', None) when there was nothing before."""
    if previous == 0:
        return ("held steady", 0) if current == 0 else ("was new", None)
    percent = round(100 * (current - previous) / previous)
    if percent > 0:
        return "rose", percent
    if percent < 0:
        return "fell", -percent
    return "held steady", 0


def _moved(what: str, current: int, previous: int) -> tuple[str, str]:
    verb, percent = change(current, previous)
    if percent is None:
        return "up", f"{what} {current} (none the period before)"
    if percent == 0:
        return "flat", f"{what} held steady at {current}"
    return ("up" if verb == "rose" else "down"), f"{what} {verb} {percent} % (to {current})"


def followers_text(accounts: list[AccountGrowth]) -> str | None:
    """'Followers +1,250 (to 120,400) on @BrandA.' / '... across 2 accounts'; None without counts."""
    counted = [a for a in accounts if a.changes["followers"].current is not None and a.latest is not None]
    if not counted:
        return None
    gained = sum(a.changes["followers"].current for a in counted)  # type: ignore[misc]
    total = sum(a.latest.followers for a in counted)  # type: ignore[union-attr,misc]
    where = f"@{counted[0].handle}" if len(counted) == 1 else f"{len(counted)} accounts"
    return f"Followers {gained:+,} (to {total:,}) on {where}."


def summary(current: PeriodFigures, previous: PeriodFigures, accounts: list[AccountGrowth] | None = None) -> str:
    """E.g. "Complaints fell 25 % (to 3) while volume rose 20 % (to 6). Median first response 60 min in
    business hours (5.5 h round the clock); SLA met for 50 % of items. 3 incidents; median time to
    acknowledge 13 min." """
    complaints_way, complaints = _moved("complaints", current.by_category.get("complaint", 0),
                                        previous.by_category.get("complaint", 0))
    volume_way, volume = _moved("volume", current.items, previous.items)
    joiner = " while " if complaints_way != volume_way else " and "
    sentences = [(complaints + joiner + volume).capitalize() + "."]
    response = current.first_response_business.median
    wall = current.first_response_wall.median
    if response is not None:
        sentences.append(f"Median first response {minutes_text(response)} in business hours "
                         f"({minutes_text(wall)} round the clock)")
    elif wall is not None:
        sentences.append(f"Median first response {minutes_text(wall)} round the clock")
    else:
        sentences.append("No item was answered")
    rate = current.sla_rate
    sla = f"SLA met for {rate:.0f} % of items" if rate is not None else "no SLA came due"
    sentences[-1] += f"; {sla}."
    incidents = current.incidents
    if incidents.opened:
        plural = "s" if incidents.opened != 1 else ""
        tta = incidents.to_acknowledge.median
        ack = f"; median time to acknowledge {minutes_text(tta)}" if tta is not None else "; none acknowledged"
        sentences.append(f"{incidents.opened} incident{plural}{ack}.")
    else:
        sentences.append("No incident.")
    backlog = current.backlog
    sentences.append(f"{backlog.open} item{'s' if backlog.open != 1 else ''} open at the end of the period.")
    followers = followers_text(accounts or [])
    if followers is not None:
        sentences.append(followers)
    return " ".join(sentences)
