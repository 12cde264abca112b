"""Posting replies (POST /2/tweets) and finding them again after a crash.

`post_reply` is not idempotent on X's side: calling it twice posts twice (or gets a 403
duplicate). Exactly-once is the caller's job (publish's outbox); before retrying a reply
whose outcome is unknown, call `find_posted_reply` to see whether X already accepted it.
"""

from __future__ import annotations

import html
import logging
import unicodedata
from datetime import datetime

from mentionflow.xapi.client import XClient
from mentionflow.xapi.errors import TransientXError
from mentionflow.xapi.models import MAX_PAGE, TWEET_FIELDS, XTweet, checked_page_size, parse_items

logger = logging.getLogger(__name__)

CREATE_TWEET_ENDPOINT = "create_tweet"
USER_TWEETS_ENDPOINT = "users_tweets"
ME_ENDPOINT = "users_me"


async def post_reply(client: XClient, text: str, in_reply_to_tweet_id: str) -> str:
    """Post `text` as a reply; returns the new tweet's id.

    Raises RateLimited, TransientXError (outcome unknown: reconcile before retrying) or
    PermanentXError (401, 403 incl. duplicate content: `is_duplicate`, deleted tweet, ...).
    """
    response = await client.call(
        CREATE_TWEET_ENDPOINT,
        client.tweepy.create_tweet,
        text=text,
        in_reply_to_tweet_id=in_reply_to_tweet_id,
    )
    data = response.body.get("data")
    tweet_id = data.get("id") if isinstance(data, dict) else None
    if not tweet_id:
        # X answered 2xx yet we cannot tell which tweet it made: treat as unknown outcome.
        raise TransientXError(f"{CREATE_TWEET_ENDPOINT}: 2xx without data.id",
                              endpoint=CREATE_TWEET_ENDPOINT, status=response.status)
    logger.info("posted reply %s to tweet %s", tweet_id, in_reply_to_tweet_id)
    return str(tweet_id)


async def authenticated_user_id(client: XClient) -> str:
    """The id of the account the client posts as (GET /2/users/me)."""
    response = await client.call(ME_ENDPOINT, client.tweepy.get_me)
    data = response.body.get("data")
    if not isinstance(data, dict) or not data.get("id"):
        raise TransientXError(f"{ME_ENDPOINT}: no data.id", endpoint=ME_ENDPOINT,
                              status=response.status)
    return str(data["id"])


async def recent_tweets(
    client: XClient,
    user_id: str,
    *,
    since: datetime | None = None,
    since_id: str | None = None,
    max_pages: int = 5,
    page_size: int = MAX_PAGE,
) -> list[XTweet]:
    """The account's own tweets newer than `since` / `since_id`, newest first.

    Stops after `max_pages` pages (X keeps only the latest 3,200 anyway); malformed items
    are logged and skipped. `page_size` must be within 5..100 (ValueError otherwise).
    """
    checked_page_size(page_size)
    tweets: list[XTweet] = []
    token: str | None = None
    for _ in range(max_pages):
        response = await client.call(
            USER_TWEETS_ENDPOINT,
            client.tweepy.get_users_tweets,
            user_id,
            start_time=since,
            since_id=since_id,
            pagination_token=token,
            max_results=page_size,
            tweet_fields=TWEET_FIELDS,
        )
        page, _garbage = parse_items(XTweet, response.body.get("data"),
                                     what=f"tweets of {user_id}")
        tweets.extend(page)
        meta = response.body.get("meta")
        token = meta.get("next_token") if isinstance(meta, dict) else None
        if not token:
            break
    return tweets


def same_text(posted: str, ours: str) -> bool:
    """Whether X's copy of a tweet is the text we sent.

    X returns &, < and > as HTML entities and may normalise Unicode and surrounding space.
    (It also shortens links to t.co; replies with links should be matched on the replied-to
    id plus a post-time window by the caller if exact text is not enough.)
    """
    def norm(value: str) -> str:
        return unicodedata.normalize("NFC", html.unescape(value)).strip()

    return norm(posted) == norm(ours)


def find_reply(tweets: list[XTweet], in_reply_to_tweet_id: str, text: str) -> XTweet | None:
    """The tweet among `tweets` that replies to `in_reply_to_tweet_id` with `text`, if any."""
    for tweet in tweets:
        if tweet.in_reply_to_tweet_id == in_reply_to_tweet_id and same_text(tweet.text, text):
            return tweet
    return None


async def find_posted_reply(
    client: XClient,
    user_id: str,
    *,
    in_reply_to_tweet_id: str,
    text: str,
    since: datetime | None = None,
) -> XTweet | None:
    """Reconcile a pending reply: the tweet X already holds for it, or None if not posted."""
    tweets = await recent_tweets(client, user_id, since=since)
    return find_reply(tweets, in_reply_to_tweet_id, text)
