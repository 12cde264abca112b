"""Account lookup (GET /2/users/by/username/{username}): a brand handle to its X user id."""

from __future__ import annotations

import logging
import re

from pydantic import ValidationError

from mentionflow.xapi.client import XClient
from mentionflow.xapi.errors import TransientXError
from mentionflow.xapi.models import USER_FIELDS, XUser

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
