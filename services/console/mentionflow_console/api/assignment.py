"""Auto-assignment: my availability (and, for leads, their people's), and how each queue of my
brands assigns and to whom. The assignment itself is the console's background task (assigner.py)."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from mentionflow.brandconfig import AgencyConfig
from pydantic import BaseModel, ConfigDict, Field

from mentionflow_console import assigner
from mentionflow_console.api.items import NOT_FOUND, Responses
from mentionflow_console.assignment import AVAILABILITY_MODES, AvailabilityMode
from mentionflow_console.deps import CurrentUser, DbPool, UiSession
from mentionflow_console.errors import ConsoleError, InvalidInput
from mentionflow_console.schemas import Problem, Username
from mentionflow_console.web.pages import CsrfField, _check_csrf, error_page

router = APIRouter(prefix="/api/v1", tags=["assignment"])
pages = APIRouter(include_in_schema=False)
LEADS: Responses = {403: {"model": Problem, "description": "needs the lead role"}}


class AvailabilityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: AvailabilityMode = Field(description="'available' or 'away' whatever the hours; 'auto': on shift "
                                               "during the team's business hours")


class TeamAvailabilityOut(BaseModel):
    team: str
    available: bool
    reason: str


class AvailabilityOut(BaseModel):
    username: str
    mode: AvailabilityMode
    open_items: int = Field(description="items assigned to or claimed by the user, not resolved")
    teams: list[TeamAvailabilityOut] = Field(description="the brand config's teams the user is a member of")
    handed_back: int = Field(default=0, description="items just handed back to their queue by this change")


class AgentOut(BaseModel):
    username: str
    available: bool
    reason: str
    open_items: int


class QueueAssignmentOut(BaseModel):
    queue: str
    brand: str | None
    team: str
    mode: str = Field(description="off | round-robin | least-loaded")
    capacity: int = Field(description="open items per agent, at most")
    last_assignee: str | None
    agents: list[AgentOut]


def _config(request: Request) -> AgencyConfig | None:
    return request.app.state.brand_config


def _out(state: assigner.AvailabilityState) -> AvailabilityOut:
    return AvailabilityOut(username=state.username, mode=state.mode, open_items=state.open_items,
                           teams=[TeamAvailabilityOut(team=team, available=a.available, reason=a.reason)
                                  for team, a in state.teams.items()], handed_back=state.handed_back)


@router.get("/availability", summary="My availability for auto-assignment, and my open items")
async def my_availability(request: Request, user: CurrentUser, pool: DbPool) -> AvailabilityOut:
    return _out(await assigner.get_availability(pool, user=user, config=_config(request)))


@router.put("/availability", summary="Set my availability (away hands back my assigned, unclaimed items)")
async def set_my_availability(request: Request, body: AvailabilityIn, user: CurrentUser, pool: DbPool
                              ) -> AvailabilityOut:
    return _out(await assigner.set_availability(pool, actor=user, username=user.username, mode=body.mode,
                                                config=_config(request)))


@router.put("/users/{username}/availability",
            summary="Set a teammate's availability (leads, within their brands; anyone for themselves)",
            responses={**NOT_FOUND, **LEADS})
async def set_availability(request: Request, username: Username, body: AvailabilityIn, user: CurrentUser,
                           pool: DbPool) -> AvailabilityOut:
    return _out(await assigner.set_availability(pool, actor=user, username=username, mode=body.mode,
                                                config=_config(request)))


@router.get("/assignment/queues", summary="How each queue of my brands is auto-assigned, and to whom now")
async def assignment_queues(request: Request, user: CurrentUser, pool: DbPool) -> list[QueueAssignmentOut]:
    rows = await assigner.queue_overview(pool, user=user, config=_config(request))
    return [QueueAssignmentOut(queue=q.queue, brand=q.brand, team=q.team, mode=q.mode, capacity=q.capacity,
                               last_assignee=q.last_assignee,
                               agents=[AgentOut(username=a[0], available=a[1], reason=a[2], open_items=a[3])
                                       for a in q.agents]) for q in rows]


@pages.post("/availability")
async def availability_form(request: Request, session: UiSession, pool: DbPool, csrf_token: CsrfField = "",
                            mode: Annotated[str, Form(max_length=20)] = "") -> Response:
    """The header's availability switch without JavaScript: set, then back to the queue."""
    try:
        _check_csrf(session, csrf_token)
        if mode not in AVAILABILITY_MODES:
            raise InvalidInput("mode", f"choose one of {', '.join(AVAILABILITY_MODES)}")
        await assigner.set_availability(pool, actor=session.user, username=session.user.username,
                                        mode=cast(AvailabilityMode, mode),  # checked just above
                                        config=_config(request))
    except ConsoleError as exc:
        return error_page(request, session, exc)
    return RedirectResponse("/", status_code=303)
