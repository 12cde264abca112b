"""Account lookup (GET /2/users/by/username/{username}): a brand handle to its X user id."""

from __future__ import annotations

import logging

from pydantic import ValidationError

from mentionflow.xapi.client import XClient
from mentionflow.xapi.errors import TransientXError
from mentionflow.xapi.models import USER_FIELDS, XUser

logger = logging.getLogger(__name__)

USER_BY_USERNAME_ENDPOINT = "user_by_username"


async def lookup_user(client: XClient, username: str) -> XUser | None:
    """The account named `username` (case-insensitive, without @), or None if X has none."""
    response = await client.call(USER_BY_USERNAME_ENDPOINT, client.tweepy.get_user,
                                 username=username.removeprefix("@"), user_fields=USER_FIELDS)
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
