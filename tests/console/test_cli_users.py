"""`mentionflow users ...` against a real database: the CLI and the console share the store."""

from __future__ import annotations

import asyncio
import os
import sys

import asyncpg
from mentionflow.accounts import store
from mentionflow_tools.demo_users import DEMO_PASSWORD


async def _cli(dsn: str, *args: str) -> tuple[int, str]:
    env = {**os.environ, "MENTIONFLOW_POSTGRES__DSN": dsn, "MENTIONFLOW_NEW_USER_PASSWORD": "s3cret-enough"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mentionflow_tools.cli.main", "users", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await process.communicate()
    return process.returncode, out.decode()


async def test_add_grant_revoke_list_token_demo(fresh_database_dsn):
    code, out = await _cli(fresh_database_dsn, "add", "camille", "--role", "agent", "--brand", "hexafone")
    assert code == 0, out
    code, out = await _cli(fresh_database_dsn, "grant", "camille", "skylark", "bouffego")
    assert code == 0 and "bouffego,hexafone,skylark" in out
    code, out = await _cli(fresh_database_dsn, "revoke", "camille", "hexafone")
    assert code == 0 and "bouffego,skylark" in out
    code, out = await _cli(fresh_database_dsn, "add", "camille", "--role", "agent")
    assert code == 1 and "already exists" in out
    code, token = await _cli(fresh_database_dsn, "token", "camille")
    assert code == 0
    code, out = await _cli(fresh_database_dsn, "demo", "--brand", "hexafone", "--brand", "skylark")
    assert code == 0, out
    code, listing = await _cli(fresh_database_dsn, "list")
    assert code == 0
    for name in ("camille", "agent-hexafone", "agent-skylark", "lead", "admin"):
        assert name in listing
    pool = await asyncpg.create_pool(fresh_database_dsn, min_size=1, max_size=2)
    try:
        camille = await store.user_for_api_token(pool, token=token.strip())
        assert camille is not None and camille.brands == {"skylark", "bouffego"}
        assert await store.check_password(pool, username="camille", password="s3cret-enough") is not None
        assert await store.check_password(pool, username="camille", password="wrong-password") is None
        lead = await store.check_password(pool, username="lead", password=DEMO_PASSWORD)
        assert lead is not None and lead.role == "lead" and lead.brands == {"hexafone", "skylark"}
        admin = await store.get_user(pool, username="admin")
        assert admin is not None and admin.all_brands and admin.brand_scope is None
        hashed = await pool.fetchval("SELECT password_hash FROM users WHERE username = 'camille'")
        assert hashed.startswith("$argon2id$") and "s3cret" not in hashed
        stored = await pool.fetchval("SELECT token_hash FROM api_tokens")
        assert token.strip() not in stored
        audit = await pool.fetch("SELECT action FROM audit_log WHERE target = 'camille' ORDER BY id")
        assert [a["action"] for a in audit] == ["user.add", "user.grant", "user.revoke", "token.create"]
    finally:
        await pool.close()
    code, _ = await _cli(fresh_database_dsn, "demo", "--brand", "hexafone", "--brand", "skylark")
    assert code == 0  # idempotent
