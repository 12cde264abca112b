"""A brand post's engagement as X reports it: the tweets lookup with public_metrics
(GET /2/tweets?ids=) and the quote tweets of a post (GET /2/tweets/{id}/quote_tweets)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from mentionflow.xapi.client import RateLimitStatus, XClient
from mentionflow.xapi.models import (
    AUTHOR_EXPANSION,
    TWEET_FIELDS,
    USER_FIELDS,
    XTweet,
    XTweetMetrics,
    XUser,
    json_object,
    parse_items,
    sort_lookup,
)

logger = logging.getLogger(__name__)

TWEETS_LOOKUP_ENDPOINT = "tweets_lookup"
QUOTE_TWEETS_ENDPOINT = "quote_tweets"
# getPostsByIds takes 1..100 ids; getPostsQuotedPosts pages 10..100 at a time.
MAX_IDS_PER_TWEETS_LOOKUP = 100
MIN_QUOTES_PAGE, MAX_QUOTES_PAGE = 10, 100
METRICS_TWEET_FIELDS = ["public_metrics", "conversation_id"]


@dataclass(frozen=True, slots=True)
class TweetsLookup:
    """One GET /2/tweets answer: the tweets X showed with their counts, and why it showed none
    of the others (deleted, unknown, or malformed). Every id asked for is in exactly one."""

    found: dict[str, XTweetMetrics]
    refused: dict[str, str]
    rate_limit: RateLimitStatus | None = None


async def lookup_tweet_metrics(client: XClient, tweet_ids: Sequence[str]) -> TweetsLookup:
    """Public counts of up to 100 tweets. Raises RateLimited / TransientXError /
    PermanentXError when X refuses the whole request."""
    ids = list(dict.fromkeys(tweet_ids))
    if not 1 <= len(ids) <= MAX_IDS_PER_TWEETS_LOOKUP:
        raise ValueError(f"between 1 and {MAX_IDS_PER_TWEETS_LOOKUP} ids per lookup, got {len(ids)}")
    response = await client.call(TWEETS_LOOKUP_ENDPOINT, client.tweepy.get_tweets, ids=ids,
                                 tweet_fields=METRICS_TWEET_FIELDS)
    found, refused = sort_lookup(XTweetMetrics, ids, response.body, what="tweet")
    return TweetsLookup(found=found, refused=refused, rate_limit=response.rate_limit)


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
    includes = json_object(body.get("includes"))
    users, bad_users = parse_items(XUser, includes.get("users"), what="included users")
    meta = json_object(body.get("meta"))
    token = meta.get("next_token")
    return QuotesPage(tweets=tweets, users={u.id: u for u in users},
                      next_token=str(token) if token is not None else None,
                      garbage=bad_tweets + bad_users, rate_limit=response.rate_limit)
