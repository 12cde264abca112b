"""Label corrections of a queue item (the brand's classifier adapter learns from them)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from mentionflow.events.mentions_classified import Category, Sentiment
from pydantic import BaseModel, Field

from mentionflow_console import corrections
from mentionflow_console.deps import CurrentUser, DbPool, Producer, Settings
from mentionflow_console.schemas import Problem

router = APIRouter(prefix="/api/v1/items", tags=["queue"])


class LabelCorrectionIn(BaseModel):
    category: Category | None = Field(default=None, description="the right category; omitted: unchanged")
    sentiment: Sentiment | None = Field(default=None, description="the right sentiment; omitted: unchanged")


class LabelCorrectionOut(BaseModel):
    correction_id: str
    brand_id: str
    mention_id: str
    old_category: Category | None
    new_category: Category | None
    old_sentiment: Sentiment | None
    new_sentiment: Sentiment | None
    corrected_by: str


RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "no such item in your brands"},
    503: {"model": Problem, "description": "the broker did not take the correction; nothing was recorded"},
}


@router.post("/{item_id}/label-correction", status_code=202, responses=RESPONSES,
             summary="Correct the item's category and/or sentiment: audited, sent to the brand's classifier "
                     "(labels.corrected); the queue row keeps its labels")
async def correct_labels(item_id: uuid.UUID, body: LabelCorrectionIn, user: CurrentUser, pool: DbPool,
                         producer: Producer, settings: Settings) -> LabelCorrectionOut:
    correction = await corrections.correct_labels(pool, producer, settings.kafka, user=user, item_id=item_id,
                                                  category=body.category, sentiment=body.sentiment)
    return LabelCorrectionOut(**correction.model_dump(include=set(LabelCorrectionOut.model_fields)))
