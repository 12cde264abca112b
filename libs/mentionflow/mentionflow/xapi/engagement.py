"""A brand post's engagement as X reports it: the tweets lookup with public_metrics
(GET /2/tweets?ids=) and the quote tweets of a post (GET /2/tweets/{id}/quote_tweets)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import AliasChoices, AliasPath, Field, ValidationError

from mentionflow.xapi.client import RateLimitStatus, XClient
from mentionflow.xapi.models import (
    AUTHOR_EXPANSION,
    TWEET_FIELDS,
    USER_FIELDS,
    XTweet,
    XUser,
    _XModel,
    parse_items,
)

logger = logging.getLogger(__name__)

TWEETS_LOOKUP_ENDPOINT = "tweets_lookup"
QUOTE_TWEETS_ENDPOINT = "quote_tweets"
# getPostsByIds takes 1..100 ids; getPostsQuotedPosts pages 10..100 at a time.
MAX_IDS_PER_TWEETS_LOOKUP = 100
MIN_QUOTES_PAGE, MAX_QUOTES_PAGE = 10, 100
METRICS_TWEET_FIELDS = ["public_metrics", "conversation_id"]


class XTweetMetrics(_XModel):
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


@dataclass(frozen=True, slots=True)
class TweetsLookup:
    """One GET /2/tweets answer: the tweets X showed with their counts, and why it showed none
    of the others (deleted, unknown, or malformed). Every id asked for is in exactly one."""

    found: dict[str, XTweetMetrics]
    refused: dict[str, str]


async def lookup_tweet_metrics(client: XClient, tweet_ids: Sequence[str]) -> TweetsLookup:
    """Public counts of up to 100 tweets. Raises RateLimited / TransientXError /
    PermanentXError when X refuses the whole request."""
    ids = list(dict.fromkeys(tweet_ids))
    if not 1 <= len(ids) <= MAX_IDS_PER_TWEETS_LOOKUP:
        raise ValueError(f"between 1 and {MAX_IDS_PER_TWEETS_LOOKUP} ids per lookup, got {len(ids)}")
    response = await client.call(TWEETS_LOOKUP_ENDPOINT, client.tweepy.get_tweets, ids=ids,
                                 tweet_fields=METRICS_TWEET_FIELDS)
    found: dict[str, XTweetMetrics] = {}
    refused: dict[str, str] = {}
    data = response.body.get("data")
    for item in data if isinstance(data, list) else []:
        item_id = str(item.get("id")) if isinstance(item, dict) else None
        try:
            tweet = XTweetMetrics.model_validate(item)
        except ValidationError as exc:
            logger.warning("X tweets lookup: malformed tweet %s: %s", item_id, exc.errors()[:2])
            if item_id in ids:
                refused[item_id] = "X answered without complete public_metrics"
            continue
        if tweet.id in ids:
            found[tweet.id] = tweet
    errors = response.body.get("errors")
    for error in errors if isinstance(errors, list) else []:
        if isinstance(error, dict):
            value = str(error.get("resource_id") or error.get("value") or "")
            if value in ids and value not in found:
                refused.setdefault(value, str(error.get("detail") or error.get("title") or "left out by X")[:300])
    for tweet_id in ids:
        if tweet_id not in found and tweet_id not in refused:
            refused[tweet_id] = "X left the tweet out of its answer"
    return TweetsLookup(found=found, refused=refused)


@dataclass(frozen=True, slots=True)
class QuotesPage:
    """One page of a tweet's quotes, newest first, garbage items removed."""

    tweets: list[XTweet]
    users: dict[str, XUser]
    next_token: str | None
    garbage: int = 0
    rate_limit: RateLimitStatus | None = None

    def author_of(self, tweet: XTweet) -> XUser | None:
        return self.users.get(tweet.author_id)


async def fetch_quotes_page(client: XClient, tweet_id: str, *, pagination_token: str | None = None,
                            max_results: int = MAX_QUOTES_PAGE) -> QuotesPage:
    """One page of the quote tweets of `tweet_id`; raises RateLimited / TransientXError /
    PermanentXError."""
    if not MIN_QUOTES_PAGE <= max_results <= MAX_QUOTES_PAGE:
        raise ValueError(f"max_results must be within {MIN_QUOTES_PAGE}..{MAX_QUOTES_PAGE}, got {max_results}")
    response = await client.call(QUOTE_TWEETS_ENDPOINT, client.tweepy.get_quote_tweets, tweet_id,
                                 max_results=max_results, pagination_token=pagination_token,
                                 expansions=AUTHOR_EXPANSION, tweet_fields=TWEET_FIELDS, user_fields=USER_FIELDS)
    body = response.body
    tweets, bad_tweets = parse_items(XTweet, body.get("data"), what=f"quotes of {tweet_id}")
    includes = body.get("includes") if isinstance(body.get("includes"), dict) else {}
    users, bad_users = parse_items(XUser, includes.get("users"), what="included users")
    meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
    token = meta.get("next_token")
    return QuotesPage(tweets=tweets, users={u.id: u for u in users},
                      next_token=str(token) if token is not None else None,
                      garbage=bad_tweets + bad_users, rate_limit=response.rate_limit)
