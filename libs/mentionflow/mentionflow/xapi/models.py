"""Tweets and users as X API v2 returns them, parsed leniently into small frozen models.

One malformed item must not cost the whole page: `parse_items` validates each item on its
own and returns the good ones plus the number dropped (each drop is logged with the reason).
Unknown fields are ignored; fields we rely on (id, text, author_id, created_at) are required.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from pydantic import AliasChoices, AliasPath, BaseModel, ConfigDict, Field, ValidationError

logger = logging.getLogger(__name__)

# What we ask X for on every timeline call (X only returns non-default fields on request).
TWEET_FIELDS = ["lang", "created_at", "author_id", "conversation_id", "referenced_tweets",
                "in_reply_to_user_id", "entities"]
USER_FIELDS = ["public_metrics", "verified", "name", "username"]
AUTHOR_EXPANSION = ["author_id"]
# `max_results` of X's timelines (mentions, an account's own posts): X refuses others with 400.
MIN_PAGE, MAX_PAGE = 5, 100


def checked_page_size(max_results: int) -> int:
    """`max_results` when X's timelines accept it; ValueError otherwise (a bug of ours)."""
    if not MIN_PAGE <= max_results <= MAX_PAGE:
        raise ValueError(f"max_results must be within {MIN_PAGE}..{MAX_PAGE}, got {max_results}")
    return max_results


class _XModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class XUser(_XModel):
    id: str = Field(min_length=1)
    username: str = Field(min_length=1)
    name: str | None = None
    followers: int = Field(default=0, ge=0,
                           validation_alias=AliasPath("public_metrics", "followers_count"))
    verified: bool = False


class _Identified(_XModel):
    id: str


class XAccountCounts(_Identified):
    """An account's public counts from a users lookup. Unlike XUser (a mention's author, whose
    missing count may read as 0) every count is required: a lookup without them is refused,
    so a snapshot never records a zero X did not say."""

    id: str = Field(min_length=1, pattern=r"^[0-9]+$")
    username: str = Field(min_length=1)
    followers: int = Field(ge=0, validation_alias=AliasPath("public_metrics", "followers_count"))
    following: int = Field(ge=0, validation_alias=AliasPath("public_metrics", "following_count"))
    # X's specification names it post_count; the live API answers tweet_count (see the fake).
    posts: int = Field(ge=0, validation_alias=AliasChoices(AliasPath("public_metrics", "tweet_count"),
                                                           AliasPath("public_metrics", "post_count")))


class XTweetMetrics(_Identified):
    """A tweet's public counts. Every count but impressions is required: an answer without them
    is refused, so a metrics event never carries a zero X did not say."""

    id: str = Field(min_length=1, pattern=r"^[0-9]+$")
    conversation_id: str | None = None
    likes: int = Field(ge=0, validation_alias=AliasPath("public_metrics", "like_count"))
    replies: int = Field(ge=0, validation_alias=AliasPath("public_metrics", "reply_count"))
    # The live API names it retweet_count; the specification repost_count (the fake sends both).
    reposts: int = Field(ge=0, validation_alias=AliasChoices(AliasPath("public_metrics", "retweet_count"),
                                                             AliasPath("public_metrics", "repost_count")))
    quotes: int = Field(ge=0, validation_alias=AliasPath("public_metrics", "quote_count"))
    impressions: int | None = Field(default=None, ge=0,
                                    validation_alias=AliasPath("public_metrics", "impression_count"))


class ReferencedTweet(_XModel):
    type: str  # replied_to | quoted | retweeted
    id: str = Field(min_length=1)


class MentionedUser(_XModel):
    username: str = Field(min_length=1)
    id: str | None = None


class _Entities(_XModel):
    mentions: list[MentionedUser] = []


class XTweet(_XModel):
    id: str = Field(min_length=1, pattern=r"^[0-9]+$")
    text: str = Field(min_length=1)
    author_id: str = Field(min_length=1)
    created_at: datetime
    lang: str | None = None
    conversation_id: str | None = None
    in_reply_to_user_id: str | None = None
    referenced_tweets: tuple[ReferencedTweet, ...] = ()
    entities: _Entities | None = None

    @property
    def in_reply_to_tweet_id(self) -> str | None:
        for ref in self.referenced_tweets:
            if ref.type == "replied_to":
                return ref.id
        return None

    @property
    def quoted_id(self) -> str | None:
        for ref in self.referenced_tweets:
            if ref.type == "quoted":
                return ref.id
        return None

    @property
    def mentioned_usernames(self) -> tuple[str, ...]:
        if self.entities is None:
            return ()
        return tuple(m.username for m in self.entities.mentions)


ModelT = TypeVar("ModelT", bound=_XModel)


LookedUpT = TypeVar("LookedUpT", bound=_Identified)


def sort_lookup(model: type[LookedUpT], ids: list[str], body: dict[str, Any], *, what: str
                ) -> tuple[dict[str, LookedUpT], dict[str, str]]:
    """(found, refused) of a lookup by ids (GET /2/users, GET /2/tweets): every id asked for
    ends up in exactly one. An item without the fields `model` requires is refused (never read
    as zeros); an id X left out is refused with its partial error's detail."""
    found: dict[str, LookedUpT] = {}
    refused: dict[str, str] = {}
    data = body.get("data")
    for item in data if isinstance(data, list) else []:
        item_id = str(item.get("id")) if isinstance(item, dict) else None
        try:
            parsed = model.model_validate(item)
        except ValidationError as exc:
            logger.warning("X %s lookup: malformed %s %s: %s", what, what, item_id, exc.errors()[:2])
            if item_id in ids:
                refused[item_id] = "X answered without complete public_metrics"
            continue
        if parsed.id in ids:
            found[parsed.id] = parsed
    errors = body.get("errors")
    for error in errors if isinstance(errors, list) else []:
        if isinstance(error, dict):
            value = str(error.get("resource_id") or error.get("value") or "")
            if value in ids and value not in found:
                refused.setdefault(value, str(error.get("detail") or error.get("title") or "left out by X")[:300])
    for item_id in ids:
        if item_id not in found and item_id not in refused:
            refused[item_id] = f"X left the {what} out of its answer"
    return found, refused


def json_object(value: object) -> dict[str, Any]:
    """`value` when X sent a JSON object there, else an empty one (garbage-tolerant)."""
    return value if isinstance(value, dict) else {}


def parse_items(model: type[ModelT], items: Any, *, what: str) -> tuple[list[ModelT], int]:
    """Validate each item separately: (good items in order, number of garbage items)."""
    if items is None:
        return [], 0
    if not isinstance(items, list):
        logger.warning("X API %s: expected a list, got %s; dropping it", what, type(items).__name__)
        return [], 1
    good: list[ModelT] = []
    garbage = 0
    for position, item in enumerate(items):
        try:
            good.append(model.model_validate(item))
        except ValidationError as exc:
            garbage += 1
            item_id = item.get("id") if isinstance(item, dict) else None
            logger.warning("X API %s: dropping malformed item #%d (id=%s): %s", what, position,
                           item_id, _short(exc.errors()))
    return good, garbage


def _short(errors: Iterable[Any]) -> str:
    parts = []
    for err in list(errors)[:3]:
        where = ".".join(str(p) for p in err["loc"]) or "<item>"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)
