"""Browser sessions, CSRF tokens and login rate limiting, all kept in PostgreSQL so every
console replica sees the same state.

CSRF: a synchronizer token per session, echoed by every form post (hidden field) and every
cookie-authenticated API write (X-CSRF-Token header). The login form, which has no session
yet, uses a double-submit cookie instead.

Lifetime: a session ends at logout (deleted server-side), after `ttl` from login whatever
happens, after `idle` without a request, and as soon as its user's role or brands differ
from those at login (a privilege change means a new login, hence a new session id). A login
always issues a new id and ends the session the browser held before (no fixation).
"""

from __future__ import annotations

import hmac
import math
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeAlias

import asyncpg
from mentionflow.accounts import User
from mentionflow.accounts.store import get_user_by_id
from mentionflow.accounts.tokens import new_secret, secret_hash

SESSION_COOKIE = "mf_session"
LOGIN_CSRF_COOKIE = "mf_login_csrf"
CSRF_HEADER = "X-CSRF-Token"

Db: TypeAlias = "asyncpg.Pool | asyncpg.Connection"


@dataclass(frozen=True)
class Session:
    user: User
    csrf_token: str


def tokens_match(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


def privileges(user: User) -> str:
    """What a session was granted: compared on every request, so a change ends the session."""
    return f"{user.role}:{','.join(sorted(user.brands))}"


async def create_session(db: Db, *, user: User, ttl: timedelta, idle: timedelta, ip: str,
                         replaces: str | None = None) -> tuple[str, Session]:
    """A new session (a new random id, always); returns the cookie value (shown once, stored
    hashed) and the session. `replaces`, the cookie the browser held, is ended."""
    await end_session(db, cookie=replaces)
    secret, csrf = new_secret(), new_secret()
    await db.execute(
        "INSERT INTO console_sessions (session_hash, user_id, csrf_token, expires_at, ip, privileges) "
        "VALUES ($1, $2, $3, now() + $4::interval, $5, $6)", secret_hash(secret), user.id, csrf, ttl, ip,
        privileges(user))
    # Ended sessions are swept here rather than by a timer: logins are frequent enough.
    await db.execute("DELETE FROM console_sessions WHERE expires_at < now() - interval '1 day' "
                     "OR last_seen_at < now() - $1::interval - interval '1 day'", idle)
    return secret, Session(user=user, csrf_token=csrf)


async def session_for_cookie(db: Db, *, cookie: str | None, idle: timedelta) -> Session | None:
    """The live session of this cookie (and its use recorded), or None when there is none,
    it expired, sat idle longer than `idle`, or its user's privileges changed since login."""
    if not cookie or len(cookie) > 200:
        return None
    row = await db.fetchrow(
        "UPDATE console_sessions SET last_seen_at = now() "
        "WHERE session_hash = $1 AND expires_at > now() AND last_seen_at > now() - $2::interval "
        "RETURNING user_id, csrf_token, privileges", secret_hash(cookie), idle)
    if row is None:
        return None
    user = await get_user_by_id(db, user_id=row["user_id"])
    if user is None or row["privileges"] != privileges(user):
        await end_session(db, cookie=cookie)
        return None
    return Session(user=user, csrf_token=row["csrf_token"])


async def end_session(db: Db, *, cookie: str | None) -> None:
    if cookie:
        await db.execute("DELETE FROM console_sessions WHERE session_hash = $1", secret_hash(cookie))


async def login_retry_after(db: Db, *, username: str, ip: str, max_failures: int, window_s: int) -> int:
    """Seconds until this username + address may try again; 0 when allowed now.

    Failures count within the window and since the last success, so one good login clears
    the slate, and a burst of bad ones locks out only that username from that address."""
    row = await db.fetchrow(
        "SELECT count(*) AS failures, min(at) AS oldest FROM login_attempts "
        "WHERE username = $1 AND ip = $2 AND NOT succeeded AND at > now() - make_interval(secs => $3) "
        "AND at > coalesce((SELECT max(at) FROM login_attempts WHERE username = $1 AND ip = $2 AND succeeded), "
        "'-infinity')", username, ip, window_s)
    if row["failures"] < max_failures:
        return 0
    waited = await db.fetchval("SELECT extract(epoch FROM now() - $1::timestamptz)", row["oldest"])
    return max(1, math.ceil(window_s - float(waited)))


async def record_login_attempt(db: Db, *, username: str, ip: str, succeeded: bool) -> None:
    await db.execute("INSERT INTO login_attempts (username, ip, succeeded) VALUES ($1, $2, $3)",
                     username, ip, succeeded)
