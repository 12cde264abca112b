"""The faults, one per scenario. Each is an async function of the harness that acts while the
scenario's mentions stream in, and returns once the fault is undone (the process restarted,
the broker back, the outage over)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bench.chaos.harness import SESSION_TIMEOUT_MS, Harness

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


async def sigstop_rebalance(harness: Harness) -> None:
    """SIGSTOP one classify replica past its session timeout: the group hands its partitions to
    the other replica; SIGCONT then: its stale batch must not commit over the new owner's."""
    target = harness.services["classify-1"]
    await harness.at_fraction(harness.random_fraction(0.2, 0.4))
    async with harness.fault_window():
        target.pause()
        try:
            await asyncio.sleep(SESSION_TIMEOUT_MS / 1000 * 1.5 + 3)
        finally:
            target.resume()


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


SCENARIOS: dict[str, Fault] = {
    "baseline (no fault)": no_fault,
    "kill -9 ingest": kill_service_twice("ingest"),
    "kill -9 classify": kill_service_twice("classify-1"),
    "kill -9 routing": kill_service_twice("routing"),
    "kill -9 publish": kill_service_twice("publish"),
    "kill -9 broker": kill_broker,
    "restart postgresql": restart_postgres,
    "sigstop rebalance": sigstop_rebalance,
    "x api 429/5xx for a minute": x_outage,
}
