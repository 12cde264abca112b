"""The user store: keyword-only async functions over asyncpg (a pool or a connection).

Shared by the console (login, API tokens, scope checks) and `mentionflow users ...`, so
there is exactly one definition of who may see which brand.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any, TypeAlias

import asyncpg

from mentionflow.accounts.audit import record_audit
from mentionflow.accounts.models import BRAND_RE, ROLES, USERNAME_RE, Role, User
from mentionflow.accounts.passwords import hash_password, needs_rehash, verify_password
from mentionflow.accounts.tokens import API_TOKEN_PREFIX, new_secret, secret_hash

Db: TypeAlias = "asyncpg.Pool | asyncpg.Connection"

_USER_SELECT = """
SELECT u.id, u.username, u.display_name, u.role, u.replies_need_approval,
       coalesce(array_agg(b.brand_id ORDER BY b.brand_id) FILTER (WHERE b.brand_id IS NOT NULL), '{}') AS brands
FROM users u LEFT JOIN user_brands b ON b.user_id = u.id
"""


class AccountError(ValueError):
    """A request the store refuses (unknown user, duplicate, invalid value); message says why."""


@asynccontextmanager
async def transaction(db: Db) -> AsyncIterator[asyncpg.Connection]:
    """One transaction on a pooled connection, or a savepoint on a caller's connection."""
    if isinstance(db, asyncpg.Pool):
        async with db.acquire() as conn, conn.transaction():
            yield conn
    else:
        async with db.transaction():
            yield db


def _user(row: asyncpg.Record) -> User:
    return User(id=row["id"], username=row["username"], display_name=row["display_name"],
                role=row["role"], brands=frozenset(row["brands"]),
                replies_need_approval=row["replies_need_approval"])


def _check_username(username: str) -> str:
    if not USERNAME_RE.match(username):
        raise AccountError(f"username {username!r} must match {USERNAME_RE.pattern}")
    return username


def _check_brands(brands: Iterable[str]) -> list[str]:
    cleaned = sorted({b.strip() for b in brands if b.strip()})
    bad = [b for b in cleaned if not BRAND_RE.match(b)]
    if bad:
        raise AccountError(f"invalid brand id(s): {', '.join(bad)}")
    return cleaned


async def get_user(db: Db, *, username: str) -> User | None:
    row = await db.fetchrow(_USER_SELECT + " WHERE u.username = $1 AND u.active GROUP BY u.id", username)
    return _user(row) if row else None


async def get_user_by_id(db: Db, *, user_id: uuid.UUID) -> User | None:
    row = await db.fetchrow(_USER_SELECT + " WHERE u.id = $1 AND u.active GROUP BY u.id", user_id)
    return _user(row) if row else None


async def list_users(db: Db) -> list[User]:
    rows = await db.fetch(_USER_SELECT + " WHERE u.active GROUP BY u.id ORDER BY u.username")
    return [_user(r) for r in rows]


async def add_user(db: Db, *, username: str, password: str, role: Role, display_name: str | None = None,
                   brands: Iterable[str] = (), actor: str = "cli") -> User:
    """Create a user with a role and brand grants; AccountError if the name is taken or invalid."""
    _check_username(username)
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    try:
        password_hash = await asyncio.to_thread(hash_password, password)
    except ValueError as exc:
        raise AccountError(str(exc)) from None
    grants = _check_brands(brands)
    async with transaction(db) as conn:
        user_id = await conn.fetchval(
            "INSERT INTO users (username, display_name, role, password_hash) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (username) DO NOTHING RETURNING id",
            username, display_name or username, role, password_hash,
        )
        if user_id is None:
            raise AccountError(f"user {username!r} already exists")
        await conn.executemany("INSERT INTO user_brands (user_id, brand_id) VALUES ($1, $2)",
                               [(user_id, b) for b in grants])
        await record_audit(conn, actor=actor, action="user.add", target=username,
                           after={"role": role, "brands": grants})
        user = await get_user_by_id(conn, user_id=user_id)
    assert user is not None
    return user


async def _require(conn: asyncpg.Connection, username: str) -> User:
    user = await get_user(conn, username=username)
    if user is None:
        raise AccountError(f"no user {username!r}")
    return user


async def grant(db: Db, *, username: str, brands: Iterable[str], actor: str = "cli") -> User:
    """Add brand grants (idempotent)."""
    wanted = _check_brands(brands)
    async with transaction(db) as conn:
        before = await _require(conn, username)
        await conn.executemany(
            "INSERT INTO user_brands (user_id, brand_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            [(before.id, b) for b in wanted])
        after = await _require(conn, username)
        await record_audit(conn, actor=actor, action="user.grant", target=username,
                           before={"brands": sorted(before.brands)}, after={"brands": sorted(after.brands)})
    return after


async def revoke(db: Db, *, username: str, brands: Iterable[str], actor: str = "cli") -> User:
    """Remove brand grants (idempotent)."""
    unwanted = _check_brands(brands)
    async with transaction(db) as conn:
        before = await _require(conn, username)
        await conn.execute("DELETE FROM user_brands WHERE user_id = $1 AND brand_id = ANY($2::text[])",
                           before.id, unwanted)
        after = await _require(conn, username)
        await record_audit(conn, actor=actor, action="user.revoke", target=username,
                           before={"brands": sorted(before.brands)}, after={"brands": sorted(after.brands)})
    return after


async def set_role(db: Db, *, username: str, role: Role, actor: str = "cli") -> User:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    async with transaction(db) as conn:
        before = await _require(conn, username)
        await conn.execute("UPDATE users SET role = $2, updated_at = now() WHERE id = $1", before.id, role)
        await record_audit(conn, actor=actor, action="user.role", target=username,
                           before={"role": before.role}, after={"role": role})
        return await _require(conn, username)


async def set_replies_need_approval(db: Db, *, username: str, required: bool, actor: str = "cli") -> User:
    """Make the user's replies drafts a lead approves (required) or send them directly again.
    Takes effect on the user's next request (sessions re-read the user); idempotent, audited."""
    async with transaction(db) as conn:
        before = await _require(conn, username)
        await conn.execute("UPDATE users SET replies_need_approval = $2, updated_at = now() WHERE id = $1",
                           before.id, required)
        await record_audit(conn, actor=actor, action="user.approval", target=username,
                           before={"replies_need_approval": before.replies_need_approval},
                           after={"replies_need_approval": required})
        return await _require(conn, username)


async def check_password(db: Db, *, username: str, password: str) -> User | None:
    """The user when the password matches, else None (unknown users cost the same time).

    argon2 is deliberately slow (tens to hundreds of ms): it runs in a worker thread so the
    event loop keeps serving other requests meanwhile."""
    row = await db.fetchrow("SELECT id, password_hash FROM users WHERE username = $1 AND active", username)
    if not await asyncio.to_thread(verify_password, row["password_hash"] if row else None, password):
        return None
    assert row is not None
    if needs_rehash(row["password_hash"]):
        rehashed = await asyncio.to_thread(hash_password, password)
        await db.execute("UPDATE users SET password_hash = $2 WHERE id = $1", row["id"], rehashed)
    return await get_user_by_id(db, user_id=row["id"])


async def create_api_token(db: Db, *, username: str, name: str, actor: str = "cli") -> str:
    """A new API token for `username`; the plaintext is returned once and never stored."""
    token = new_secret(API_TOKEN_PREFIX)
    async with transaction(db) as conn:
        user = await _require(conn, username)
        await conn.execute("INSERT INTO api_tokens (user_id, name, token_hash) VALUES ($1, $2, $3)",
                           user.id, name, secret_hash(token))
        await record_audit(conn, actor=actor, action="token.create", target=username, after={"name": name})
    return token


async def user_for_api_token(db: Db, *, token: str) -> User | None:
    row = await db.fetchrow(
        "UPDATE api_tokens SET last_used_at = now() WHERE token_hash = $1 AND revoked_at IS NULL "
        "RETURNING user_id", secret_hash(token))
    return await get_user_by_id(db, user_id=row["user_id"]) if row else None


def describe(user: User) -> dict[str, Any]:
    return {"username": user.username, "display_name": user.display_name, "role": user.role,
            "brands": sorted(user.brands), "replies_need_approval": user.replies_need_approval}
