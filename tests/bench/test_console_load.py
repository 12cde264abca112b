"""`make console-load` in miniature, and its accounting.

The short run is the real thing scaled down: classify, routing, publish and the console as
processes on the test stack, 20 CM sessions logged in through the login form holding their
live streams while 100 mentions/s arrive for 10 s. It asserts behaviour (every owed live update
arrived, no session saw another brand's item, every figure was produced), not timings.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from bench.console_load.commits import RowRegistry
from bench.console_load.figures import SessionRecord, account_session, brand_array, summarise, table
from bench.console_load.run import LoadConfig, brands_of, run_console_load
from bench.console_load.sessions import split_events
from bench.e2e.services import Endpoints

# ---- the pieces, without infrastructure ------------------------------------------------


def test_server_sent_events_are_split_as_a_browser_reads_them() -> None:
    buffer = (b"retry: 2000\n\n: keepalive\n\nid: 2026-01-01T00:00:00+00:00\nevent: item\ndata: {\"a\": 1}\n\n"
              b"event: item\ndata: line one\ndata: line two\n\nid: 7\nevent: item\ndata: {\"b\"")
    events, rest = split_events(buffer)

    assert [(e.event, e.data, e.event_id) for e in events] == [
        ("item", b'{"a": 1}', "2026-01-01T00:00:00+00:00"), ("item", b"line one\nline two", None)]
    assert rest == b'id: 7\nevent: item\ndata: {"b"'
    more, rest = split_events(rest + b": 2}\n\n")
    assert [(e.data, e.event_id) for e in more] == [(b'{"b": 2}', "7")] and rest == b""


def _registry(rows: list[tuple[str, str, float]]) -> RowRegistry:
    registry = RowRegistry()
    for item_id, brand, at in rows:
        registry.committed(item_id, brand, at, updated_at=at - 0.01)  # the transaction began just before
    return registry


def _received(registry: RowRegistry, arrivals: dict[str, float]) -> np.ndarray:
    received = np.full(len(registry), math.nan)
    for item_id, at in arrivals.items():
        received[registry.index(item_id)] = at
    return received


def test_a_session_is_owed_the_rows_of_its_brands_committed_after_it_asked_for_the_page() -> None:
    registry = _registry([("before", "hexafone", 99.0), ("a", "hexafone", 101.0), ("b", "hexafone", 102.0),
                          ("other", "skylark", 103.0), ("c", "bouffego", 104.0)])
    session = SessionRecord("cm", frozenset({"hexafone", "bouffego"}), window_start=100.0,
                            received_at=_received(registry, {"before": 99.5, "a": 101.25, "c": 104.5}))

    result = account_session(registry.commit_times(), brand_array(registry.brands), session)

    assert (result.expected, result.received) == (3, 2)  # a, b, c; not `before`, not skylark's row
    assert [registry.ids()[i] for i in result.missing] == ["b"]
    assert sorted(np.round(result.delays_s, 3)) == [0.25, 0.5]


def test_rows_whose_commit_was_not_seen_are_owed_to_nobody_and_a_short_array_means_not_received() -> None:
    registry = _registry([("a", "hexafone", 101.0)])
    registry.index("seen-only-by-a-session")  # a row from before the commit log: commit time unknown
    registry.committed("b", "hexafone", 102.0, updated_at=101.9)
    session = SessionRecord("cm", frozenset({"hexafone"}), 100.0, received_at=np.array([101.5]))

    result = account_session(registry.commit_times(), brand_array(registry.brands), session)

    assert (result.expected, result.received) == (2, 1)
    assert [registry.ids()[i] for i in result.missing] == ["b"]


def test_a_missing_row_the_stream_left_behind_is_told_from_one_it_had_not_reached() -> None:
    registry = _registry([("old", "hexafone", 101.0), ("recent", "hexafone", 198.0), ("got", "hexafone", 199.0)])
    behind = SessionRecord("cm", frozenset({"hexafone"}), 100.0, _received(registry, {"got": 199.5}),
                           cursor_at=199.0)

    result = account_session(registry.commit_times(), brand_array(registry.brands), behind,
                             registry.updated_times())

    # `old` is more than the console's late-commit window behind the cursor: it can never come.
    assert (len(result.missing), result.passed) == (2, 1)


def test_the_summary_counts_drops_per_session_and_the_table_shows_them() -> None:
    registry = _registry([("a", "hexafone", 1.0), ("b", "skylark", 2.0)])
    commit_at, brands = registry.commit_times(), brand_array(registry.brands)
    complete = SessionRecord("cm-1", frozenset({"hexafone"}), 0.0, _received(registry, {"a": 1.1}))
    dropping = SessionRecord("cm-2", frozenset({"hexafone", "skylark"}), 0.0, _received(registry, {"a": 1.3}))

    live = summarise([account_session(commit_at, brands, s) for s in (complete, dropping)], foreign=0,
                     ids=registry.ids())

    assert (live.expected, live.received, live.dropped, live.sessions_with_drops) == (3, 2, 1, 1)
    assert (live.dropped_passed, live.dropped_not_reached) == (0, 1)  # no updated_at given: nothing is "passed"
    assert live.dropped_examples == ["cm-2: b"]
    assert live.delay_samples == 2 and live.delay_ms is not None
    assert live.delay_ms["p50"] == pytest.approx(200.0)
    shown = table({"sessions": 2, "mentions_offered": 2, "offered_load_per_s": 1.0, "duration_s": 2.0,
                   "replay_rate_per_s": 1.0, "page_ms": {"p50": 5.0, "count": 1, "errors": 0},
                   "api_ms": {"count": 0, "errors": 1}, "streams": {"reconnects": 0},
                   "live_updates": {**live.__dict__}})
    assert "dropped 1 (1 sessions;" in shown and "row commit -> live update" in shown


def test_scale_comes_from_the_environment_and_nonsense_is_refused_by_name() -> None:
    config = LoadConfig.from_env({"CONSOLE_LOAD_SESSIONS": "20", "CONSOLE_LOAD_RATE": "100", "CONSOLE_LOAD_S": "10"})
    assert (config.sessions, config.rate_per_s, config.duration_s, config.mentions) == (20, 100.0, 10.0, 1000)
    assert LoadConfig.from_env({}) == LoadConfig()
    with pytest.raises(ValueError, match="CONSOLE_LOAD_RATE"):
        LoadConfig.from_env({"CONSOLE_LOAD_RATE": "fast"})
    with pytest.raises(ValueError, match="CONSOLE_LOAD_SESSIONS"):
        LoadConfig.from_env({"CONSOLE_LOAD_SESSIONS": "0"})


def test_users_cover_every_brand_and_some_work_two() -> None:
    brands = ["hexafone", "skylark", "bouffego"]
    grants = [brands_of(n, brands) for n in range(8)]
    assert set().union(*grants) == set(brands)
    assert [len(g) for g in grants] == [1, 1, 1, 2, 1, 1, 1, 2]


# ---- the short run ---------------------------------------------------------------------

SHORT = LoadConfig(sessions=20, rate_per_s=100.0, duration_s=10.0, page_every_s=2.0, api_every_s=2.0,
                   settle_s=60.0, warmup_mentions=100)


@pytest.mark.slow
async def test_twenty_sessions_get_every_live_update_of_their_brands(kafka_bootstrap: str, postgres_dsn: str,
                                                                    tmp_path: Path) -> None:
    out = tmp_path / "console_load.json"
    result = await run_console_load(SHORT, Endpoints(kafka_bootstrap, postgres_dsn), out)
    print(table(result))

    assert result["problems"] == []
    assert result["mentions_offered"] == 1_000
    assert result["rows_committed"] == 1_000 and result["commit_log_missing"] == 0
    live = result["live_updates"]
    # Each session is owed every row of its one or two brands: about a third or two thirds of them.
    assert live["sessions"] == 20 and live["expected"] > 20 * 200
    assert live["dropped"] == 0, live["dropped_examples"]
    assert live["received"] == live["expected"] == live["delay_samples"]
    assert live["foreign"] == 0
    for block in (live["delay_ms"], result["page_ms"], result["api_ms"]):
        assert 0 < block["p50"] <= block["p95"] <= block["p99"], block
    assert result["page_ms"]["count"] >= 20 and result["api_ms"]["count"] >= 20  # the page loads and periodic reads
    assert result["page_ms"]["errors"] == result["api_ms"]["errors"] == 0
    assert result["login_ms"]["count"] == 20
    json.dumps(result)  # what __main__ writes
