"""The faults, one per scenario. Each is an async function of the harness that acts while the
scenario's mentions stream in, and returns once the fault is undone (the process restarted,
the broker back, the outage over)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bench.chaos.harness import SESSION_TIMEOUT_MS, Harness
from bench.chaos.processes import CpuHog

log = logging.getLogger(__name__)

Fault = Callable[[Harness], Awaitable[None]]


async def no_fault(harness: Harness) -> None:
    return None


def kill_service_twice(name: str) -> Fault:
    """kill -9 the service at two random points of the stream; restart it right after each."""

    async def fault(harness: Harness) -> None:
        for low, high in ((0.1, 0.45), (0.55, 0.9)):
            await harness.at_fraction(harness.random_fraction(low, high))
            async with harness.fault_window():
                harness.services[name].kill9()
                await asyncio.sleep(harness.random_fraction(0.2, 1.5))  # a supervisor's restart delay
                await harness.restart(name)

    return fault


SCHEDULED_POSTS = 60


def kill_publish_with_posts(posts: int = SCHEDULED_POSTS) -> Fault:
    """kill -9 publish twice while replies and `posts` scheduled brand posts (some threads) fall
    due: every part posted once (none lost, none twice), a cut one reconciled after the restart."""
    kill = kill_service_twice("publish")

    async def fault(harness: Harness) -> None:
        await harness.schedule_posts(posts)
        await kill(harness)

    return fault


async def kill_broker(harness: Harness) -> None:
    """kill -9 one of the three brokers; the other two keep min.insync.replicas=2; restart it."""
    from mentionflow_tools.infra.kafka import kill_node, start_node, wait_node_ready

    cluster = harness.kafka_cluster
    if cluster is None:
        raise RuntimeError("the broker scenario needs the harness's own 3-broker cluster")
    node = cluster.nodes[harness.rng.randrange(len(cluster.nodes))]
    await harness.at_fraction(harness.random_fraction(0.15, 0.4))
    log.info("killing broker %d", node.node_id)
    async with harness.fault_window():
        await asyncio.to_thread(kill_node, node)
        await harness.at_fraction(harness.random_fraction(0.6, 0.8))
        await asyncio.sleep(5.0)  # down for a while even when the stream is fast
        await asyncio.to_thread(start_node, cluster, node)
        await asyncio.to_thread(wait_node_ready, node, timeout_s=180)
    log.info("broker %d back", node.node_id)


async def restart_postgres(harness: Harness) -> None:
    """Stop PostgreSQL (fast shutdown: connections are cut), keep it down a few seconds, start it."""
    postgres = harness.postgres
    if postgres is None:
        raise RuntimeError("the PostgreSQL scenario needs the harness's own PostgreSQL")
    await harness.at_fraction(harness.random_fraction(0.2, 0.5))
    async with harness.fault_window():
        await asyncio.to_thread(postgres.stop, "fast")
        await asyncio.sleep(5.0)
        await asyncio.to_thread(postgres.start)


async def sigstop_rebalance(harness: Harness, name: str = "classify-1") -> None:
    """SIGSTOP one classify replica past its session timeout: the group hands its partitions to
    the other replica; SIGCONT then: its stale batch must not commit over the new owner's."""
    target = harness.services[name]
    await harness.at_fraction(harness.random_fraction(0.2, 0.4))
    async with harness.fault_window():
        target.pause()
        try:
            await asyncio.sleep(SESSION_TIMEOUT_MS / 1000 * 1.5 + 3)
        finally:
            target.resume()


async def cpu_pressure(harness: Harness) -> None:
    """Four busy processes beside the services for the whole scenario (load ≥ 4 on 2 cores),
    recovery included; inside it a kill -9 of one classify replica and a SIGSTOP of the other
    past its session timeout (the two faults of the livelock of issue 16)."""
    hog = CpuHog(4)
    hog.start()
    harness.until_scenario_end(hog.stop)
    await harness.at_fraction(harness.random_fraction(0.1, 0.2))
    async with harness.fault_window():
        harness.services["classify-1"].kill9()
        await asyncio.sleep(harness.random_fraction(0.2, 1.5))
        await harness.restart("classify-1")
    await sigstop_rebalance(harness, "classify-2")


async def scale_storm(harness: Harness) -> None:
    """classify and routing scaled 1 → 3 → 1 replicas five times while the mentions stream in:
    ten rebalances of each group, partitions moving with their state."""
    services = ("classify", "routing")
    await asyncio.gather(*(harness.scale(name, 1) for name in services))
    for cycle in range(5):
        await harness.at_fraction(cycle / 5)
        await asyncio.gather(*(harness.scale(name, 3) for name in services))
        await asyncio.gather(*(harness.scale(name, 1) for name in services))


async def x_outage(harness: Harness) -> None:
    """The fake X API answers 429 and 5xx (some after posting) to publish for a minute."""
    assert harness.x_state is not None
    await harness.at_fraction(0.05)
    async with harness.fault_window():
        harness.x_state.start_outage(harness.config.x_outage_s)
        try:
            await asyncio.sleep(harness.config.x_outage_s)
        finally:
            harness.x_state.end_outage()


SOAK_RSS_GROWTH = 0.10


async def soak(harness: Harness) -> None:
    """No fault, a long stream (`make chaos SOAK=1`): every service's resident memory after
    warm-up (a tenth of the stream) and at the end of the stream may grow by 10 % at most, and
    no service logs an error meanwhile."""
    await harness.at_fraction(0.1)
    services = {name: s for name, s in harness.services.items() if s.running()}
    warm = {name: s.rss_bytes() for name, s in services.items()}
    errors = {name: s.error_lines() for name, s in services.items()}
    await harness.at_fraction(1.0)
    for name, service in services.items():
        after = service.rss_bytes()
        if warm[name] and after > warm[name] * (1 + SOAK_RSS_GROWTH):
            harness.fail(f"{name}: RSS grew {after / warm[name] - 1:.0%} after warm-up "
                         f"({warm[name] >> 20} → {after >> 20} MiB)")
        logged = service.error_lines() - errors[name]
        if logged:
            harness.fail(f"{name}: {logged} error log lines during the soak")


SCENARIOS: dict[str, Fault] = {
    "baseline (no fault)": no_fault,
    "kill -9 ingest": kill_service_twice("ingest"),
    "kill -9 classify": kill_service_twice("classify-1"),
    "kill -9 routing": kill_service_twice("routing"),
    "kill -9 publish": kill_publish_with_posts(),
    "kill -9 broker": kill_broker,
    "restart postgresql": restart_postgres,
    "sigstop rebalance": sigstop_rebalance,
    "x api 429/5xx for a minute": x_outage,
    "cpu pressure": cpu_pressure,
    "scale storm": scale_storm,
}
