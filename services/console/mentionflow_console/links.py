"""The one rule for every link the console renders to the outside world.

Stored URLs are strangers' data: a collector or an old row may hold `javascript:`, `data:`
or a look-alike host, and escaping does not make a scheme safe. So a link to a post is built
from validated parts (`https://x.com/<handle>/status/<id>`) whatever is stored, and any other
URL is shown as a link only when it is https on a host of `LINK_HOSTS`; otherwise no link.
Templates use these as Jinja globals (`post_url`, `profile_url`) and the `safe_url` filter.
"""

from __future__ import annotations

import re

from mentionflow.events.urls import https_host

X_ORIGIN = "https://x.com"
LINK_HOSTS = frozenset({"x.com", "www.x.com", "twitter.com", "www.twitter.com", "mobile.twitter.com",
                        "mobile.x.com"})
_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
_POST_ID = re.compile(r"^[0-9]{1,20}$")


def safe_url(url: str | None) -> str | None:
    """`url` when it is https on an allowed host; None (render no link) otherwise."""
    if not url or not isinstance(url, str):
        return None
    return url if https_host(url) in LINK_HOSTS else None


def profile_url(handle: str | None) -> str | None:
    """The X profile of a handle, when the handle is a valid X handle."""
    return f"{X_ORIGIN}/{handle}" if handle and _HANDLE.match(handle) else None


def post_url(handle: str | None, post_id: str | None, stored: str | None = None) -> str | None:
    """The post on X built from its author's handle and its id when both are valid, else the
    stored URL if `safe_url` lets it through, else None."""
    profile = profile_url(handle)
    if profile and post_id and _POST_ID.match(post_id):
        return f"{profile}/status/{post_id}"
    return safe_url(stored)
