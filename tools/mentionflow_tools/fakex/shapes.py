"""X API v2 JSON shapes: tweets and users with field selection, errors, garbage items.

Like X, only id, text and edit_history_tweet_ids (tweets) and id, name, username (users)
come by default; everything else must be asked for with tweet.fields / user.fields, so a
client that forgets to ask gets what X would give it. Text comes back with &, < and >
as HTML entities, as X does.

Held to X's OpenAPI specification by tests/contract. Where the specification (xdk's
`specs/openapi.json`, 2.167) names things "post" and the live API and tweepy "tweet"
(tweet.fields, referenced_tweets, edit_history_tweet_ids), the fake serves the live names;
the contract test maps them (see tests/contract/spec.py for the list and its sources).
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

from mentionflow_tools.fakex.models import FakeUser

HANDLE_RE = re.compile(r"@(\w{1,15})")


def x_time(value: datetime) -> str:
    """X's timestamp format: 2025-01-15T10:30:00.000Z."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def split_fields(raw: str | None) -> set[str]:
    return {part.strip() for part in raw.split(",")} if raw else set()


def render_user(user: FakeUser, fields: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": user.id, "name": user.name or user.username,
                           "username": user.username}
    if "public_metrics" in fields:
        out["public_metrics"] = {
            "followers_count": user.followers,
            "following_count": user.following,
            # The specification (UserPublicMetrics) requires `post_count`; X's own docs show
            # the live API answering `tweet_count` (docs.x.com, Users > Follows quickstart,
            # an api.x.com response). Both are sent, so a client written from either finds it.
            "tweet_count": user.tweet_count,
            "post_count": user.tweet_count,
            "listed_count": user.followers // 500,
        }
    if "verified" in fields:
        out["verified"] = user.verified
    if "description" in fields:
        out["description"] = user.description
    if "created_at" in fields:
        out["created_at"] = x_time(user.created_at)
    if "protected" in fields:
        out["protected"] = False
    return out


def render_tweet(stored: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    """`stored` is the fake's internal record (see FakeXState)."""
    tweet_id = str(stored["id"])
    out: dict[str, Any] = {
        "id": tweet_id,
        "text": html.escape(stored["text"], quote=False),
        "edit_history_tweet_ids": [tweet_id],
    }
    if "author_id" in fields:
        out["author_id"] = stored["author_id"]
    if "created_at" in fields:
        out["created_at"] = x_time(stored["created_at"])
    if "lang" in fields and stored.get("lang"):
        out["lang"] = stored["lang"]
    if "conversation_id" in fields:
        out["conversation_id"] = stored.get("conversation_id") or tweet_id
    if "in_reply_to_user_id" in fields and stored.get("in_reply_to_user_id"):
        out["in_reply_to_user_id"] = stored["in_reply_to_user_id"]
    if "referenced_tweets" in fields and stored.get("referenced_tweets"):
        out["referenced_tweets"] = stored["referenced_tweets"]
    if "public_metrics" in fields and "public_metrics" in stored:
        out["public_metrics"] = dict(stored["public_metrics"])
    if "entities" in fields and stored.get("mention_entities"):
        out["entities"] = {"mentions": stored["mention_entities"]}
    return out


def mention_entities(text: str, ids_by_username: dict[str, str]) -> list[dict[str, Any]]:
    entities = []
    for match in HANDLE_RE.finditer(text):
        entity: dict[str, Any] = {"start": match.start(), "end": match.end(),
                                  "username": match.group(1)}
        user_id = ids_by_username.get(match.group(1).lower())
        if user_id is not None:
            entity["id"] = user_id
        entities.append(entity)
    return entities


def garbage_items(count: int, base_id: int) -> list[Any]:
    """Malformed timeline items of the kinds X clients meet: missing or broken fields."""
    variants: list[Any] = [
        {"id": str(base_id), "edit_history_tweet_ids": [str(base_id)]},  # no text, no author
        {"id": str(base_id + 1), "text": "no author here", "created_at": "2025-01-15T10:30:00.000Z"},
        {"id": str(base_id + 2), "text": "bad time", "author_id": "1", "created_at": "yesterday"},
        "not-an-object",
        {"text": "no id at all", "author_id": "1", "created_at": "2025-01-15T10:30:00.000Z"},
        None,
    ]
    return [variants[i % len(variants)] for i in range(count)]


# The specification's problem types are URIs on api.x.com (older live responses used the
# api.twitter.com host); nothing in mentionflow reads `type`, so the fake follows the spec.
PROBLEMS_BASE = "https://api.x.com/2/problems/"


def problem(status: int, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    """The body of a failed request (4xx/5xx), served as application/json.

    The specification's `default` response for application/json is its Error object, which
    requires `code` (int) and `message`; the live API's bodies carry the problem fields
    title, detail, type and status, and tweepy reports `detail`. Both sets are sent.
    """
    return {"code": status, "message": detail, "title": title, "detail": detail,
            "type": "about:blank", "status": status, **extra}


def invalid_request(parameter: str, value: str, message: str) -> dict[str, Any]:
    """400 for a bad query parameter or body field, naming it (X's invalid-request problem)."""
    return problem(
        400, "Invalid Request", "One or more parameters to your request was invalid.",
        type=PROBLEMS_BASE + "invalid-request",
        errors=[{"parameters": {parameter: [value]}, "message": message}],
    )


def not_found_user(value: str, parameter: str, *, suspended: bool = False) -> dict[str, Any]:
    """A partial error of a 200 answer: a user X cannot show (unknown, or suspended).

    X reports a suspended account as a resource-not-found problem whose title is Forbidden
    and whose detail says so; an unknown one as "Could not find user".
    """
    if suspended:
        title, detail = "Forbidden", f"User has been suspended: [{value}]."
    else:
        what = "username" if parameter == "username" else "id"
        title, detail = "Not Found Error", f"Could not find user with {what}: [{value}]."
    return {"value": value, "detail": detail, "title": title, "resource_type": "user",
            "parameter": parameter, "resource_id": value,
            "type": PROBLEMS_BASE + "resource-not-found"}


def not_found_tweet(value: str, parameter: str) -> dict[str, Any]:
    """A partial error of a 200 answer: a tweet X cannot show (unknown or deleted)."""
    return {"value": value, "detail": f"Could not find tweet with {parameter}: [{value}].",
            "title": "Not Found Error", "resource_type": "tweet", "parameter": parameter,
            "resource_id": value, "type": PROBLEMS_BASE + "resource-not-found"}
