"""schemathesis against the console's OpenAPI schema, served by the real entry point
(`python -m mentionflow_console.main`) on 127.0.0.1: no input may cause a server error.
The same run checks start-up (migrations, readiness) and the graceful SIGTERM stop."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from pathlib import Path

import asyncpg
import httpx

from tests.console.factories import (
    add_team,
    insert_incident,
    insert_item,
    insert_post,
    insert_reply_draft,
    insert_saved_reply,
    migrate_all,
)
from tests.helpers import eventually

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
BUDGET_S = 240  # generous: the analytics PDF and assignment routes add cases; two cores shared with other suites


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_no_server_error_for_any_generated_request(fresh_database_dsn, kafka_settings, tmp_path):
    pool = await asyncpg.create_pool(fresh_database_dsn, min_size=1, max_size=2)
    try:
        await migrate_all(pool)
        people = await add_team(pool)
        for brand in ("brand-a", "brand-b"):
            incident = await insert_incident(pool, brand=brand)
            await insert_item(pool, brand=brand, incident_id=incident, conversation_id="c1")
            await insert_saved_reply(pool, brand=brand, body="Hi {author_name}, order {?order_number}?")
            await insert_reply_draft(pool, brand=brand, author="agent-a")  # the approvals list has rows
            for status in ("draft", "awaiting_approval", "requested"):  # publishing has posts to act on
                await insert_post(pool, brand=brand, author="agent-a", status=status)
    finally:
        await pool.close()
    port = _free_port()
    env = {**os.environ, "MENTIONFLOW_POSTGRES__DSN": fresh_database_dsn,
           "MENTIONFLOW_KAFKA__BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
           "MENTIONFLOW_KAFKA__TOPIC_PREFIX": kafka_settings.topic_prefix,
           "MENTIONFLOW_KAFKA__PARTITIONS_OVERRIDE": "4", "MENTIONFLOW_HTTP__PORT": str(port),
           "MENTIONFLOW_LOG_JSON": "false",  # with a brand config: auto-assignment on while fuzzed
           "MENTIONFLOW_BRAND_CONFIG": str(Path(__file__).with_name("assignment_config.yaml"))}
    log_file = (tmp_path / "console.log").open("wb")
    console = await asyncio.create_subprocess_exec(sys.executable, "-m", "mentionflow_console.main", env=env,
                                                   stdout=log_file, stderr=log_file)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            async def ready() -> bool:
                try:
                    return (await client.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, timeout_s=30, what="the console to be ready")
            checks = (await client.get("/readyz")).json()["checks"]
            assert checks == {"kafka": "ok", "postgres": "ok"}
        runner = await asyncio.create_subprocess_exec(
            str(SCHEMATHESIS), "run", f"{base}/openapi.json", "--checks", "not_a_server_error",
            "--header", f"Authorization: Bearer {people.tokens['admin']}",
            "--exclude-path", "/api/v1/items/stream",  # endless streams: covered by their own tests
            "--exclude-path", "/api/v1/mentions/stream",
            "--max-examples", "25", "--workers", "1", "--no-shrink", "--seed", "7",
            "--request-timeout", "10", "--phases", "examples,coverage,fuzzing",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"},
            cwd=tmp_path)  # schemathesis keeps a cache folder in its working directory
        out, _ = await asyncio.wait_for(runner.communicate(), BUDGET_S)
        report = out.decode(errors="replace")
        print(report[-3000:])
        assert runner.returncode == 0, report[-6000:]
        assert re.search(r"(\d+) generated, \1 passed", report), report[-3000:]  # every case, none failed
    finally:
        if console.returncode is None:
            console.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(console.wait(), 20)
        log_file.close()
    assert code == 0, (tmp_path / "console.log").read_text()[-3000:]
