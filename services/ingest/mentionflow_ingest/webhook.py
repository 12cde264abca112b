"""Account Activity style webhook: CRC challenge and signed `tweet_create_events`.

GET  /v1/webhooks/x?crc_token=T → {"response_token": "sha256=" + base64(HMAC_SHA256(consumer_secret, T))}
POST /v1/webhooks/x             x-twitter-webhooks-signature: sha256=<base64 HMAC of the raw body>

The signature is checked on the raw bytes before anything is parsed (401, nothing produced,
when it does not match). Then: malformed JSON → 400; tweets that lack required fields are
logged, counted and dropped while the rest of the delivery is ingested.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, HTTPException, Query, Request
from mentionflow.events.mentions_raw import Author, Mention
from mentionflow.ingestion import BrandResolver, ObservedPost, TextRejected, parse_post_time, to_mentions
from mentionflow.metrics import catalog
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from mentionflow_ingest.pipeline import Ingestor

log = logging.getLogger(__name__)

SOURCE = "x_webhook"
SIGNATURE_HEADER = "x-twitter-webhooks-signature"


def signature(secret: SecretStr, payload: bytes) -> str:
    digest = hmac.new(secret.get_secret_value().encode(), payload, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def signature_matches(secret: SecretStr, payload: bytes, header: str | None) -> bool:
    if not header:
        return False
    return hmac.compare_digest(signature(secret, payload).encode(), header.strip().encode())


# --- v1.1 tweet objects ---------------------------------------------------------------------


class _V1Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class V1User(_V1Model):
    id_str: str = Field(min_length=1)
    screen_name: str = Field(min_length=1, max_length=64)
    name: str | None = Field(default=None, max_length=200)
    followers_count: int = Field(default=0, ge=0)
    verified: bool = False


class V1UserMention(_V1Model):
    screen_name: str = Field(min_length=1)
    id_str: str | None = None


class V1Entities(_V1Model):
    user_mentions: list[V1UserMention] = []


class V1Extended(_V1Model):
    full_text: str
    entities: V1Entities | None = None


class V1Tweet(_V1Model):
    id_str: str = Field(min_length=1, pattern=r"^[0-9]+$")
    text: str | None = None
    full_text: str | None = None
    created_at: str
    user: V1User
    lang: str | None = None
    in_reply_to_status_id_str: str | None = None
    in_reply_to_user_id_str: str | None = None
    quoted_status_id_str: str | None = Field(default=None, pattern=r"^[0-9]+$")
    entities: V1Entities | None = None
    extended_tweet: V1Extended | None = None
    retweeted_status: dict[str, Any] | None = None

    def body(self) -> str:
        """Long posts put the whole text in extended_tweet.full_text (`text` is truncated)."""
        if self.extended_tweet is not None:
            return self.extended_tweet.full_text
        text = self.full_text or self.text
        if not text:
            raise ValueError("tweet has no text")
        return text

    def mentions(self) -> list[V1UserMention]:
        entities = self.extended_tweet.entities if self.extended_tweet and self.extended_tweet.entities else \
            self.entities
        return list(entities.user_mentions) if entities else []


def post_from_v1(tweet: V1Tweet, for_user_id: str | None) -> ObservedPost:
    mentioned = tweet.mentions()
    addressed = tuple(
        uid for uid in (for_user_id,)
        if uid and (tweet.in_reply_to_user_id_str == uid or any(m.id_str == uid for m in mentioned))
    )
    return ObservedPost(
        external_id=tweet.id_str,
        text=tweet.body(),
        author=Author(id=tweet.user.id_str, handle=tweet.user.screen_name, name=tweet.user.name,
                      followers=tweet.user.followers_count, verified=tweet.user.verified),
        created_at=parse_post_time(tweet.created_at),
        source=SOURCE,
        mentioned_handles=tuple(m.screen_name for m in mentioned),
        addressed_user_ids=addressed,
        lang=tweet.lang,
        # v1.1 has no conversation id; a post that replies to nothing starts its own.
        conversation_id=tweet.id_str if tweet.in_reply_to_status_id_str is None else None,
        in_reply_to=tweet.in_reply_to_status_id_str,
        quoted_id=tweet.quoted_status_id_str,
        url=f"https://x.com/{tweet.user.screen_name}/status/{tweet.id_str}",
    )


def mentions_from_delivery(payload: dict[str, Any], resolver: BrandResolver) -> tuple[list[Mention], int, int]:
    """(mentions, garbage items dropped, tweets ignored: own posts and retweets)."""
    for_user_id = payload.get("for_user_id")
    for_user_id = str(for_user_id) if for_user_id is not None else None
    events = payload.get("tweet_create_events") or []
    if not isinstance(events, list):
        return [], 1, 0
    now = datetime.now(UTC)
    mentions: list[Mention] = []
    garbage = ignored = 0
    for position, raw in enumerate(events):
        try:
            tweet = V1Tweet.model_validate(raw)
            if tweet.retweeted_status is not None or (for_user_id and tweet.user.id_str == for_user_id):
                ignored += 1  # a retweet, or the brand's own post: not a mention to answer
                continue
            mentions.extend(to_mentions(post_from_v1(tweet, for_user_id), resolver, now=now))
        except (ValidationError, TextRejected, ValueError) as exc:
            garbage += 1
            item_id = raw.get("id_str") if isinstance(raw, dict) else None
            log.warning("webhook: dropping malformed tweet #%d (id=%s): %s", position, item_id,
                        str(exc).replace("\n", " ")[:300])
    return mentions, garbage, ignored


# --- routes ---------------------------------------------------------------------------------


def webhook_router(*, secret: SecretStr, ingestor: Ingestor, resolver: BrandResolver) -> APIRouter:
    router = APIRouter(tags=["webhooks"])

    @router.get("/v1/webhooks/x", summary="CRC challenge")
    async def crc(crc_token: str = Query(min_length=1, max_length=1024)) -> dict[str, str]:
        return {"response_token": signature(secret, crc_token.encode())}

    @router.post("/v1/webhooks/x", summary="Account Activity delivery")
    async def deliver(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if not signature_matches(secret, raw, request.headers.get(SIGNATURE_HEADER)):
            catalog.INGEST_REJECTED.labels(SOURCE, "bad_signature").inc()
            log.warning("webhook: signature mismatch (%d bytes) refused", len(raw))
            raise HTTPException(status_code=401, detail="signature does not match the body")
        try:
            payload = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            catalog.INGEST_REJECTED.labels(SOURCE, "malformed_json").inc()
            raise HTTPException(status_code=400, detail=f"body is not JSON: {exc}") from None
        if not isinstance(payload, dict):
            catalog.INGEST_REJECTED.labels(SOURCE, "malformed_json").inc()
            raise HTTPException(status_code=400, detail="body must be a JSON object")
        mentions, garbage, ignored = mentions_from_delivery(payload, resolver)
        if garbage:
            catalog.INGEST_REJECTED.labels(SOURCE, "malformed_item").inc(garbage)
        outcomes = await ingestor.ingest(mentions, source=SOURCE)
        return {
            "accepted": sum(o.status == "accepted" for o in outcomes),
            "duplicates": sum(o.status != "accepted" for o in outcomes),
            "dropped": garbage,
            "ignored": ignored,
        }

    return router
