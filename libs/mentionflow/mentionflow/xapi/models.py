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


class XAccountCounts(_XModel):
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
