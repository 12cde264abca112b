"""The chaos harness, short: 2,000 mentions, 50 replies and 60 scheduled brand posts (some
threads) on a 3-broker cluster while publish is killed twice, a broker is killed and restarted,
and a classify replica is SIGSTOPped past its session timeout. Nothing lost, nothing duplicated,
no reply or post posted twice, lag back to 0, the DLQs hold exactly the injected poison.
(`make chaos` is the long version.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.chaos.harness import ChaosConfig, Harness
from bench.chaos.poison import CONSUMED_TOPICS
from bench.chaos.scenarios import SCENARIOS, SCHEDULED_POSTS

SHORT = ("kill -9 publish", "kill -9 broker", "sigstop rebalance")
MENTIONS = 2000
REPLIES = 50


@pytest.mark.slow
async def test_short_chaos_loses_duplicates_and_double_posts_nothing(postgres_dsn: str, tmp_path: Path) -> None:
    config = ChaosConfig(work_dir=tmp_path / "chaos", postgres_admin_dsn=postgres_dsn, stream_s=8.0,
                         recovery_timeout_s=90.0, seed=11)
    results = []
    async with Harness(config) as harness:
        for index, name in enumerate(SHORT):
            count = MENTIONS // len(SHORT) + (1 if index < MENTIONS % len(SHORT) else 0)
            replies = REPLIES // len(SHORT) + (1 if index < REPLIES % len(SHORT) else 0)
            results.append(await harness.run_scenario(name, SCENARIOS[name], mentions=count, replies=replies))
        final = await harness.final_checks()
        publish_incarnations = harness.services["publish"].incarnation
        assert harness.kafka_cluster is not None
        restarted_broker = [n for n in harness.kafka_cluster.nodes if n.log_offset > 0]
        takeover_log = "\n".join(p.read_text(errors="replace") for p in harness.services["classify-2"].log_files())

    # The faults really happened.
    assert publish_incarnations == 3, "publish was killed twice and restarted twice"
    assert len(restarted_broker) == 1, "one broker was killed and restarted"
    assert takeover_log.count("classify assigned") >= 2, "the paused replica's partitions moved to the other"

    for result in results:
        row = result.row()
        assert result.recovery_s is not None, row
        assert (result.lost, result.duplicates, result.double_replies, result.replies_lost) == (0, 0, 0, 0), row
        assert (result.posts_lost, result.double_posts) == (0, 0), row
        assert result.poison_in_dlq == result.poison_injected == len(CONSUMED_TOPICS), row  # one per consumed topic
        assert result.dlq_unexpected == 0, row
        assert set(result.lag.values()) == {0}, row
    assert sum(r.mentions for r in results) == final["mentions"] == MENTIONS
    assert [r.posts for r in results] == [SCHEDULED_POSTS, 0, 0], "the publish scenario schedules the posts"
    assert final["posts"] == SCHEDULED_POSTS and (final["posts_lost"], final["double_posts"]) == (0, 0)
    assert final["replies"] == REPLIES and final["posts_on_x"] == REPLIES + final["post_parts"]
    assert (final["lost"], final["duplicates"], final["unexpected_queue_rows"], final["double_replies"]) == (0, 0, 0, 0)
    assert final["dlq_unexpected"] == []
