"""URLs that come from strangers: a mention's link is data from the outside world, and a
browser will follow whatever scheme it carries (`javascript:`, `data:`, `vbscript:`, a
protocol-relative `//evil.example`). Only absolute https URLs with a plain host pass.

`check_https_url` is the ingest trust boundary (the Mention model uses it, so every source
gets it); the console builds the links it renders from the same check plus a host allow-list.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

MAX_URL_CHARS = 2048
# An absolute https URL whose authority (up to the first "/", "?" or "#") is a DNS name or an
# IPv4 address, optionally with a port: no user info, no odd characters a browser might read
# differently from us. Whitespace and controls are dropped or split on by browsers
# ("java\tscript:"), so none pass anywhere in the URL. One regex (no urlsplit): every consumer
# decodes a mention's URL, so this check runs once per mention per hop.
_HTTPS_URL = re.compile(
    r"https://(?P<host>[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(?::[0-9]{1,5})?"
    r"(?:[/?#][^\x00-\x20\x7f-\x9f\\]*)?",
    re.IGNORECASE | re.ASCII,  # ASCII: no "ſ" or Kelvin sign passing for "s" or "k"
)


def https_host(url: str) -> str | None:
    """The lower-cased host of `url` when it is an absolute https URL safe to put in an
    href (plain host, no credentials, no whitespace or control characters); else None."""
    if len(url) > MAX_URL_CHARS:
        return None
    match = _HTTPS_URL.fullmatch(url)
    return match["host"].lower() if match else None


def check_https_url(value: str) -> str:
    """`value` unchanged when it is a safe absolute https URL; ValueError naming the rule otherwise."""
    if https_host(value) is None:
        raise ValueError("must be an absolute https:// URL with a plain host "
                         "(no other scheme, no protocol-relative //host, no credentials or spaces)")
    return value


HttpsUrl = Annotated[str, AfterValidator(check_https_url)]
