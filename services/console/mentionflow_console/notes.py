"""Internal notes on items (with @mentions of teammates), and what a brand knows about an author:
their earlier mentions of the brand with outcomes, and one note per brand and author.

Notes never leave the console: nothing is produced to Kafka. Every note and author-note change
is audited in the transaction that makes it. Everything is scoped to the user's brands.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime

import asyncpg
from mentionflow.accounts import User
from mentionflow.accounts.audit import record_audit
from mentionflow.accounts.store import get_user, transaction

from mentionflow_console import repository
from mentionflow_console.errors import InvalidInput, NotFound

MENTION = re.compile(r"(?<![\w@])@([a-z0-9][a-z0-9._-]{1,63})(?<![.])", re.IGNORECASE)
MAX_AUTHOR_NOTE = 500
NOTE_COLUMNS = "n.id, n.item_id, n.brand_id, n.author, n.body, n.mentions, n.created_at"


def mentioned(body: str) -> list[str]:
    """Usernames @mentioned in a note, lower-cased, in order of first appearance."""
    return list(dict.fromkeys(name.lower() for name in MENTION.findall(body)))


async def _item(db: repository.Db, user: User, item_id: uuid.UUID) -> asyncpg.Record:
    item = await repository.get_item(db, scope=user.brand_scope, item_id=item_id)
    if item is None:
        raise NotFound(f"no queue item {item_id}")
    return item


async def add_note(pool: asyncpg.Pool, *, user: User, item_id: uuid.UUID, body: str) -> asyncpg.Record:
    """Add a note; every @mention must be a user who may see the item's brand (else nothing is
    written and InvalidInput names them)."""
    body = body.strip()
    if not body:
        raise InvalidInput("body", "the note is empty")
    async with transaction(pool) as conn:
        item = await _item(conn, user, item_id)
        names = mentioned(body)
        unknown = []
        for name in names:
            target = await get_user(conn, username=name)
            if target is None or not target.can_see(item["brand_id"]):
                unknown.append(name)
        if unknown:
            raise InvalidInput("body", f"no teammate on {item['brand_id']} named "
                               f"{', '.join('@' + n for n in unknown)}")
        row = await conn.fetchrow(
            "INSERT INTO item_notes (item_id, brand_id, author, body, mentions) VALUES ($1, $2, $3, $4, $5) "
            "RETURNING id, item_id, brand_id, author, body, mentions, created_at",
            item_id, item["brand_id"], user.username, body, names)
        await record_audit(conn, actor=user.username, action="item.note", brand_id=item["brand_id"], item_id=item_id,
                           target=item["mention_id"], after={"note_id": row["id"], "mentions": names}, detail=body)
        return row


async def item_notes(db: repository.Db, *, user: User, item_id: uuid.UUID) -> list[asyncpg.Record]:
    await _item(db, user, item_id)
    return await db.fetch(f"SELECT {NOTE_COLUMNS} FROM item_notes n WHERE n.item_id = $1 ORDER BY n.id", item_id)


async def mentions_of(db: repository.Db, *, user: User, after_id: int = 0, limit: int = 100
                      ) -> list[asyncpg.Record]:
    """Notes mentioning the user, in their brands: newest first (after_id: only newer ones)."""
    return await db.fetch(
        f"SELECT {NOTE_COLUMNS}, q.author_handle, q.text FROM item_notes n JOIN queue_items q ON q.id = n.item_id "
        f"WHERE $2 = ANY(n.mentions) AND n.id > $3 AND {repository.in_scope('n.brand_id', 1)} "
        "ORDER BY n.id DESC LIMIT $4", user.brand_scope, user.username, after_id, limit)


async def latest_mention_id(db: repository.Db, *, user: User) -> int:
    rows = await mentions_of(db, user=user, limit=1)
    return rows[0]["id"] if rows else 0


# --- customer history ----------------------------------------------------------------------

async def customer(db: repository.Db, *, user: User, item_id: uuid.UUID
                   ) -> tuple[asyncpg.Record, list[asyncpg.Record], asyncpg.Record | None]:
    """The item, the author's earlier mentions of the same brand (newest first), and the
    brand's note on the author."""
    item = await _item(db, user, item_id)
    earlier = await db.fetch(
        f"SELECT {repository.SUMMARY_COLUMNS} FROM {repository.ITEMS} WHERE q.brand_id = $1 "
        "AND q.author_handle = $2 AND q.id <> $3 AND (q.mention_created_at, q.id) < ($4, $3) "
        "ORDER BY q.mention_created_at DESC, q.id DESC LIMIT 50",
        item["brand_id"], item["author_handle"], item_id, item["mention_created_at"])
    note = await db.fetchrow("SELECT note, updated_by, updated_at FROM author_notes WHERE brand_id = $1 "
                             "AND author_handle = $2", item["brand_id"], item["author_handle"])
    return item, earlier, note


async def set_author_note(pool: asyncpg.Pool, *, user: User, item_id: uuid.UUID, note: str
                          ) -> tuple[str, str, datetime | None]:
    """Set (or, empty, clear) the brand's note on the item's author; returns (handle, note, at)."""
    note = note.strip()
    if len(note) > MAX_AUTHOR_NOTE:
        raise InvalidInput("note", f"the note has {len(note)} characters; at most {MAX_AUTHOR_NOTE}")
    async with transaction(pool) as conn:
        item = await _item(conn, user, item_id)
        brand, handle = item["brand_id"], item["author_handle"]
        before = await conn.fetchval("SELECT note FROM author_notes WHERE brand_id = $1 AND author_handle = $2",
                                     brand, handle)
        at = None
        if note:
            at = await conn.fetchval(
                "INSERT INTO author_notes (brand_id, author_handle, note, updated_by) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (brand_id, author_handle) DO UPDATE SET note = $3, updated_by = $4, updated_at = now() "
                "RETURNING updated_at", brand, handle, note, user.username)
        else:
            await conn.execute("DELETE FROM author_notes WHERE brand_id = $1 AND author_handle = $2", brand, handle)
        if before != (note or None):
            await record_audit(conn, actor=user.username, action="author.note", brand_id=brand, item_id=item_id,
                               target=f"@{handle}", before={"note": before}, after={"note": note or None})
        return handle, note, at
