"""How long the monthly client report takes over 1,000,000 items (`make bench-report`).

Inserts 1,000,000 queue items of one demo brand (hexafone) posted over February and March 2026,
with what people did to them (first replies, resolutions, reply requests) and incidents, into a
fresh database; copies them into the console's analytics tables from scratch (`catch_up_s`, what
a console's first start over an existing queue does in the background); starts the real console
(`python -m mentionflow_console.main`, demo brand config) and times, over HTTP, the report page
for March 2026 (figures computed in SQL + HTML), the API's figures and the PDF. Writes
bench/out/report_render.json. The target is ≤ 2 s for the report page; the figure is reported,
not asserted.

Uses the stack named by MENTIONFLOW_BENCH_INFRA_DIR when set, else starts one under
.infra/bench-report and stops it at the end. REPORT_ITEMS scales the item count down.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
from mentionflow.accounts import COMPONENT as ACCOUNTS
from mentionflow.accounts import MIGRATIONS as ACCOUNTS_MIGRATIONS
from mentionflow.accounts import store
from mentionflow.db import Migrations, migrate_all

from bench.e2e.queue_sql import create_database, drop_database

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out" / "report_render.json"
LOG = REPO / "bench" / "out" / "report_render.console.log"
BRAND = "hexafone"
MONTH = "2026-03"
TARGET_S = 2.0
RUNS = 3  # each render over 1,000,000 items is a full scan: three keep the run to a few minutes
# The schema as the services apply it: publish's queue tables, then accounts and the console's own.
SCHEMA = (Migrations("queue", REPO / "services/publish/mentionflow_publish/queue_migrations"),
          Migrations(ACCOUNTS, ACCOUNTS_MIGRATIONS),
          Migrations("console", REPO / "services/console/mentionflow_console/migrations"))

# 59 days (February + March 2026, Paris time) spread evenly over the items; a category, sentiment,
# language and queue from the item number; 80 % answered within 0-239 min, 60 % resolved.
ITEMS = """
INSERT INTO queue_items (brand_id, platform, external_id, mention_id, queue, team, priority, sla_due_at, category,
    sentiment, severity, language, author_handle, text, mention_created_at, received_at, mention, classification,
    decision, decided_at)
SELECT $1, 'x', i::text, 'x:' || i, (ARRAY['hexafone-care', 'hexafone-engagement', 'hexafone-urgent'])[1 + i % 3],
       'care-fr', 'P3', posted + interval '60 minutes',
       (ARRAY['complaint', 'complaint', 'complaint', 'question', 'question', 'question', 'praise', 'praise',
              'other', 'crisis'])[1 + i % 10],
       (ARRAY['negative', 'neutral', 'positive'])[1 + i % 3], 0.3, CASE WHEN i % 10 < 7 THEN 'fr' ELSE 'en' END,
       'user' || (i % 50000),
       (ARRAY['@Hexafone réseau coupé depuis ce matin #panne', '@Hexafone facture incorrecte, remboursement svp',
              '@Hexafone toujours pas de fibre #fibre', 'my phone bill is wrong again #billing',
              '@Hexafone merci pour la réponse rapide', 'how do I change my plan?',
              '@Hexafone coupure internet encore #panne', 'no signal downtown since noon #outage'])[1 + i % 8],
       posted, posted, '{}'::jsonb, '{}'::jsonb, '{}'::jsonb, posted
FROM (SELECT i, timestamptz '2026-01-31 23:00+00' + (i::float8 / $2) * interval '59 days' AS posted
      FROM generate_series(1, $2) AS i) s
"""
WORK = """
INSERT INTO queue_work (item_id, brand_id, status, assignee, first_replied_at, first_replied_by, resolved_at)
SELECT id, brand_id, CASE WHEN n % 10 < 6 THEN 'resolved' ELSE 'replied' END, 'agent' || (n % 8),
       mention_created_at + (n % 240) * interval '1 minute', 'agent' || (n % 8),
       CASE WHEN n % 10 < 6 THEN mention_created_at + (n % 600 + 240) * interval '1 minute' END
FROM (SELECT id, brand_id, mention_created_at, external_id::bigint AS n FROM queue_items) s
WHERE n % 10 < 8
"""
REQUESTS = """
INSERT INTO console_requests (request_id, topic, action, brand_id, item_id, requested_by, payload, requested_at,
                              produced_at)
SELECT 'r' || item_id, 'replies.requested', 'reply', brand_id, item_id, first_replied_by, '{}'::jsonb,
       first_replied_at, first_replied_at
FROM queue_work
"""
INCIDENTS = """
INSERT INTO incidents (incident_id, brand_id, status, opened_at, updated_at, summary, acknowledged_at, acknowledged_by)
SELECT 'inc-' || i, $1, 'closed', t, t, 'spike ' || i, t + (i % 45) * interval '1 minute', 'lead'
FROM (SELECT i, timestamptz '2026-02-01 09:00+00' + i * interval '29 hours' AS t FROM generate_series(1, 48) i) s
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def _stack():  # noqa: ANN202 - yields a mentionflow_tools Stack
    from mentionflow_tools.infra import stack

    named = os.environ.get("MENTIONFLOW_BENCH_INFRA_DIR")
    if named:
        yield stack.load(Path(named))
        return
    directory = REPO / ".infra" / "bench-report"
    running = stack.up(directory, 1)
    try:
        yield running
    finally:
        stack.down(directory)


async def _fill(dsn: str, items: int) -> dict[str, float]:
    """Insert the items, then copy them into the console's analytics tables from scratch, as the
    console does on its first start over an existing queue (timed: `catch_up_s`)."""
    from mentionflow_console.analytics.catch_up import catch_up

    timings = {}
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        await conn.execute(ITEMS, BRAND, items)
        await conn.execute(WORK)
        await conn.execute(REQUESTS)
        await conn.execute(INCIDENTS, BRAND)
        timings["insert_s"] = time.perf_counter() - started
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
        try:
            started = time.perf_counter()
            await catch_up(pool)
            timings["catch_up_s"] = time.perf_counter() - started
        finally:
            await pool.close()
        started = time.perf_counter()
        await conn.execute("VACUUM ANALYZE")
        timings["vacuum_analyze_s"] = time.perf_counter() - started
    finally:
        await conn.close()
    return timings


async def _login(client: httpx.AsyncClient, username: str, password: str) -> None:
    form = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, "no login form token"
    done = await client.post("/login", data={"username": username, "password": password,
                                             "csrf_token": token.group(1), "next": "/"})
    assert done.status_code == 303, done.text


async def _time(client: httpx.AsyncClient, path: str, runs: int, **kwargs: object) -> list[float]:
    spent = []
    for _ in range(runs):
        started = time.perf_counter()
        response = await client.get(path, **kwargs)
        spent.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code, response.text[:500])
    return spent


async def _queries_alone(dsn: str) -> dict[str, float]:
    """Each query of the report timed alone, one after the other (the page runs them at once):
    where the time goes."""
    from mentionflow.brandconfig import load_config
    from mentionflow_console.analytics import period, queries
    from mentionflow_console.analytics.brands import brand_context
    from mentionflow_console.analytics.business_time import calendar_arrays
    from mentionflow_console.analytics.compute import scope_of
    from mentionflow_console.analytics.definitions import MIN_TERM_COUNT, STOP_WORDS

    brand = brand_context(load_config(REPO / "deploy/config/demo"), BRAND)
    now = datetime.now(UTC)
    comparison = period.month_range(month=MONTH, tz=brand.tz, today=now.date())
    scope = scope_of(brand, comparison, queue=None, agent=None)
    arrays = calendar_arrays(brand.calendar, since=comparison.previous.start, until=now) if brand.calendar else None
    steps = {
        "volume": lambda pool: queries.volume(pool, scope, bucket="day", time_zone=brand.time_zone, hourly=True),
        "timings": lambda pool: queries.timings(pool, scope, current=True, calendar=arrays, now=now),
        "timings_previous": lambda pool: queries.timings(pool, scope, current=False, calendar=arrays, now=now),
        "backlog": lambda pool: queries.backlog(pool, scope, as_of=[comparison.current.end, comparison.previous.end]),
        "agents": lambda pool: queries.agents(pool, scope),
        "growing_terms": lambda pool: queries.growing(pool, scope, stop_words=STOP_WORDS, min_count=MIN_TERM_COUNT,
                                                      hourly=True),
        "incidents": lambda pool: queries.incident_figures(pool, scope),
    }
    spent = {}
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
    try:
        for name, step in steps.items():
            started = time.perf_counter()
            await step(pool)
            spent[name] = round(time.perf_counter() - started, 3)
    finally:
        await pool.close()
    return spent


async def main() -> dict:
    items = int(os.environ.get("REPORT_ITEMS", "1000000"))
    with _stack() as running:
        server_dsn = running.postgres.dsn
        name = f"bench_report_{os.getpid()}"
        dsn = await create_database(server_dsn, name)
        console = None
        try:
            pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
            try:
                await migrate_all(pool, SCHEMA)
                await store.add_user(pool, username="bench-lead", password="bench password 1", role="admin",
                                     brands=["*"])
                token = await store.create_api_token(pool, username="bench-lead", name="bench")
            finally:
                await pool.close()
            result: dict = {"items": items, **await _fill(dsn, items)}
            port = _free_port()
            env = {**os.environ, **running.env(), "MENTIONFLOW_POSTGRES__DSN": dsn, "MENTIONFLOW_HTTP__PORT": str(port),
                   "MENTIONFLOW_BRAND_CONFIG": str(REPO / "deploy/config/demo"), "MENTIONFLOW_LOG_JSON": "false",
                   "MENTIONFLOW_CONSOLE__INSECURE_DEV_COOKIES": "true", "MENTIONFLOW_KAFKA__TOPIC_PREFIX": f"{name}."}
            LOG.parent.mkdir(parents=True, exist_ok=True)
            with LOG.open("wb") as log:  # the console's own log, kept out of the figures printed
                console = await asyncio.create_subprocess_exec(sys.executable, "-m", "mentionflow_console.main",
                                                               env=env, stdout=log, stderr=log)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
                for _ in range(600):
                    with contextlib.suppress(httpx.TransportError):
                        if (await client.get("/readyz")).status_code == 200:
                            break
                    await asyncio.sleep(0.1)
                await _login(client, "bench-lead", "bench password 1")
                page = f"/analytics/{BRAND}/report?month={MONTH}"
                first = await _time(client, page, 1)
                warm = await _time(client, page, RUNS)
                bearer = {"Authorization": f"Bearer {token}"}
                api = await _time(client, f"/api/v1/analytics/{BRAND}", RUNS, headers=bearer,
                                  params={"start": "2026-03-01", "end": "2026-03-31"})
                pdf = await _time(client, f"/api/v1/analytics/{BRAND}/report.pdf", 1, headers=bearer,
                                  params={"month": MONTH})
            result.update({
                "report_page_first_s": round(first[0], 3), "report_page_median_s": round(statistics.median(warm), 3),
                "report_page_max_s": round(max(warm), 3), "api_figures_median_s": round(statistics.median(api), 3),
                "pdf_s": round(pdf[0], 3), "target_s": TARGET_S,
                "within_target": statistics.median(warm) <= TARGET_S, "runs": RUNS, "month": MONTH,
                "machine": f"{os.cpu_count()} CPUs", "queries_alone_s": await _queries_alone(dsn)})
            result["insert_s"] = round(result["insert_s"], 1)
            result["vacuum_analyze_s"] = round(result["vacuum_analyze_s"], 1)
            result["catch_up_s"] = round(result["catch_up_s"], 1)
            return result
        finally:
            if console is not None and console.returncode is None:
                console.send_signal(signal.SIGTERM)
                await asyncio.wait_for(console.wait(), 30)
            await drop_database(server_dsn, name)


if __name__ == "__main__":
    figures = asyncio.run(main())
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
