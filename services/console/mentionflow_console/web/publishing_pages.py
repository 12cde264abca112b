"""The publishing pages: compose (drafts, approval, what is scheduled), the calendar (month and
week, in the brand's time zone) and a post's debate; and their form posts. They run the same
functions as the API (publishing.py), so the rules are the same."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from mentionflow.events.post_text import MAX_POST_WEIGHT

from mentionflow_console import auth, post_calendar, publishing, reads
from mentionflow_console.deps import BrandConfig, DbPool, Producer, Settings, UiSession
from mentionflow_console.errors import ConsoleError, InvalidInput, NotFound
from mentionflow_console.post_schemas import PostOut, debate_out, local_text, post_out
from mentionflow_console.schemas import Name
from mentionflow_console.web.pages import CsrfField, _check_csrf, error_page, page

router = APIRouter(include_in_schema=False)
PartField = Annotated[list[str], Form(max_length=25)]
ShortField = Annotated[str, Form(max_length=64)]


def _chosen_brand(config: BrandConfig, session: auth.Session, brand: str | None) -> publishing.BrandPublishing:
    brands = publishing.publishing_brands(config, session.user)
    if brand:
        return publishing.brand_publishing(config, session.user, brand)
    if not brands:
        raise NotFound("none of your brands has an account to post from (brand config: accounts with can_post)")
    return brands[0]


def _schedule(brand: publishing.BrandPublishing, when: str, day: str, at: str) -> datetime | None:
    """The form's schedule as wall-clock time in the brand's zone (None: post now)."""
    if when != "later":
        return None
    try:
        return datetime.combine(date.fromisoformat(day), time.fromisoformat(at))
    except ValueError:
        raise InvalidInput("scheduled_for", "give the date and the time to post at") from None


async def _compose_page(request: Request, session: auth.Session, pool: DbPool, config: BrandConfig,
                        brand_id: str | None, *, edit: str | None = None, error: ConsoleError | None = None,
                        form: dict | None = None) -> HTMLResponse:
    user = session.user
    try:
        brand = _chosen_brand(config, session, brand_id)
    except ConsoleError as exc:
        return error_page(request, session, exc)
    rows = await publishing.listing(pool, user=user, brand=brand.brand_id)
    posts = [post_out(r, brand.time_zone) for r in rows]
    editing: PostOut | None = None
    if edit:
        editing = next((p for p in posts if str(p.post_id) == edit and p.status in publishing.EDITABLE), None)
    now_local = reads.now().astimezone(post_calendar.zone(brand.time_zone))
    return page(request, "publishing.html", {
        "active": "publishing", "brand": brand, "brands": publishing.publishing_brands(config, user),
        "needs_approval": publishing.needs_approval(brand, user), "editing": editing, "form": form or {},
        "error": error.message if error else None, "error_field": getattr(error, "field", None),
        "drafts": [p for p in posts if p.status in ("draft", "rejected")],
        "pending": [p for p in posts if p.status == "awaiting_approval"],
        "requested": [p for p in posts if p.status in ("requested", "cancelled")][:30],
        "today": now_local.date().isoformat(), "now_time": now_local.strftime("%H:%M"),
        "max_weight": MAX_POST_WEIGHT,
    }, error.status_code if error else 200, session)


@router.get("/publishing")
async def compose_page(request: Request, session: UiSession, pool: DbPool, config: BrandConfig,
                       brand: Annotated[Name | None, Query()] = None,
                       edit: Annotated[str | None, Query(max_length=64)] = None) -> HTMLResponse:
    return await _compose_page(request, session, pool, config, brand, edit=edit)


@router.post("/publishing/compose")
async def compose(
    request: Request, session: UiSession, pool: DbPool, producer: Producer, settings: Settings, config: BrandConfig,
    csrf_token: CsrfField = "", brand_id: ShortField = "", account_handle: ShortField = "",
    part: PartField = [],  # noqa: B006 - FastAPI copies form defaults
    when: Annotated[Literal["now", "later"], Form()] = "now", day: ShortField = "", at: ShortField = "",
    post_id: ShortField = "", intent: Annotated[Literal["save", "submit"], Form()] = "save",
) -> Response:
    """Save the composer as a draft (new, or the one being edited), or submit it."""
    user = session.user
    form = {"account_handle": account_handle, "parts": part, "when": when, "day": day, "at": at, "post_id": post_id}
    try:
        _check_csrf(session, csrf_token)
        brand = publishing.brand_publishing(config, user, brand_id)
        scheduled = _schedule(brand, when, day, at)
        now = reads.now()
        if post_id:
            row = await publishing.update(pool, config=config, user=user, post_id=post_id,
                                          account_handle=account_handle, parts=part, scheduled_for=scheduled, now=now)
        else:
            row = await publishing.create(pool, config=config, user=user, brand_id=brand.brand_id,
                                          account_handle=account_handle, parts=part, scheduled_for=scheduled, now=now)
        if intent == "submit":
            row = await publishing.submit(pool, producer, settings.kafka, config=config, user=user,
                                          post_id=row["post_id"], now=now)
    except ConsoleError as exc:
        return await _compose_page(request, session, pool, config, brand_id or None, edit=post_id or None,
                                   error=exc, form=form)
    return RedirectResponse(f"/publishing?brand={row['brand_id']}#post-{row['post_id']}", status_code=303)


@router.post("/publishing/posts/{post_id}/{action}")
async def post_action(
    request: Request, post_id: uuid.UUID, action: str, session: UiSession, pool: DbPool, producer: Producer,
    settings: Settings, config: BrandConfig, csrf_token: CsrfField = "",
    part: PartField = [],  # noqa: B006 - FastAPI copies form defaults
    comment: Annotated[str, Form(max_length=5000)] = "",
    back: Annotated[Literal["compose", "debate"], Form()] = "compose",
    reschedule: Annotated[bool, Form()] = False, day: ShortField = "", at: ShortField = "",
) -> Response:
    """submit, delete, approve (with the parts as the lead left them and, with `reschedule`, at
    the date and time of the form: both empty posts at once), reject (with a comment), cancel."""
    user = session.user
    brand_id: str | None = None
    try:
        _check_csrf(session, csrf_token)
        post = await publishing.get(pool, user=user, post_id=str(post_id))
        brand_id = post["brand_id"]
        now = reads.now()
        if action == "submit":
            await publishing.submit(pool, producer, settings.kafka, config=config, user=user, post_id=str(post_id),
                                    now=now)
        elif action == "delete":
            await publishing.delete(pool, user=user, post_id=str(post_id))
        elif action == "approve":
            when = None
            if reschedule:
                brand = publishing.brand_publishing(config, user, post["brand_id"])
                when = _schedule(brand, "later" if day or at else "now", day, at)
            await publishing.approve(pool, producer, settings.kafka, config=config, user=user, post_id=str(post_id),
                                     parts=part or None, scheduled_for=when, keep_schedule=not reschedule, now=now)
        elif action == "reject":
            await publishing.reject(pool, user=user, post_id=str(post_id), comment=comment)
        elif action == "cancel":
            await publishing.cancel(pool, producer, settings.kafka, user=user, post_id=str(post_id))
        else:
            raise NotFound(f"no action {action}")
    except ConsoleError as exc:
        if brand_id is None:
            return error_page(request, session, exc)
        return await _compose_page(request, session, pool, config, brand_id, error=exc)
    if back == "debate" and action != "delete":
        return RedirectResponse(f"/publishing/posts/{post_id}", status_code=303)
    return RedirectResponse(f"/publishing?brand={brand_id}", status_code=303)


@router.get("/publishing/calendar")
async def calendar_page(request: Request, session: UiSession, pool: DbPool, config: BrandConfig,
                        brand: Annotated[Name | None, Query()] = None,
                        view: Annotated[post_calendar.View, Query()] = "month",
                        day: Annotated[date | None, Query(alias="date")] = None) -> HTMLResponse:
    try:
        chosen = _chosen_brand(config, session, brand)
    except ConsoleError as exc:
        return error_page(request, session, exc)
    today = post_calendar.today(chosen.time_zone, reads.now())
    anchor = day if day is not None and 1971 <= day.year <= 2199 else today
    grid = post_calendar.grid(view, anchor, chosen.time_zone)
    entries = await publishing.calendar(pool, user=session.user, brand=chosen, start=grid.start_utc, end=grid.end_utc)
    by_day: dict[date, list[dict]] = {}
    for entry in entries:
        entry["local"] = local_text(entry["at"], chosen.time_zone)
        by_day.setdefault(grid.local_day(entry["at"]), []).append(entry)
    return page(request, "publishing_calendar.html", {
        "active": "publishing", "brand": chosen, "brands": publishing.publishing_brands(config, session.user),
        "grid": grid, "by_day": by_day, "today": today, "count": len(entries)}, session=session)


@router.get("/publishing/posts/{post_id}")
async def debate_page(request: Request, post_id: uuid.UUID, session: UiSession, pool: DbPool,
                      config: BrandConfig) -> HTMLResponse:
    try:
        row = await publishing.get(pool, user=session.user, post_id=str(post_id))
    except ConsoleError as exc:
        return error_page(request, session, exc)
    brand = config.brands.get(row["brand_id"]) if config is not None else None
    time_zone = brand.time_zone if brand is not None else "UTC"
    post = post_out(row, time_zone)
    pub = post.publication
    items = await publishing.debate(pool, brand_id=post.brand_id, conversation_id=pub.conversation_id if pub else None,
                                    tweet_ids=pub.tweet_ids if pub else [])
    return page(request, "publishing_post.html", {
        "active": "publishing", "post": post, "debate": debate_out(post, items),
        "brand_name": brand.name if brand is not None else post.brand_id}, session=session)
