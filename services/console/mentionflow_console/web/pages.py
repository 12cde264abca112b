"""The pages: login, queue, mention, crisis board, audit log; and their form posts.

Every form post carries the session's CSRF token; every page needs a session (else a
redirect to /login). Actions run the same functions as the API, so the rules are the same.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from mentionflow.accounts.store import check_password
from mentionflow.accounts.tokens import new_secret
from mentionflow.metrics import catalog
from pydantic import ValidationError

from mentionflow_console import (
    actions,
    approvals,
    auth,
    charts,
    corrections,
    notes,
    publishing,
    reads,
    repository,
    saved_replies,
    schemas,
)
from mentionflow_console.deps import DbPool, Producer, Settings, UiSession
from mentionflow_console.errors import ConsoleError, Forbidden, InvalidInput, NotFound
from mentionflow_console.schemas import Category, Name, SearchText, StatusFilter, Username
from mentionflow_console.settings import ConsoleOptions

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]
CsrfField = Annotated[str, Form(max_length=200)]  # missing = wrong: answered 403, not 422
# Filter forms submit empty selects as "": the same as no filter.
OptName = Name | Literal[""]
OptCategory = Category | Literal[""]


def _templates(request: Request):  # noqa: ANN202
    return request.app.state.templates


def page(request: Request, name: str, context: dict, status_code: int = 200, session: auth.Session | None = None,
         ) -> HTMLResponse:
    context = {"user": session.user if session else None,
               "csrf_token": session.csrf_token if session else "", **context}
    return _templates(request).TemplateResponse(request, name, context, status_code=status_code)


def error_page(request: Request, session: auth.Session | None, error: ConsoleError) -> HTMLResponse:
    return page(request, "error.html", {"error": error.message, "status": error.status_code},
                error.status_code, session)


def _safe_next(target: str | None) -> str:
    # Only our own paths: an absolute or protocol-relative URL would be an open redirect.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _check_csrf(session: auth.Session, token: str) -> None:
    if not auth.tokens_match(session.csrf_token, token):
        raise Forbidden("the form's CSRF token is missing or stale: reload the page and try again")


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _set_cookie(response: Response, options: ConsoleOptions, name: str, value: str, *, max_age: int,
                samesite: Literal["lax", "strict"]) -> None:
    """Every cookie of the console: HttpOnly, SameSite, and Secure unless the dev switch is on."""
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite=samesite,
                        secure=options.cookie_secure)


def _drop_cookie(response: Response, options: ConsoleOptions, name: str) -> None:
    response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=options.cookie_secure)


def _login_form(request: Request, options: ConsoleOptions, context: dict, status_code: int = 200) -> HTMLResponse:
    """The login page with a fresh double-submit CSRF token (form field + cookie)."""
    token = new_secret()
    response = page(request, "login.html", {"login_csrf": token, **context}, status_code)
    _set_cookie(response, options, auth.LOGIN_CSRF_COOKIE, token, max_age=3600, samesite="strict")
    return response


# --- login -----------------------------------------------------------------------------------

@router.get("/login")
async def login_form(request: Request, settings: Settings,
                     next: Annotated[str | None, Query(max_length=500)] = None) -> HTMLResponse:
    return _login_form(request, settings.console, {"next": _safe_next(next), "error": None})


@router.post("/login")
async def login(request: Request, pool: DbPool, settings: Settings, username: FormText, password: FormText,
                csrf_token: CsrfField = "", next: Annotated[str, Form(max_length=500)] = "/") -> Response:
    options = settings.console
    name = username.strip().lower()[:64]
    ip = _client_ip(request)

    def again(message: str, status_code: int) -> HTMLResponse:
        return _login_form(request, options, {"next": _safe_next(next), "error": message, "username": name},
                           status_code)

    if not auth.tokens_match(request.cookies.get(auth.LOGIN_CSRF_COOKIE), csrf_token):
        return again("Your login form expired; please try again.", 403)
    retry_after = await auth.login_retry_after(pool, username=name, ip=ip, max_failures=options.login_max_failures,
                                               window_s=options.login_window_s)
    if retry_after:
        catalog.CONSOLE_LOGINS.labels(outcome="rate_limited").inc()
        response = again(f"Too many failed attempts. Try again in {retry_after // 60 + 1} minute(s).", 429)
        response.headers["Retry-After"] = str(retry_after)
        return response
    user = await check_password(pool, username=name, password=password) if "\x00" not in name + password else None
    await auth.record_login_attempt(pool, username=name, ip=ip, succeeded=user is not None)
    if user is None:
        catalog.CONSOLE_LOGINS.labels(outcome="failed").inc()
        return again("Wrong username or password.", 401)
    catalog.CONSOLE_LOGINS.labels(outcome="ok").inc()
    cookie, _ = await auth.create_session(pool, user=user, ttl=timedelta(minutes=options.session_ttl_minutes),
                                          idle=timedelta(minutes=options.session_idle_minutes), ip=ip,
                                          replaces=request.cookies.get(auth.SESSION_COOKIE))
    redirect = RedirectResponse(_safe_next(next), status_code=303)
    _set_cookie(redirect, options, auth.SESSION_COOKIE, cookie, max_age=options.session_ttl_minutes * 60,
                samesite="lax")
    _drop_cookie(redirect, options, auth.LOGIN_CSRF_COOKIE)
    return redirect


@router.post("/logout")
async def logout(request: Request, session: UiSession, pool: DbPool, settings: Settings,
                 csrf_token: CsrfField = "") -> Response:
    _check_csrf(session, csrf_token)
    await auth.end_session(pool, cookie=request.cookies.get(auth.SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    _drop_cookie(response, settings.console, auth.SESSION_COOKIE)
    return response


# --- queue -----------------------------------------------------------------------------------

@router.get("/")
async def queue_page(
    request: Request, session: UiSession, pool: DbPool,
    brand: Annotated[OptName | None, Query()] = None, queue: Annotated[OptName | None, Query()] = None,
    category: Annotated[OptCategory | None, Query()] = None, language: Annotated[OptName | None, Query()] = None,
    status: Annotated[StatusFilter, Query()] = "open",
) -> HTMLResponse:
    filters = repository.QueueFilters(brand=brand or None, queue=queue or None, category=category or None,
                                      language=language or None, status=status)
    return await render_queue(request, session, pool, filters)


async def render_queue(request: Request, session: auth.Session, pool: DbPool, filters: repository.QueueFilters,
                       extra: dict | None = None, status_code: int = 200) -> HTMLResponse:
    """The queue page for `filters`; `extra` adds to the template's context (a bulk action's outcome)."""
    try:
        items = await reads.queue(pool, user=session.user, filters=filters,
                                  limit=request.app.state.settings.console.page_size)
    except ConsoleError as exc:
        return error_page(request, session, exc)
    chosen = {k: v for k, v in (("brand", filters.brand), ("queue", filters.queue), ("category", filters.category),
                                ("language", filters.language), ("status", filters.status)) if v}
    cursor = await pool.fetchval("SELECT now()")
    stream_url = "/api/v1/items/stream?" + urlencode({**chosen, "html": "1", "since": cursor.isoformat()})
    return page(request, "queue.html", {
        "items": items, "filters": chosen,
        "facets": await request.app.state.facets.get(pool, scope=session.user.brand_scope),
        "stream_url": stream_url, **(extra or {})}, status_code, session)


# --- one mention -----------------------------------------------------------------------------

async def _item_page(request: Request, session: auth.Session, pool: DbPool, item_id: uuid.UUID,
                     error: ConsoleError | None = None) -> HTMLResponse:
    try:
        detail = await reads.item(pool, user=session.user, item_id=item_id)
    except NotFound as exc:
        return error_page(request, session, exc)
    item, earlier, author_note = await notes.customer(pool, user=session.user, item_id=item_id)
    return page(request, "item.html", {
        "item": detail, "error": error.message if error else None,
        "notes": await notes.item_notes(pool, user=session.user, item_id=item_id),
        "customer": schemas.customer_out(item, earlier, author_note, reads.now())},
        error.status_code if error else 200, session)


@router.get("/items/{item_id}")
async def item_page(request: Request, item_id: uuid.UUID, session: UiSession, pool: DbPool) -> HTMLResponse:
    return await _item_page(request, session, pool, item_id)


@router.post("/items/{item_id}/{action}")
async def item_action(
    request: Request, item_id: uuid.UUID, action: str, session: UiSession, pool: DbPool, producer: Producer,
    settings: Settings, csrf_token: CsrfField = "", text: Annotated[str, Form(max_length=5000)] = "",
    tags: Annotated[str, Form(max_length=2000)] = "", assignee: Annotated[str, Form(max_length=64)] = "",
    category: Annotated[str, Form(max_length=32)] = "", sentiment: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    user = session.user
    try:
        _check_csrf(session, csrf_token)
        if action == "claim":
            await actions.claim(pool, user=user, item_id=item_id)
        elif action == "release":
            await actions.release(pool, user=user, item_id=item_id)
        elif action == "reply":
            await approvals.reply(pool, producer, settings.kafka, user=user, item_id=item_id, text=text)
        elif action == "resolve":
            await actions.resolve(pool, user=user, item_id=item_id, note=text)
        elif action == "tag":
            wanted = [t for t in tags.replace(",", " ").split() if t]
            current = (await reads.item(pool, user=user, item_id=item_id)).tags
            await actions.tag(pool, user=user, item_id=item_id, add=wanted,
                              remove=[t for t in current if t not in wanted])
        elif action == "reassign":
            await actions.reassign(pool, user=user, item_id=item_id, assignee=assignee.strip().lower())
        elif action == "label-correction":
            await corrections.correct_labels(pool, producer, settings.kafka, user=user, item_id=item_id,
                                             category=category, sentiment=sentiment)
        elif action == "note":
            await notes.add_note(pool, user=user, item_id=item_id, body=text)
        elif action == "author-note":
            await notes.set_author_note(pool, user=user, item_id=item_id, note=text)
        else:
            raise NotFound(f"no action {action}")
    except ConsoleError as exc:
        return await _item_page(request, session, pool, item_id, error=exc)
    return RedirectResponse(f"/items/{item_id}", status_code=303)


# --- mentions and saved replies ------------------------------------------------------------

@router.get("/mentions")
async def mentions_page(request: Request, session: UiSession, pool: DbPool) -> HTMLResponse:
    rows = await notes.mentions_of(pool, user=session.user, limit=200)
    return page(request, "mentions.html", {"mentions": [schemas.mention_out(r) for r in rows]}, session=session)


async def _saved_replies_page(request: Request, session: auth.Session, pool: DbPool,
                              error: ConsoleError | None = None) -> HTMLResponse:
    rows = await saved_replies.list_for(pool, user=session.user)
    return page(request, "saved_replies.html", {
        "replies": rows, "error": error.message if error else None, "variables": saved_replies.VARIABLES,
        "brands": sorted(session.user.brands)}, error.status_code if error else 200, session)


@router.get("/saved-replies")
async def saved_replies_page(request: Request, session: UiSession, pool: DbPool) -> HTMLResponse:
    return await _saved_replies_page(request, session, pool)


@router.post("/saved-replies/{action}")
async def saved_reply_action(
    request: Request, action: str, session: UiSession, pool: DbPool, csrf_token: CsrfField = "",
    reply_id: Annotated[str, Form(max_length=64)] = "", brand_id: Annotated[str, Form(max_length=200)] = "",
    language: Annotated[str, Form(max_length=12)] = "", name: Annotated[str, Form(max_length=80)] = "",
    category: Annotated[str, Form(max_length=20)] = "", body: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        _check_csrf(session, csrf_token)
        try:
            chosen = uuid.UUID(reply_id) if reply_id else None
        except ValueError:
            raise NotFound(f"no saved reply {reply_id}") from None
        if action == "save":
            form = schemas.SavedReplyIn.model_validate(
                {"brand_id": brand_id, "language": language, "name": name, "category": category or None, "body": body})
            await saved_replies.save(pool, user=session.user, **form.model_dump(), reply_id=chosen)
        elif action == "delete" and chosen is not None:
            await saved_replies.delete(pool, user=session.user, reply_id=chosen)
        else:
            raise NotFound(f"no action {action}")
    except ConsoleError as exc:
        return await _saved_replies_page(request, session, pool, error=exc)
    except ValidationError as exc:
        field = ".".join(str(p) for p in exc.errors()[0]["loc"])
        return await _saved_replies_page(request, session, pool, error=InvalidInput(field, exc.errors()[0]["msg"]))
    return RedirectResponse("/saved-replies", status_code=303)


# --- reply approval ---------------------------------------------------------------------------

async def _approvals_page(request: Request, session: auth.Session, pool: DbPool,
                          error: ConsoleError | None = None) -> HTMLResponse:
    try:
        rows = await approvals.listing(pool, user=session.user)
    except ConsoleError as exc:
        return error_page(request, session, exc)
    # Posts wait on the Publishing page (with their editor); here, how many and where.
    posts = await publishing.listing(pool, user=session.user, statuses=["awaiting_approval"])
    waiting_posts: dict[str, int] = {}
    for post in posts:
        waiting_posts[post["brand_id"]] = waiting_posts.get(post["brand_id"], 0) + 1
    return page(request, "approvals.html", {"drafts": [schemas.draft_out(r) for r in rows],
                                            "waiting_posts": sorted(waiting_posts.items()),
                                            "error": error.message if error else None},
                error.status_code if error else 200, session)


@router.get("/approvals")
async def approvals_page(request: Request, session: UiSession, pool: DbPool) -> HTMLResponse:
    return await _approvals_page(request, session, pool)


@router.post("/approvals/{draft_id}/{action}")
async def approval_action(
    request: Request, draft_id: uuid.UUID, action: str, session: UiSession, pool: DbPool, producer: Producer,
    settings: Settings, csrf_token: CsrfField = "", text: Annotated[str, Form(max_length=5000)] = "",
    comment: Annotated[str, Form(max_length=5000)] = "",
    back: Annotated[Literal["item", "list"], Form()] = "list",
) -> Response:
    """Approve (with the text as the lead left it) or reject (with a comment); back to the item or the list."""
    item_id: uuid.UUID | None = None
    try:
        _check_csrf(session, csrf_token)
        item_id = (await approvals.get(pool, user=session.user, draft_id=draft_id))["item_id"]
        if action == "approve":
            await approvals.approve(pool, producer, settings.kafka, user=session.user, draft_id=draft_id, text=text)
        elif action == "reject":
            await approvals.reject(pool, user=session.user, draft_id=draft_id, comment=comment)
        else:
            raise NotFound(f"no action {action}")
    except ConsoleError as exc:
        if back == "item" and item_id is not None:
            return await _item_page(request, session, pool, item_id, error=exc)
        if not session.user.at_least("lead"):  # no list to go back to
            return error_page(request, session, exc)
        return await _approvals_page(request, session, pool, error=exc)
    return RedirectResponse(f"/items/{item_id}" if back == "item" else "/approvals", status_code=303)


# --- crisis board ----------------------------------------------------------------------------

@router.get("/crisis")
async def crisis_page(request: Request, session: UiSession, pool: DbPool,
                      brand: Annotated[OptName | None, Query()] = None) -> HTMLResponse:
    return await _crisis_page(request, session, pool, brand or None)


async def _crisis_page(request: Request, session: auth.Session, pool: DbPool, brand: str | None,
                       error: ConsoleError | None = None) -> HTMLResponse:
    try:
        incidents = await reads.incidents(pool, user=session.user, brand=brand)
    except ConsoleError as exc:
        return error_page(request, session, exc)
    by_brand: dict[str, list] = {}
    for incident in incidents:
        by_brand.setdefault(incident.brand_id, []).append(incident)
    drawn = {i.incident_id: charts.volume_chart([(p.at, p.rate_per_minute) for p in i.volume],
                                                baseline=i.baseline_per_minute, width=560, height=150)
             for i in incidents}
    return page(request, "crisis.html", {"by_brand": by_brand, "brand": brand, "charts": drawn,
                                         "error": error.message if error else None},
                error.status_code if error else 200, session)


@router.post("/crisis/{incident_id}/{action}")
async def incident_action(request: Request, incident_id: str, action: str, session: UiSession, pool: DbPool,
                          producer: Producer, settings: Settings, csrf_token: CsrfField = "") -> Response:
    try:
        _check_csrf(session, csrf_token)
        if action == "acknowledge":
            await actions.acknowledge_incident(pool, producer, settings.kafka, user=session.user,
                                               incident_id=incident_id)
        elif action == "resolve":
            await actions.resolve_incident(pool, producer, settings.kafka, user=session.user, incident_id=incident_id)
        else:
            raise NotFound(f"no action {action}")
    except ConsoleError as exc:
        if isinstance(exc, NotFound):
            return error_page(request, session, exc)
        return await _crisis_page(request, session, pool, None, error=exc)
    return RedirectResponse(f"/crisis#incident-{quote(incident_id)}", status_code=303)


# --- audit -----------------------------------------------------------------------------------

@router.get("/audit")
async def audit_page(
    request: Request, session: UiSession, pool: DbPool,
    actor: Annotated[Username | Literal[""] | None, Query()] = None,
    action: Annotated[OptName | None, Query()] = None, brand: Annotated[OptName | None, Query()] = None,
    q: Annotated[SearchText | Literal[""] | None, Query()] = None,
) -> HTMLResponse:
    if not session.user.at_least("lead"):
        return error_page(request, session, Forbidden("the audit log is for leads"))
    query = repository.AuditQuery(actor=actor or None, action=action or None, brand=brand or None, text=q or None,
                                  limit=200)
    try:
        entries = await reads.audit(pool, user=session.user, query=query)
    except ConsoleError as exc:
        return error_page(request, session, exc)
    return page(request, "audit.html", {"entries": entries, "query": query}, session=session)
