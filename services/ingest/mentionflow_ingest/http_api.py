"""POST /v1/mentions: other collectors hand mentions over, one object or a list.

Auth: `X-API-Key` (keys from settings, compared in constant time). The raw body is decoded
here rather than by FastAPI so that invalid UTF-8 is a 422 naming the field it sits in (bytes
that are not UTF-8 become lone surrogates, which every string field refuses), not a 500.
Validation is all-or-nothing: one bad item and nothing of the request is produced.
"""

from __future__ import annotations

import hmac
import json
import logging
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from mentionflow.events.mentions_raw import MAX_TEXT_CHARS, Author, Mention
from mentionflow.events.urls import check_https_url
from mentionflow.ingestion import BrandResolver, ObservedPost, TextRejected, clean_text, to_mentions
from mentionflow.metrics import catalog
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, ValidationError

from mentionflow_ingest.pipeline import Ingestor

log = logging.getLogger(__name__)

SOURCE = "http"


def _valid_unicode(value: str) -> str:
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError("is not valid UTF-8")
    return value


Text = Annotated[str, AfterValidator(_valid_unicode)]


def _clean(value: str) -> str:
    try:
        return clean_text(value)
    except TextRejected as exc:
        raise ValueError(str(exc)) from None


class AuthorIn(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: Text = Field(min_length=1, max_length=64)
    handle: Text = Field(min_length=1, max_length=64)
    name: Text | None = Field(default=None, max_length=200)
    followers: int = Field(default=0, ge=0)
    verified: bool = False


class MentionIn(BaseModel):
    """One post from a collector; ingest resolves its brand(s) from `mentioned_handles`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    platform: Literal["x"] = "x"
    external_id: Text = Field(min_length=1, max_length=64, description="the post's id on the platform")
    text: Annotated[Text, AfterValidator(_clean)] = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    author: AuthorIn
    mentioned_handles: list[Annotated[Text, Field(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=50, description="brand accounts the post addresses (with or without @)")
    created_at: datetime
    lang: Text | None = Field(default=None, max_length=16)
    conversation_id: Text | None = Field(default=None, max_length=64)
    in_reply_to: Text | None = Field(default=None, max_length=64)
    quoted_id: Text | None = Field(default=None, max_length=64, description="the post this one quotes")
    url: Annotated[Text, AfterValidator(check_https_url)] | None = Field(
        default=None, max_length=2048, description="the post's https:// link (any other scheme is refused)")

    def observed(self) -> ObservedPost:
        created = self.created_at if self.created_at.tzinfo else self.created_at.replace(tzinfo=UTC)
        return ObservedPost(
            external_id=self.external_id, text=self.text, author=Author(**self.author.model_dump()),
            created_at=created, source=SOURCE, mentioned_handles=tuple(self.mentioned_handles),
            lang=self.lang, conversation_id=self.conversation_id, in_reply_to=self.in_reply_to,
            quoted_id=self.quoted_id, url=self.url,
            platform=self.platform,
        )


class MentionResult(BaseModel):
    mention_id: str
    brand_id: str
    brand_known: bool
    status: Literal["accepted", "duplicate"]


class ItemResult(BaseModel):
    index: int
    external_id: str
    mentions: list[MentionResult]


class IngestResponse(BaseModel):
    items: list[ItemResult]


def _unprocessable(errors: list[dict[str, Any]]) -> JSONResponse:
    catalog.INGEST_REJECTED.labels(SOURCE, "invalid_payload").inc()
    return JSONResponse(status_code=422, content={"detail": errors})


def _errors(exc: ValidationError, prefix: list[Any]) -> list[dict[str, Any]]:
    return [{"loc": prefix + list(err["loc"]), "msg": err["msg"], "type": err["type"]}
            for err in exc.errors(include_url=False, include_context=False, include_input=False)]


def parse_body(raw: bytes, *, max_batch: int) -> list[MentionIn] | JSONResponse:
    """The validated items of a request body, or the 422 response naming what is wrong."""
    # surrogateescape keeps invalid bytes as lone surrogates, refused by `Text` with a location.
    try:
        document = json.loads(raw.decode("utf-8", "surrogateescape"))
    except ValueError as exc:
        return _unprocessable([{"loc": ["body"], "msg": f"body is not JSON: {exc}", "type": "json_invalid"}])
    items = document if isinstance(document, list) else [document]
    if not items:
        return _unprocessable([{"loc": ["body"], "msg": "empty list", "type": "too_short"}])
    if len(items) > max_batch:
        return _unprocessable([{"loc": ["body"], "msg": f"more than {max_batch} items", "type": "too_long"}])
    parsed: list[MentionIn] = []
    errors: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        prefix: list[Any] = ["body", index] if isinstance(document, list) else ["body"]
        try:
            parsed.append(MentionIn.model_validate(item))
        except ValidationError as exc:
            errors.extend(_errors(exc, prefix))
    return _unprocessable(errors) if errors else parsed


def mentions_router(*, api_keys: list[SecretStr], ingestor: Ingestor, resolver: BrandResolver,
                    max_batch: int, max_body_bytes: int) -> APIRouter:
    router = APIRouter(tags=["collectors"])
    keys = [k.get_secret_value().encode() for k in api_keys]

    def authorised(given: str | None) -> bool:
        if not given:
            return False
        candidate = given.encode("utf-8", "surrogateescape")
        # Compare against every key (no early exit): timing reveals nothing about which matched.
        return sum(hmac.compare_digest(candidate, key) for key in keys) > 0

    @router.post("/v1/mentions", response_model=IngestResponse, summary="Ingest one mention or a list",
                 responses={401: {"description": "missing or wrong X-API-Key"},
                            422: {"description": "invalid payload; `detail[].loc` names the field"}})
    async def ingest_mentions(
        request: Request, x_api_key: Annotated[str | None, Header(alias="X-API-Key")] = None,
    ) -> IngestResponse | JSONResponse:
        if not authorised(x_api_key):
            catalog.INGEST_REJECTED.labels(SOURCE, "unauthorised").inc()
            raise HTTPException(status_code=401, detail="missing or wrong X-API-Key",
                                headers={"WWW-Authenticate": "ApiKey"})
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_body_bytes:
            raise HTTPException(status_code=413, detail=f"body larger than {max_body_bytes} bytes")
        raw = await request.body()
        if len(raw) > max_body_bytes:
            raise HTTPException(status_code=413, detail=f"body larger than {max_body_bytes} bytes")
        items = parse_body(raw, max_batch=max_batch)
        if isinstance(items, JSONResponse):
            return items
        now = datetime.now(UTC)
        per_item: list[list[Mention]] = []
        for index, item in enumerate(items):
            try:
                per_item.append(to_mentions(item.observed(), resolver, now=now))
            except (TextRejected, ValidationError) as exc:  # fields valid alone, not together
                return _unprocessable([{"loc": ["body", index], "msg": str(exc)[:300], "type": "value_error"}])
        outcomes = iter(await ingestor.ingest([m for ms in per_item for m in ms], source=SOURCE))
        results = []
        for index, (item, mentions) in enumerate(zip(items, per_item, strict=True)):
            results.append(ItemResult(index=index, external_id=item.external_id, mentions=[
                MentionResult(mention_id=o.mention.id, brand_id=o.mention.brand_id,
                              brand_known=o.mention.brand_known,
                              status="accepted" if o.status == "accepted" else "duplicate")
                for o in (next(outcomes) for _ in mentions)
            ]))
        return IngestResponse(items=results)

    return router
