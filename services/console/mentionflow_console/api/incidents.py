"""The crisis board: open incidents per brand with volume and linked mentions; acknowledge, resolve."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from mentionflow_console import actions, reads
from mentionflow_console.deps import CurrentUser, DbPool, LeadUser, Producer, Settings
from mentionflow_console.schemas import IncidentOut, Name, Problem

Responses = dict[int | str, dict[str, Any]]
router = APIRouter(prefix="/api/v1/incidents", tags=["crisis"])

IncidentId = Annotated[str, Path(pattern=r"^[^\x00/]{1,200}$")]
RESPONSES: Responses = {404: {"model": Problem, "description": "no such incident in your brands"},
             409: {"model": Problem, "description": "already resolved"},
             403: {"model": Problem, "description": "needs the lead role"}}


@router.get("", summary="Open incidents of my brands, with volume series and linked mentions",
            responses={404: RESPONSES[404]})
async def list_incidents(
    user: CurrentUser, pool: DbPool,
    brand: Annotated[Name | None, Query(description="brand id")] = None,
    include_closed: Annotated[bool, Query(description="also closed and resolved ones")] = False,
) -> list[IncidentOut]:
    return await reads.incidents(pool, user=user, brand=brand, include_closed=include_closed)


@router.get("/{incident_id}", summary="One incident", responses={404: RESPONSES[404]})
async def get_incident(incident_id: IncidentId, user: CurrentUser, pool: DbPool) -> IncidentOut:
    return await reads.incident(pool, user=user, incident_id=incident_id)


@router.post("/{incident_id}/acknowledge",
             summary="Acknowledge: stops further escalation (leads); `pending` lists it until publish applied it",
             responses=RESPONSES)
async def acknowledge(incident_id: IncidentId, user: LeadUser, pool: DbPool, producer: Producer,
                      settings: Settings) -> IncidentOut:
    await actions.acknowledge_incident(pool, producer, settings.kafka, user=user, incident_id=incident_id)
    return await reads.incident(pool, user=user, incident_id=incident_id)


@router.post("/{incident_id}/resolve", summary="Resolve the incident and its escalation (leads)",
             responses=RESPONSES)
async def resolve(incident_id: IncidentId, user: LeadUser, pool: DbPool, producer: Producer,
                  settings: Settings) -> IncidentOut:
    await actions.resolve_incident(pool, producer, settings.kafka, user=user, incident_id=incident_id)
    return await reads.incident(pool, user=user, incident_id=incident_id)
