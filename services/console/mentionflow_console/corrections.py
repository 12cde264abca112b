"""Label corrections: a person says what a mention's category and/or sentiment should have been.

The console owns none of classify's state: it records the correction in its audit log and
produces labels.corrected (the text and the labels before and after), which classify folds
into the brand's adapter. The queue row keeps the labels it was routed with; the item's
history shows the correction.

The audit entry and the event succeed or fail together as far as the console can make
them: the event is produced, and acknowledged, inside the audit entry's transaction, so a
broker that does not acknowledge leaves no audit entry (503, nothing recorded).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import get_args

import asyncpg
from aiokafka import AIOKafkaProducer
from mentionflow.accounts import User
from mentionflow.accounts.audit import record_audit
from mentionflow.accounts.store import transaction
from mentionflow.events import make_envelope
from mentionflow.events.labels_corrected import LabelCorrected
from mentionflow.events.mentions_classified import Category, Sentiment
from mentionflow.kafka.producer import send_event
from mentionflow.metrics import catalog
from mentionflow.settings import KafkaSettings

from mentionflow_console import repository
from mentionflow_console.errors import ConsoleError, InvalidInput, NotFound

log = logging.getLogger(__name__)

ACTION = "item.correct_labels"
PRODUCE_TIMEOUT_S = 10.0
CATEGORIES: tuple[str, ...] = get_args(Category)
SENTIMENTS: tuple[str, ...] = get_args(Sentiment)


class NotProduced(ConsoleError):
    """The broker did not acknowledge the event: nothing was recorded, try again."""

    status_code = 503


def checked_labels(category: str | None, sentiment: str | None) -> tuple[str | None, str | None]:
    """Empty means "unchanged"; anything else must be a known label (InvalidInput names the field)."""
    category = category or None
    sentiment = sentiment or None
    if category is not None and category not in CATEGORIES:
        raise InvalidInput("category", f"unknown category {category!r}; one of {', '.join(CATEGORIES)}")
    if sentiment is not None and sentiment not in SENTIMENTS:
        raise InvalidInput("sentiment", f"unknown sentiment {sentiment!r}; one of {', '.join(SENTIMENTS)}")
    if category is None and sentiment is None:
        raise InvalidInput("category", "give the right category, sentiment or both")
    return category, sentiment


async def correct_labels(pool: asyncpg.Pool, producer: AIOKafkaProducer, kafka: KafkaSettings, *, user: User,
                         item_id: uuid.UUID, category: str | None, sentiment: str | None) -> LabelCorrected:
    """Audit and produce one correction of an item of the user's brands; returns the event.

    Raises InvalidInput (bad label, nothing given), NotFound (missing or another brand's item,
    alike), NotProduced (the broker did not acknowledge; nothing recorded)."""
    category, sentiment = checked_labels(category, sentiment)
    async with transaction(pool) as conn:
        item = await repository.get_item(conn, scope=user.brand_scope, item_id=item_id)
        if item is None:
            raise NotFound(f"no queue item {item_id}")
        classification = repository.parse_json(item["classification"]) or {}
        mention = repository.parse_json(item["mention"]) or {}
        before = {"category": classification.get("category"), "sentiment": classification.get("sentiment")}
        correction = LabelCorrected(
            correction_id=str(uuid.uuid4()), brand_id=item["brand_id"], kind="correction",
            mention_id=item["mention_id"], text=mention.get("text") or item["text"],
            language=classification.get("language") or item["language"],
            old_category=before["category"] if category else None, new_category=category,
            old_sentiment=before["sentiment"] if sentiment else None, new_sentiment=sentiment,
            model_version=classification.get("model_version"), corrected_by=user.username)
        after = {"category": category or before["category"], "sentiment": sentiment or before["sentiment"]}
        changes = [f"{k} {before[k]} → {after[k]}" for k in ("category", "sentiment") if before[k] != after[k]]
        await record_audit(conn, actor=user.username, action=ACTION, brand_id=item["brand_id"], item_id=item_id,
                           target=item["mention_id"], before=before, after=after,
                           detail="; ".join(changes) or "labels confirmed")
        await _produce(producer, kafka, correction)
    catalog.CONSOLE_ACTIONS.labels(action=ACTION).inc()
    return correction


async def _produce(producer: AIOKafkaProducer, kafka: KafkaSettings, correction: LabelCorrected) -> None:
    envelope = make_envelope("labels.corrected", correction, brand_id=correction.brand_id,
                             correlation_id=correction.mention_id or correction.correction_id)
    try:
        await asyncio.wait_for(send_event(producer, kafka, "labels.corrected", envelope), PRODUCE_TIMEOUT_S)
    except Exception as exc:
        log.warning("labels.corrected %s not acknowledged: %s: %s", correction.correction_id, type(exc).__name__, exc)
        raise NotProduced("the correction could not be recorded just now; please try again") from exc
