"""Saved replies: per brand and language, with {variables} filled from the item and the agent,
and {?fields} the CM types in when inserting. Managed by leads (and admins) of the brand.

A body may only name the variables of VARIABLES or {?field} prompts: anything else is refused
when saved (InvalidInput naming it), so an expansion never meets an unknown variable. The
expanded text is checked against X's limit (MAX_REPLY_CHARS) when it is expanded.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

import asyncpg
from mentionflow.accounts import User
from mentionflow.accounts.audit import record_audit
from mentionflow.accounts.store import transaction
from mentionflow.events.replies_requested import MAX_REPLY_CHARS

from mentionflow_console import repository
from mentionflow_console.errors import Forbidden, InvalidInput, NotFound

VARIABLES = ("author_name", "author_handle", "brand", "agent_first_name", "case_ref")
PLACEHOLDER = re.compile(r"\{(\??)([^{}\s]{0,60})\}")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
COLUMNS = "id, brand_id, language, name, category, body, updated_by, updated_at"


def prompt_fields(body: str) -> list[str]:
    """The {?field} names of a body, in order of first appearance."""
    return list(dict.fromkeys(name for prompt, name in PLACEHOLDER.findall(body) if prompt))


def check_body(body: str) -> list[str]:
    """Refuse unknown variables and malformed prompts (naming them); returns the prompt fields."""
    unknown = [f"{{{p}{n}}}" for p, n in PLACEHOLDER.findall(body)
               if (p and not FIELD_NAME.match(n)) or (not p and n not in VARIABLES)]
    if unknown:
        raise InvalidInput("body", f"unknown variable(s) {', '.join(dict.fromkeys(unknown))}; known: "
                           f"{', '.join('{' + v + '}' for v in VARIABLES)} and {{?field}} prompts")
    fixed = PLACEHOLDER.sub("", body)
    if len(fixed) > MAX_REPLY_CHARS:
        raise InvalidInput("body", f"the text without variables has {len(fixed)} characters; "
                           f"X allows {MAX_REPLY_CHARS}")
    return prompt_fields(body)


def case_ref(item_id: uuid.UUID) -> str:
    """A short reference of the item a customer can quote back."""
    return f"MF-{item_id.hex[:8].upper()}"


def item_values(item: Mapping[str, Any], user: User) -> dict[str, str]:
    mention = repository.parse_json(item["mention"]) or {}
    author = mention.get("author") or {}
    return {"author_name": author.get("name") or item["author_handle"], "author_handle": f"@{item['author_handle']}",
            "brand": item["brand_id"], "agent_first_name": (user.display_name.split() or [user.username])[0],
            "case_ref": case_ref(item["id"])}


def expand(body: str, values: Mapping[str, str], fields: Mapping[str, str]) -> str:
    """The body with every variable and prompt filled; a prompt without a value is refused."""
    missing = [f for f in prompt_fields(body) if not fields.get(f, "").strip()]
    if missing:
        raise InvalidInput("fields", f"a value is needed for {', '.join('{?' + f + '}' for f in missing)}")
    text = PLACEHOLDER.sub(lambda m: fields[m.group(2)].strip() if m.group(1) else values[m.group(2)], body).strip()
    if len(text) > MAX_REPLY_CHARS:
        raise InvalidInput("fields", f"the expanded reply has {len(text)} characters; X allows {MAX_REPLY_CHARS}")
    return text


def _manageable(user: User, brand: str) -> None:
    if not user.can_see(brand):
        raise NotFound(f"no brand {brand}")
    if not user.at_least("lead"):
        raise Forbidden("saved replies are managed by leads")


async def list_for(db: repository.Db, *, user: User, brand: str | None = None, language: str | None = None,
                   category: str | None = None) -> list[asyncpg.Record]:
    """Saved replies the user may use; with `category` / `language`, the matching ones first."""
    return await db.fetch(
        f"SELECT {COLUMNS} FROM saved_replies WHERE {repository.in_scope('brand_id', 1)} "
        "AND ($2::text IS NULL OR brand_id = $2) "
        "ORDER BY (language = $3) DESC, (category = $4) DESC, (category IS NULL) DESC, name, id LIMIT 500",
        user.brand_scope, brand, language, category)


async def suggestions(db: repository.Db, *, user: User, item_id: uuid.UUID) -> list[asyncpg.Record]:
    """The item's brand's saved replies: its category and language first."""
    item = await repository.get_item(db, scope=user.brand_scope, item_id=item_id)
    if item is None:
        raise NotFound(f"no queue item {item_id}")
    return await list_for(db, user=user, brand=item["brand_id"], language=item["language"],
                          category=item["category"])


async def _get(db: repository.Db, user: User, reply_id: uuid.UUID) -> asyncpg.Record:
    row = await db.fetchrow(f"SELECT {COLUMNS} FROM saved_replies WHERE id = $2 AND "
                            f"{repository.in_scope('brand_id', 1)}", user.brand_scope, reply_id)
    if row is None:
        raise NotFound(f"no saved reply {reply_id}")
    return row


def _state(row: asyncpg.Record | None) -> dict[str, Any] | None:
    return None if row is None else {k: row[k] for k in ("language", "name", "category", "body")}


async def save(pool: asyncpg.Pool, *, user: User, brand_id: str, language: str, name: str, category: str | None,
               body: str, reply_id: uuid.UUID | None = None) -> asyncpg.Record:
    """Create (reply_id None) or edit a saved reply; a name is unique per brand and language."""
    brand = brand_id
    _manageable(user, brand)
    check_body(body)
    async with transaction(pool) as conn:
        before = None
        if reply_id is not None:
            before = await _get(conn, user, reply_id)
            _manageable(user, before["brand_id"])
            if before["brand_id"] != brand:
                raise InvalidInput("brand_id", "a saved reply stays with its brand")
        clash = await conn.fetchval("SELECT id FROM saved_replies WHERE brand_id = $1 AND language = $2 AND name = $3 "
                                    "AND id IS DISTINCT FROM $4", brand, language, name, reply_id)
        if clash is not None:
            raise InvalidInput("name", f"{brand} already has a saved reply {name!r} in {language}")
        row = await conn.fetchrow(
            "INSERT INTO saved_replies (id, brand_id, language, name, category, body, updated_by) "
            "VALUES (coalesce($1, gen_random_uuid()), $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET "
            "language = $3, name = $4, category = $5, body = $6, updated_by = $7, updated_at = now() "
            f"RETURNING {COLUMNS}", reply_id, brand, language, name, category, body, user.username)
        await record_audit(conn, actor=user.username, action="saved_reply.save", brand_id=brand, target=str(row["id"]),
                           before=_state(before), after=_state(row))
        return row


async def delete(pool: asyncpg.Pool, *, user: User, reply_id: uuid.UUID) -> None:
    async with transaction(pool) as conn:
        row = await _get(conn, user, reply_id)
        _manageable(user, row["brand_id"])
        await conn.execute("DELETE FROM saved_replies WHERE id = $1", reply_id)
        await record_audit(conn, actor=user.username, action="saved_reply.delete", brand_id=row["brand_id"],
                           target=str(reply_id), before=_state(row))


async def expand_for_item(db: repository.Db, *, user: User, item_id: uuid.UUID, reply_id: uuid.UUID,
                          fields: Mapping[str, str]) -> str:
    """The saved reply filled in for this item (both must be in the user's brands, the same brand)."""
    item = await repository.get_item(db, scope=user.brand_scope, item_id=item_id)
    if item is None:
        raise NotFound(f"no queue item {item_id}")
    row = await _get(db, user, reply_id)
    if row["brand_id"] != item["brand_id"]:
        raise NotFound(f"no saved reply {reply_id} for brand {item['brand_id']}")
    return expand(row["body"], item_values(item, user), fields)
