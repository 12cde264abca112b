"""Account lookups: a brand handle to its X user id (GET /2/users/by/username/{username}), and
accounts' public counts by id (GET /2/users), for the daily follower snapshots."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from mentionflow.xapi.client import XClient
from mentionflow.xapi.errors import TransientXError
from mentionflow.xapi.models import USER_FIELDS, XAccountCounts, XUser, sort_lookup

logger = logging.getLogger(__name__)

USER_BY_USERNAME_ENDPOINT = "user_by_username"
# What X's specification allows in the path (getUsersByUsername); anything else is a 400.
USERNAME_RE = re.compile(r"[A-Za-z0-9_]{1,15}")


async def lookup_user(client: XClient, username: str) -> XUser | None:
    """The account named `username` (case-insensitive, with or without @), or None if X has
    none. A name that cannot be an X username is answered None without asking X."""
    name = username.removeprefix("@")
    if not USERNAME_RE.fullmatch(name):
        logger.info("@%s cannot be an X username (1-15 letters, digits, _): not looked up", name)
        return None
    response = await client.call(USER_BY_USERNAME_ENDPOINT, client.tweepy.get_user,
                                 username=name, user_fields=USER_FIELDS)
    data = response.body.get("data")
    if data is None:
        # X answers 200 with an `errors` list for an unknown or suspended account.
        logger.info("X has no account @%s: %s", username, response.body.get("errors"))
        return None
    try:
        return XUser.model_validate(data)
    except ValidationError as exc:
        raise TransientXError(f"{USER_BY_USERNAME_ENDPOINT}: malformed user: {exc}",
                              endpoint=USER_BY_USERNAME_ENDPOINT,
                              status=response.status) from exc


USERS_LOOKUP_ENDPOINT = "users_lookup"
# getUsersByIds takes 1..100 ids per request.
MAX_IDS_PER_LOOKUP = 100
METRICS_FIELDS = ["public_metrics"]


@dataclass(frozen=True, slots=True)
class UsersLookup:
    """One GET /2/users answer: the accounts X showed, and why it showed none of the others
    (suspended, unknown, or its answer for that account was malformed)."""

    found: dict[str, XAccountCounts]
    refused: dict[str, str]


async def lookup_account_counts(client: XClient, user_ids: Sequence[str]) -> UsersLookup:
    """Public counts of up to 100 accounts by X user id (GET /2/users, user.fields=public_metrics).

    Raises RateLimited / TransientXError / PermanentXError when X refuses the whole request;
    an account X leaves out (200 with a partial error) is in `refused` with X's detail. Every
    id asked for ends up in exactly one of `found` and `refused`.
    """
    ids = list(dict.fromkeys(user_ids))
    if not 1 <= len(ids) <= MAX_IDS_PER_LOOKUP:
        raise ValueError(f"between 1 and {MAX_IDS_PER_LOOKUP} ids per lookup, got {len(ids)}")
    response = await client.call(USERS_LOOKUP_ENDPOINT, client.tweepy.get_users, ids=ids,
                                 user_fields=METRICS_FIELDS)
    found, refused = sort_lookup(XAccountCounts, ids, response.body, what="account")
    return UsersLookup(found=found, refused=refused)
