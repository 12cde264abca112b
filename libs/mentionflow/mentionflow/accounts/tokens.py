"""Opaque random secrets (API tokens, session ids) and the hash stored in their place.

These secrets carry 256 bits of randomness, so a plain SHA-256 is enough at rest: unlike a
password there is nothing to brute-force, and a fast hash keeps per-request lookups cheap.
"""

from __future__ import annotations

import hashlib
import secrets

API_TOKEN_PREFIX = "mft_"


def new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
