"""X API access shared by ingest (mentions polling) and publish (replies), over tweepy."""

from mentionflow.xapi.client import (
    RateLimitStatus,
    XApiSettings,
    XClient,
    XCredentials,
    XSession,
)
from mentionflow.xapi.engagement import (
    QuotesPage,
    TweetsLookup,
    fetch_quotes_page,
    lookup_tweet_metrics,
)
from mentionflow.xapi.errors import PermanentXError, RateLimited, TransientXError, XApiError
from mentionflow.xapi.mentions import MentionsPage, fetch_mentions, fetch_mentions_page
from mentionflow.xapi.models import XAccountCounts, XTweet, XTweetMetrics, XUser
from mentionflow.xapi.replies import (
    authenticated_user_id,
    find_posted_reply,
    find_reply,
    post_reply,
    recent_tweets,
)
from mentionflow.xapi.users import UsersLookup, lookup_account_counts, lookup_user

__all__ = [
    "MentionsPage",
    "QuotesPage",
    "TweetsLookup",
    "XTweetMetrics",
    "fetch_quotes_page",
    "lookup_tweet_metrics",
    "PermanentXError",
    "RateLimitStatus",
    "RateLimited",
    "TransientXError",
    "UsersLookup",
    "XAccountCounts",
    "XApiError",
    "XApiSettings",
    "XClient",
    "XCredentials",
    "XSession",
    "XTweet",
    "XUser",
    "authenticated_user_id",
    "fetch_mentions",
    "fetch_mentions_page",
    "find_posted_reply",
    "find_reply",
    "lookup_account_counts",
    "lookup_user",
    "post_reply",
    "recent_tweets",
]
