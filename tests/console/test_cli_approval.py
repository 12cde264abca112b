"""`mentionflow users approval NAME on|off`: the flag that makes a user's replies drafts, set by the
operator CLI with the store the console reads (real database, the CLI as a process)."""

from __future__ import annotations

import asyncpg
from mentionflow.accounts import store

from tests.console.test_cli_users import _cli


async def test_the_cli_sets_and_clears_the_approval_flag_and_audits_it(fresh_database_dsn):
    code, out = await _cli(fresh_database_dsn, "add", "junior", "--role", "agent", "--brand", "hexafone")
    assert code == 0, out
    code, out = await _cli(fresh_database_dsn, "approval", "junior", "on")
    assert code == 0 and "replies need approval: yes" in out, out
    code, listing = await _cli(fresh_database_dsn, "list")
    assert code == 0 and "needed" in listing, listing
    code, out = await _cli(fresh_database_dsn, "approval", "junior", "maybe")
    assert code == 2 and "on or off" in out
    code, out = await _cli(fresh_database_dsn, "approval", "nobody", "on")
    assert code == 1 and "no user 'nobody'" in out
    pool = await asyncpg.create_pool(fresh_database_dsn, min_size=1, max_size=2)
    try:
        junior = await store.get_user(pool, username="junior")
        assert junior is not None and junior.replies_need_approval
        code, out = await _cli(fresh_database_dsn, "approval", "junior", "off")
        assert code == 0 and "replies need approval: no" in out
        junior = await store.get_user(pool, username="junior")
        assert junior is not None and not junior.replies_need_approval
        audit = await pool.fetch("SELECT before, after FROM audit_log WHERE action = 'user.approval' ORDER BY id")
        assert [(a["before"], a["after"]) for a in audit] == [
            ('{"replies_need_approval": false}', '{"replies_need_approval": true}'),
            ('{"replies_need_approval": true}', '{"replies_need_approval": false}')]
    finally:
        await pool.close()
