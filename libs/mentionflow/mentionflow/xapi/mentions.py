"""Reading an account's mentions timeline (GET /2/users/{id}/mentions).

Checkpointing contract (the caller owns the checkpoint): X returns newest first and
`next_token` pages towards older tweets, all still bounded below by `since_id`. So the
next since_id is the `newest_id` of the FIRST page of a poll, and it may only be saved
after the LAST page has been handed on. If a poll fails half-way (RateLimited, transient),
keep the old since_id and the failed page's `pagination_token` to resume; pages already
handed on will be seen again on a restart, which ingest's dedup absorbs.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from mentionflow.xapi.client import RateLimitStatus, XClient
from mentionflow.xapi.models import (
    AUTHOR_EXPANSION,
    MAX_PAGE,
    TWEET_FIELDS,
    USER_FIELDS,
    XTweet,
    XUser,
    checked_page_size,
    json_object,
    parse_items,
)

logger = logging.getLogger(__name__)

MENTIONS_ENDPOINT = "users_mentions"


@dataclass(frozen=True, slots=True)
class MentionsPage:
    """One page of an account's mentions, newest first, garbage items removed."""

    user_id: str
    tweets: list[XTweet]
    users: dict[str, XUser]
    newest_id: str | None
    oldest_id: str | None
    next_token: str | None
    result_count: int
    garbage: int = 0
    pagination_token: str | None = None  # the token that fetched this page (None: first)
    rate_limit: RateLimitStatus | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)

    def author_of(self, tweet: XTweet) -> XUser | None:
        """The expanded author, or None when X left it out (suspended/protected account)."""
        return self.users.get(tweet.author_id)


async def fetch_mentions_page(
    client: XClient,
    user_id: str,
    *,
    since_id: str | None = None,
    pagination_token: str | None = None,
    max_results: int = MAX_PAGE,
) -> MentionsPage:
    """Fetch one page; raises RateLimited / TransientXError / PermanentXError."""
    checked_page_size(max_results)
    response = await client.call(
        MENTIONS_ENDPOINT,
        client.tweepy.get_users_mentions,
        user_id,
        since_id=since_id,
        pagination_token=pagination_token,
        max_results=max_results,
        expansions=AUTHOR_EXPANSION,
        tweet_fields=TWEET_FIELDS,
        user_fields=USER_FIELDS,
    )
    body = response.body
    tweets, bad_tweets = parse_items(XTweet, body.get("data"), what=f"mentions of {user_id}")
    includes = json_object(body.get("includes"))
    users, bad_users = parse_items(XUser, includes.get("users"), what="included users")
    meta = json_object(body.get("meta"))
    raw_errors = body.get("errors")
    errors: list[dict[str, Any]] = raw_errors if isinstance(raw_errors, list) else []
    if errors:
        # Partial errors (e.g. an author that could not be expanded) are normal on X.
        logger.info("X API mentions of %s: %d partial errors", user_id, len(errors))
    garbage = bad_tweets + bad_users
    if garbage:
        logger.warning("X API mentions of %s: kept %d tweets, dropped %d malformed items",
                       user_id, len(tweets), garbage)
    return MentionsPage(
        user_id=user_id,
        tweets=tweets,
        users={user.id: user for user in users},
        newest_id=_str_or_none(meta.get("newest_id")),
        oldest_id=_str_or_none(meta.get("oldest_id")),
        next_token=_str_or_none(meta.get("next_token")),
        result_count=int(meta.get("result_count") or 0),
        garbage=garbage,
        pagination_token=pagination_token,
        rate_limit=response.rate_limit,
        errors=errors,
    )


async def fetch_mentions(
    client: XClient,
    user_id: str,
    since_id: str | None,
    *,
    pagination_token: str | None = None,
    max_results: int = MAX_PAGE,
    max_pages: int | None = None,
) -> AsyncIterator[MentionsPage]:
    """Yield every page newer than `since_id`, following next_token until X stops.

    Start from `pagination_token` to resume an interrupted poll. Errors propagate from the
    page that failed; pages yielded before it are complete. See the module docstring for
    which id to checkpoint.
    """
    token = pagination_token
    pages = 0
    while True:
        page = await fetch_mentions_page(client, user_id, since_id=since_id,
                                         pagination_token=token, max_results=max_results)
        pages += 1
        yield page
        token = page.next_token
        if token is None or (max_pages is not None and pages >= max_pages):
            return


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)
