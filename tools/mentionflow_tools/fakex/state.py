"""The fake X API's memory and endpoint logic, free of HTTP so tests can drive it directly.

Everything runs on one event loop (the server's), so no locking. Endpoint methods take the
parsed request and return (status, JSON body); the server adds headers, faults and logging.
"""

from __future__ import annotations

import base64
import bisect
import time
from collections.abc import Callable, Collection, Iterable
from datetime import UTC, date, datetime
from typing import Any

from mentionflow_tools.fakex.engagement import organic_engagement
from mentionflow_tools.fakex.growth import grown_counts
from mentionflow_tools.fakex.models import (
    DEFAULT_RATE_LIMITS,
    AddEngagement,
    AddMentions,
    AddUsers,
    CallRecord,
    FakeTweet,
    FakeUser,
    Fault,
    RateLimitRule,
    snowflake,
)
from mentionflow_tools.fakex.shapes import (
    invalid_request,
    mention_entities,
    not_found_tweet,
    not_found_user,
    problem,
    render_tweet,
    render_user,
    split_fields,
)

Reply = tuple[int, dict[str, Any]]

DEFAULT_ACCOUNT = FakeUser(id="1000000000000000001", username="mentionflow_fake",
                           name="mentionflow fake account", followers=10)
# Who replies to and quotes a tweet through POST /_fake/engagement when no author is named.
CROWD_ACCOUNT = FakeUser(id="1000000000000000002", username="fake_crowd", name="Somebody on X",
                         followers=240)
DUPLICATE_DETAIL = "You are not allowed to create a Tweet with duplicate content."
SUSPENDED_DETAIL = "Your account is suspended and is not permitted to access this feature."
MAX_TWEET_CHARS = 280


class RateWindow:
    """Fixed window per (endpoint, auth identity), starting at its first call like X."""

    __slots__ = ("reset_at", "used")

    def __init__(self, reset_at: float) -> None:
        self.reset_at = reset_at
        self.used = 0


class FakeXState:
    def __init__(
        self,
        *,
        accounts: Iterable[FakeUser] = (),
        rate_limits: dict[str, RateLimitRule] | None = None,
        clock: Callable[[], float] = time.time,
        worker: int = 7,
        growth_seed: int | None = None,
        engagement_seed: int | None = 0,
    ) -> None:
        """`growth_seed`: the public counts of `accounts` (the brands' own) grow day by day on
        the clock (see growth.py); None keeps them as stored. Other users (mention authors)
        always keep theirs, so a generated author's reach stays what the generator meant.
        `engagement_seed`: tweets gather likes, reposts, bookmarks and impressions with age
        (engagement.py); None: only what POST /_fake/engagement adds."""
        self.growth_seed = growth_seed
        self.engagement_seed = engagement_seed
        self._growing = frozenset(user.id for user in accounts)
        self._configured_limits = {**DEFAULT_RATE_LIMITS, **(rate_limits or {})}
        self._seed_accounts = [DEFAULT_ACCOUNT, CROWD_ACCOUNT, *accounts]
        self._clock = clock
        self._worker = worker
        self.reset()

    # ----------------------------------------------------------------- data

    def reset(self) -> None:
        """Back to the configured start: seed accounts and rate limits, nothing else."""
        # Tests may change limits on the fly (state.rate_limits[...] = ...); reset undoes it.
        self.rate_limits: dict[str, RateLimitRule] = dict(self._configured_limits)
        self.users: dict[str, FakeUser] = {}
        self._ids_by_username: dict[str, str] = {}
        self.tokens: dict[str, str] = {}
        self._tweets: dict[int, dict[str, Any]] = {}
        self._mentions_of: dict[str, list[int]] = {}
        self._tweets_by: dict[str, list[int]] = {}
        self._reply_keys: set[tuple[str, str | None, str]] = set()
        self.replies: list[dict[str, Any]] = []
        self._replies_to: dict[int, list[int]] = {}  # tweet -> the stored replies to it
        self._quotes_of: dict[int, list[int]] = {}  # tweet -> the stored quotes of it, by id
        self._added: dict[int, dict[str, int]] = {}  # tweet -> counts added by hand
        self._calls: list[CallRecord] = []
        self._faults: list[Fault] = []
        self._windows: dict[tuple[str, str], RateWindow] = {}
        self._last_id = 0
        self._sequence = 0
        self.add_users(AddUsers(users=self._seed_accounts))

    def now(self) -> float:
        return self._clock()

    def today(self) -> date:
        """The UTC day of the fake's clock: what day-bound faults, suspensions and growth see."""
        return datetime.fromtimestamp(self.now(), UTC).date()

    def suspended(self, user: FakeUser) -> bool:
        return user.suspended or self.today() in user.suspended_days

    def shown(self, user: FakeUser) -> FakeUser:
        """The account as X shows it today: a brand account's counts grown to today when growth
        is on."""
        if self.growth_seed is None or user.id not in self._growing:
            return user
        counts = grown_counts(seed=self.growth_seed, account_id=user.id, followers=user.followers,
                              following=user.following, posts=user.tweet_count, day=self.today())
        return user.model_copy(update={"followers": counts.followers, "following": counts.following,
                                       "tweet_count": counts.posts})

    def add_users(self, batch: AddUsers) -> int:
        for user in batch.users:
            self.users[user.id] = user
            self._ids_by_username[user.username.lower()] = user.id
        self.tokens.update(batch.tokens)
        return len(batch.users)

    def add_mentions(self, batch: AddMentions) -> list[str]:
        """Store tweets (and their authors); returns the ids, assigned where missing."""
        self.add_users(AddUsers(users=batch.users))
        return [self.add_tweet(tweet) for tweet in batch.tweets]

    def add_tweet(self, tweet: FakeTweet) -> str:
        """Store one tweet; re-adding an existing id is a no-op (feeds may repeat)."""
        created_at = tweet.created_at or datetime.fromtimestamp(self.now(), UTC)
        if created_at.tzinfo is None:
            created_at = created_at.replace(tzinfo=UTC)
        tweet_id = int(tweet.id) if tweet.id else self._new_id(created_at)
        if tweet_id in self._tweets:
            return str(tweet_id)
        self._last_id = max(self._last_id, tweet_id)
        entities = mention_entities(tweet.text, self._ids_by_username)
        mentioned = tweet.mentioned_user_ids or [e["id"] for e in entities if "id" in e]
        references = {ref.get("type"): str(ref.get("id") or "") for ref in tweet.referenced_tweets}
        replied_to = references.get("replied_to", "")
        parent = self._tweets.get(int(replied_to)) if replied_to.isdigit() else None
        # A reply belongs to its parent's conversation, whose id is the root's (X's rule).
        conversation_id = tweet.conversation_id or (
            (parent.get("conversation_id") or str(parent["id"])) if parent is not None else None)
        record = {
            "id": tweet_id,
            "text": tweet.text,
            "author_id": tweet.author_id,
            "created_at": created_at,
            "lang": tweet.lang,
            "conversation_id": conversation_id,
            "in_reply_to_user_id": tweet.in_reply_to_user_id,
            "referenced_tweets": list(tweet.referenced_tweets),
            "mention_entities": entities,
        }
        self._tweets[tweet_id] = record
        bisect.insort(self._tweets_by.setdefault(tweet.author_id, []), tweet_id)
        for user_id in dict.fromkeys(mentioned):
            if user_id != tweet.author_id:
                bisect.insort(self._mentions_of.setdefault(user_id, []), tweet_id)
        for kind, index in (("replied_to", self._replies_to), ("quoted", self._quotes_of)):
            target = references.get(kind, "")
            if target.isdigit():
                bisect.insort(index.setdefault(int(target), []), tweet_id)
        return str(tweet_id)

    def tweet(self, tweet_id: str) -> dict[str, Any] | None:
        return self._tweets.get(int(tweet_id))

    def _new_id(self, at: datetime) -> int:
        self._sequence += 1
        return max(snowflake(at, self._worker, self._sequence), self._last_id + 1)

    # ----------------------------------------------------------------- faults

    def inject(self, fault: Fault) -> None:
        self._faults.append(fault)

    def take_fault(self, endpoint: str, user_ids: Collection[str]) -> Fault | None:
        """Consume one use of the first queued fault matching this call (about `user_ids`)."""
        today = self.today()
        for index, fault in enumerate(self._faults):
            if fault.matches(endpoint, user_ids, today):
                if fault.count <= 1:
                    del self._faults[index]
                else:
                    self._faults[index] = fault.model_copy(update={"count": fault.count - 1})
                return fault
        return None

    # ----------------------------------------------------------------- rate limits

    def rate_limit(self, endpoint: str, identity: str, *, consume: bool) -> tuple[bool, int, int, int]:
        """(allowed, limit, remaining, reset unix seconds) for this call."""
        rule = self.rate_limits.get(endpoint, RateLimitRule(limit=1_000_000))
        now = self.now()
        window = self._windows.get((endpoint, identity))
        if window is None or now >= window.reset_at:
            window = RateWindow(now + rule.window_s)
            self._windows[(endpoint, identity)] = window
        allowed = window.used < rule.limit
        if allowed and consume:
            window.used += 1
        remaining = max(0, rule.limit - window.used)
        return allowed, rule.limit, remaining, int(window.reset_at + 0.999)

    # ----------------------------------------------------------------- call log

    def record_call(self, record: CallRecord) -> None:
        self._calls.append(record)

    def next_seq(self) -> int:
        return len(self._calls) + 1

    def calls(self, endpoint: str | None = None, since_seq: int = 0) -> list[CallRecord]:
        return [c for c in self._calls
                if c.seq > since_seq and (endpoint is None or c.endpoint == endpoint)]

    # ----------------------------------------------------------------- endpoints

    def users_mentions(self, user_id: str, query: dict[str, str]) -> Reply:
        return self._timeline(user_id, self._mentions_of.get(user_id, []), query)

    def users_tweets(self, user_id: str, query: dict[str, str]) -> Reply:
        return self._timeline(user_id, self._tweets_by.get(user_id, []), query)

    def user_by_username(self, username: str, query: dict[str, str]) -> Reply:
        user_id = self._ids_by_username.get(username.lower())
        user = self.users.get(user_id) if user_id is not None else None
        if user is None or self.suspended(user):
            # X answers 200 with the problem in `errors` and no `data`.
            return 200, {"errors": [not_found_user(username, "username",
                                                   suspended=user is not None)]}
        return 200, {"data": render_user(self.shown(user), split_fields(query.get("user.fields")))}

    def users_lookup(self, query: dict[str, str]) -> Reply:
        """GET /2/users?ids=: the accounts X can show, in the order asked; the others (unknown,
        suspended) as partial errors, or only those when none can be shown."""
        fields = split_fields(query.get("user.fields"))

        def show(user_id: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
            user = self.users.get(user_id)
            if user is None or self.suspended(user):
                return None, not_found_user(user_id, "ids", suspended=user is not None)
            return render_user(self.shown(user), fields), None

        return _by_ids(query, "user", show)

    def users_me(self, acting_user_id: str, query: dict[str, str]) -> Reply:
        user = self.users.get(acting_user_id, DEFAULT_ACCOUNT)
        return 200, {"data": render_user(self.shown(user), split_fields(query.get("user.fields")))}

    # ----------------------------------------------------------------- engagement

    def public_metrics(self, stored: dict[str, Any]) -> dict[str, int]:
        """A stored tweet's public_metrics now: organic likes etc. (engagement.py) plus what was
        added by hand; replies and quotes are the stored tweets replying to / quoting it."""
        tweet_id = int(stored["id"])
        added = self._added.get(tweet_id, {})
        organic = None
        if self.engagement_seed is not None:
            author = self.users.get(stored["author_id"])
            organic = organic_engagement(
                seed=self.engagement_seed, tweet_id=str(tweet_id),
                author_followers=self.shown(author).followers if author else 0,
                age_s=self.now() - stored["created_at"].timestamp())
        reposts = (organic.reposts if organic else 0) + added.get("reposts", 0)
        return {
            "retweet_count": reposts,  # the live API's name
            "repost_count": reposts,  # the specification's (PostPublicMetrics): both are sent
            "reply_count": len(self._replies_to.get(tweet_id, ())) + added.get("replies", 0),
            "like_count": (organic.likes if organic else 0) + added.get("likes", 0),
            "quote_count": len(self._quotes_of.get(tweet_id, ())) + added.get("quotes", 0),
            "bookmark_count": (organic.bookmarks if organic else 0) + added.get("bookmarks", 0),
            "impression_count": (organic.impressions if organic else 0) + added.get("impressions", 0),
        }

    def add_engagement(self, batch: AddEngagement) -> dict[str, Any] | None:
        """People reply to / quote / like the tweet; None when the fake has no such tweet.
        Returns the ids of the replies and quotes created and the tweet's conversation id."""
        target = self.tweet(batch.tweet_id)
        if target is None:
            return None
        conversation_id = target.get("conversation_id") or str(target["id"])
        owner = self.users.get(target["author_id"])
        replies = []
        for post in batch.replies:
            author_id = post.author_id or CROWD_ACCOUNT.id
            text = post.text
            # X puts the replied-to handle in front of a reply; it is what @mentions the owner.
            if owner is not None and f"@{owner.username.lower()}" not in text.lower():
                text = f"@{owner.username} {text}"
            replies.append(self.add_tweet(FakeTweet(
                id=post.id, text=text, author_id=author_id, conversation_id=conversation_id,
                in_reply_to_user_id=target["author_id"], lang="en",
                referenced_tweets=[{"type": "replied_to", "id": str(target["id"])}])))
        quotes = []
        for post in batch.quotes:
            quote_id = self.add_tweet(FakeTweet(
                id=post.id, text=post.text, author_id=post.author_id or CROWD_ACCOUNT.id, lang="en",
                referenced_tweets=[{"type": "quoted", "id": str(target["id"])}]))
            self._tweets[int(quote_id)]["conversation_id"] = quote_id  # a quote starts its own
            quotes.append(quote_id)
        added = self._added.setdefault(int(target["id"]), {})
        for name in ("likes", "reposts", "bookmarks", "impressions"):
            added[name] = added.get(name, 0) + getattr(batch, name)
        return {"tweet_id": str(target["id"]), "conversation_id": conversation_id,
                "replies": replies, "quotes": quotes,
                "public_metrics": self.public_metrics(target)}

    def tweets_lookup(self, query: dict[str, str]) -> Reply:
        """GET /2/tweets?ids=: the tweets in the order asked; unknown ones as partial errors
        (only those when none is known), as X does for deleted tweets."""
        fields = split_fields(query.get("tweet.fields"))

        def show(tweet_id: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
            stored = self._tweets.get(int(tweet_id))
            if stored is None:
                return None, not_found_tweet(tweet_id, "ids")
            return self._render(stored, fields), None

        return _by_ids(query, "tweet", show)

    def quote_tweets(self, tweet_id: str, query: dict[str, str]) -> Reply:
        """GET /2/tweets/:id/quote_tweets: the quotes of a tweet, newest first, paged (10..100)."""
        if not tweet_id.isdigit():
            return 400, invalid_request("id", tweet_id, "`id` must be a tweet id")
        return self._timeline(None, self._quotes_of.get(int(tweet_id), []), query, min_results=10)

    def _render(self, stored: dict[str, Any], fields: set[str]) -> dict[str, Any]:
        if "public_metrics" in fields:
            stored = {**stored, "public_metrics": self.public_metrics(stored)}
        return render_tweet(stored, fields)

    def create_tweet(self, acting_user_id: str, body: Any, auth_kind: str) -> Reply:
        if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body["text"]:
            return 400, invalid_request("text", str(body)[:100], "text is required")
        acting = self.users.get(acting_user_id)
        if acting is not None and self.suspended(acting):
            return 403, problem(403, "Forbidden", SUSPENDED_DETAIL)
        text: str = body["text"]
        if len(text) > MAX_TWEET_CHARS:
            return 403, problem(403, "Forbidden", "Your Tweet text is too long.")
        reply = body.get("reply")
        in_reply_to = reply.get("in_reply_to_tweet_id") if isinstance(reply, dict) else None
        in_reply_to = str(in_reply_to) if in_reply_to is not None else None
        key = (acting_user_id, in_reply_to, text)
        if key in self._reply_keys:
            return 403, problem(403, "Forbidden", DUPLICATE_DETAIL)
        self._reply_keys.add(key)
        parent = self.tweet(in_reply_to) if in_reply_to and in_reply_to.isdigit() else None
        conversation_id = None
        if parent is not None:
            conversation_id = parent.get("conversation_id") or str(parent["id"])
        tweet_id = self.add_tweet(FakeTweet(
            text=text,
            author_id=acting_user_id,
            conversation_id=conversation_id,
            in_reply_to_user_id=parent["author_id"] if parent else None,
            referenced_tweets=[{"type": "replied_to", "id": in_reply_to}] if in_reply_to else [],
        ))
        if conversation_id is None:  # a new post starts its own conversation
            self._tweets[int(tweet_id)]["conversation_id"] = tweet_id
        self.replies.append({
            "id": tweet_id, "text": text, "in_reply_to_tweet_id": in_reply_to,
            "author_id": acting_user_id, "auth_kind": auth_kind, "at": self.now(),
        })
        return 201, {"data": {"id": tweet_id, "text": text, "edit_history_tweet_ids": [tweet_id]}}

    # ----------------------------------------------------------------- timelines

    def _timeline(self, owner_id: str | None, ids: list[int], query: dict[str, str], *,
                  min_results: int = 5) -> Reply:
        """Newest first, bounded by since_id / until_id / start_time / end_time; paged.

        The timeline of a suspended account is a 200 with only the partial error; `owner_id`
        None: a tweet's timeline (its quotes), whose owner is not checked.
        """
        owner = self.users.get(owner_id) if owner_id is not None else None
        if owner_id is not None and owner is not None and self.suspended(owner):
            return 200, {"errors": [not_found_user(owner_id, "id", suspended=True)]}
        try:
            max_results = int(query.get("max_results", "10"))
        except ValueError:
            max_results = -1
        if not min_results <= max_results <= 100:
            return 400, invalid_request("max_results", query.get("max_results", ""),
                                        "The `max_results` query parameter value "
                                        f"[{query.get('max_results')}] is not between {min_results} and 100")
        bounds: dict[str, int] = {}
        for name in ("since_id", "until_id"):
            if name in query:
                if not query[name].isdigit():
                    return 400, invalid_request(name, query[name], f"`{name}` must be a tweet id")
                bounds[name] = int(query[name])
        times: dict[str, datetime] = {}
        for name in ("start_time", "end_time"):
            if name in query:
                try:
                    times[name] = datetime.fromisoformat(query[name].replace("Z", "+00:00"))
                except ValueError:
                    return 400, invalid_request(name, query[name], f"`{name}` is not RFC 3339")
        upper: int | None = bounds.get("until_id")
        if "pagination_token" in query:
            decoded = _decode_token(query["pagination_token"])
            if decoded is None:
                return 400, invalid_request("pagination_token", query["pagination_token"],
                                            "The `pagination_token` query parameter value "
                                            f"[{query['pagination_token']}] is not valid")
            upper = decoded if upper is None else min(upper, decoded)

        lo = bisect.bisect_right(ids, bounds["since_id"]) if "since_id" in bounds else 0
        hi = bisect.bisect_left(ids, upper) if upper is not None else len(ids)
        picked: list[dict[str, Any]] = []
        for index in range(hi - 1, lo - 1, -1):
            tweet = self._tweets[ids[index]]
            if "start_time" in times and tweet["created_at"] < times["start_time"]:
                continue
            if "end_time" in times and tweet["created_at"] >= times["end_time"]:
                continue
            picked.append(tweet)
            if len(picked) > max_results:
                break
        more = len(picked) > max_results
        picked = picked[:max_results]
        if not picked:
            return 200, {"meta": {"result_count": 0}}

        tweet_fields = split_fields(query.get("tweet.fields"))
        expansions = split_fields(query.get("expansions"))
        tweet_fields |= expansions & {"author_id"}  # X adds the field an expansion follows
        body: dict[str, Any] = {"data": [self._render(t, tweet_fields) for t in picked]}
        if "author_id" in expansions:
            user_fields = split_fields(query.get("user.fields"))
            authors = dict.fromkeys(t["author_id"] for t in picked)
            shown = [a for a in authors if a in self.users and not self.suspended(self.users[a])]
            body["includes"] = {"users": [render_user(self.shown(self.users[a]), user_fields) for a in shown]}
            hidden = [a for a in authors if a not in shown]
            if hidden:
                body["errors"] = [not_found_user(a, "author_id", suspended=a in self.users)
                                  for a in hidden]
        meta: dict[str, Any] = {"result_count": len(picked), "newest_id": str(picked[0]["id"]),
                                "oldest_id": str(picked[-1]["id"])}
        if more:
            meta["next_token"] = _encode_token(picked[-1]["id"])
        body["meta"] = meta
        return 200, body


def _encode_token(below_id: int) -> str:
    return base64.urlsafe_b64encode(f"lt:{below_id}".encode()).decode().rstrip("=")


def _decode_token(token: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    if not raw.startswith("lt:") or not raw[3:].isdigit():
        return None
    return int(raw[3:])


def _by_ids(query: dict[str, str], what: str,
            show: Callable[[str], tuple[dict[str, Any] | None, dict[str, Any] | None]]) -> Reply:
    """A lookup by `ids` (1..100): what `show` renders, in the order asked, and its partial
    errors (only those when nothing can be shown), as X answers GET /2/users and /2/tweets."""
    ids = lookup_ids(query)
    if not ids or len(ids) > 100 or not all(i.isdigit() and len(i) <= 19 for i in ids):
        return 400, invalid_request("ids", query.get("ids", ""),
                                    "The `ids` query parameter value must be 1 to 100 "
                                    f"comma-separated {what} ids")
    shown, errors = [], []
    for item_id in dict.fromkeys(ids):
        item, error = show(item_id)
        if item is not None:
            shown.append(item)
        if error is not None:
            errors.append(error)
    body: dict[str, Any] = {"data": shown} if shown else {}
    if errors:
        body["errors"] = errors
    return 200, body


def lookup_ids(query: dict[str, str]) -> list[str]:
    """The `ids` of a users lookup (comma-separated, as tweepy sends them)."""
    return [part.strip() for part in query.get("ids", "").split(",") if part.strip()]
