"""Pure arithmetic of the console load test: which live updates each session was owed and got,
the commit → live delays, and the printed table. No I/O, so it is unit-tested directly."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from bench.e2e.stats import percentiles

# How far behind its cursor the console's live stream looks again for rows that committed late
# (LATE_COMMIT_WINDOW in services/console/mentionflow_console/live.py): a missing row older than
# that, relative to the cursor, can no longer arrive.
LATE_WINDOW_S = 5.0


@dataclass(frozen=True)
class SessionRecord:
    """What one session did: its brands, since when rows had to reach it live, and the first
    arrival of each row (by RowRegistry index; NaN: never)."""

    username: str
    brands: frozenset[str]
    window_start: float
    received_at: np.ndarray
    foreign: int = 0
    cursor_at: float = float("nan")  # the live stream's last cursor (seconds since the epoch)


@dataclass(frozen=True)
class SessionAccount:
    username: str
    expected: int
    received: int
    missing: list[int]  # RowRegistry indexes of rows owed but never received
    delays_s: np.ndarray  # commit → first arrival of each received owed row
    passed: int  # of the missing: rows the stream's cursor had left behind for good


def brand_array(brands: Sequence[str | None]) -> np.ndarray:
    """The registry's brands as an array (unknown: ""), for vectorised masks."""
    return np.array([b or "" for b in brands], dtype=str)


def owed(commit_at: np.ndarray, brands: np.ndarray, session: SessionRecord) -> np.ndarray:
    """Mask of the rows a session must receive live: of its brands, committed after it asked for
    the queue page (the page's own snapshot cannot be relied on for them)."""
    of_brands = np.isin(brands, sorted(session.brands))
    with np.errstate(invalid="ignore"):  # NaN (commit unknown) compares False: not owed
        return of_brands & (commit_at >= session.window_start)


def account_session(commit_at: np.ndarray, brands: np.ndarray, session: SessionRecord,
                    updated_at: np.ndarray | None = None) -> SessionAccount:
    """`commit_at`, `brands` and `updated_at` (the rows' own timestamps, for telling a missing row
    the stream passed from one it had not reached yet) by RowRegistry index, the same length."""
    size = brands.size
    received_at = np.full(size, np.nan)
    received_at[:min(size, session.received_at.size)] = session.received_at[:size]
    mask = owed(commit_at, brands, session)
    got = mask & ~np.isnan(received_at)
    missing = mask & np.isnan(received_at)
    with np.errstate(invalid="ignore"):
        passed = 0 if updated_at is None else int((missing & (updated_at < session.cursor_at - LATE_WINDOW_S)).sum())
    return SessionAccount(
        username=session.username, expected=int(mask.sum()), received=int(got.sum()),
        missing=[int(i) for i in np.flatnonzero(missing)], delays_s=received_at[got] - commit_at[got], passed=passed)


@dataclass(frozen=True)
class LiveSummary:
    sessions: int
    expected: int  # (session, row) pairs owed
    received: int
    dropped: int  # owed and never received...
    dropped_passed: int  # ...of which the stream's cursor had passed (they could no longer come)
    dropped_not_reached: int  # ...of which the stream had not reached yet (the console was behind)
    sessions_with_drops: int
    foreign: int  # items of brands the session's user does not work
    delay_ms: dict[str, float] | None
    delay_samples: int
    dropped_examples: list[str]


def summarise(accounts: Iterable[SessionAccount], foreign: int, ids: Sequence[str]) -> LiveSummary:
    accounts = list(accounts)
    delays = np.concatenate([a.delays_s for a in accounts]) * 1000 if accounts else np.array([])
    examples = [f"{a.username}: {ids[i]}" for a in accounts for i in a.missing[:3]][:10]
    return LiveSummary(
        sessions=len(accounts), expected=sum(a.expected for a in accounts), received=sum(a.received for a in accounts),
        dropped=sum(len(a.missing) for a in accounts), dropped_passed=sum(a.passed for a in accounts),
        dropped_not_reached=sum(len(a.missing) - a.passed for a in accounts),
        sessions_with_drops=sum(1 for a in accounts if a.missing),
        foreign=foreign, delay_ms=_rounded(percentiles(delays)), delay_samples=int(delays.size),
        dropped_examples=examples)


def latency_block(values_ms: Sequence[float], errors: int) -> dict[str, object]:
    return {**(_rounded(percentiles(values_ms)) or {"p50": None, "p95": None, "p99": None}),
            "count": len(values_ms), "errors": errors}


def _rounded(figures: dict[str, float] | None) -> dict[str, float] | None:
    return None if figures is None else {k: round(v, 1) for k, v in figures.items()}


def table(result: dict) -> str:
    """The figures as the terminal shows them."""
    def cell(value: object) -> str:
        return "-" if value is None else f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"

    lines = [f"{result['sessions']} CM sessions, {result['mentions_offered']:,} mentions offered at "
             f"{result['offered_load_per_s']:,.0f}/s for {result['duration_s']:.0f} s "
             f"(replayed at {cell(result['replay_rate_per_s'])}/s)",
             f"{'':28}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'count':>10}{'errors':>8}"]
    live = result["live_updates"]
    rows = [("queue page (GET /)", result["page_ms"]), ("API list (GET /api/v1/items)", result["api_ms"]),
            ("row commit -> live update", {**(live["delay_ms"] or {}), "count": live["delay_samples"],
                                           "errors": None})]
    for name, block in rows:
        lines.append(f"{name:28}" + "".join(f"{cell(block.get(k)):>10}" for k in ("p50", "p95", "p99", "count"))
                     + f"{cell(block.get('errors')):>8}")
    lines.append(f"live updates: {live['received']:,} of {live['expected']:,} owed received, "
                 f"dropped {live['dropped']:,} ({live['sessions_with_drops']} sessions; "
                 f"{live['dropped_passed']:,} passed by the stream, {live['dropped_not_reached']:,} not reached), "
                 f"foreign {live['foreign']}; "
                 f"stream reconnects {result['streams']['reconnects']}")
    if result.get("cpu_share"):
        lines.append("CPU, share of one core from the traffic's start: "
                     + ", ".join(f"{name} {share:.2f}" for name, share in result["cpu_share"].items())
                     + f"; load client's loop lag p99 {result['client_loop_lag_ms'].get('p99', 0):,.0f} ms")
    return "\n".join(lines)
