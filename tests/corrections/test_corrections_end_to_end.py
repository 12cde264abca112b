"""Learning from corrections, end to end on the real broker and database: corrections made in
the console API → labels.corrected → the classify process's adapter → the next similar
mention of that brand is classified differently, another brand's results stay byte-identical;
the same after kill -9 of classify and after a second replica joins (and the first dies);
invalid events go to the DLQ without touching the adapter; `mentionflow model adapters reset`
undoes it all."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mentionflow.events import decode, encode, make_envelope
from mentionflow.events.labels_corrected import LabelCorrected
from mentionflow.events.mentions_raw import Author, Mention, MentionReceived, mention_id
from mentionflow.settings import KafkaSettings
from mentionflow_tools.infra.processes import free_port

from tests.conftest import TEST_PARTITIONS
from tests.console.factories import insert_item
from tests.helpers import eventually, produce, read_all, wait_ready

# Neutral to the shared model ("other"); brand-a's community managers want them as complaints
# (its vans blocking streets are a known grievance there).
PATTERN = ["@{b} saw your van parked on our street", "@{b} your van parked on our street today",
           "@{b} another of your vans on our street"]
PROBE = "@{b} your van parked on our street this morning"
_numbers = itertools.count(1)


class ClassifyProcess:
    """`python -m mentionflow_classify.main` on the test's topics; log in `log_path`."""

    def __init__(self, kafka: KafkaSettings, log_path: Path) -> None:
        self.port = free_port()
        self.log_path = log_path
        env = {**os.environ, "MENTIONFLOW_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
               "MENTIONFLOW_KAFKA__TOPIC_PREFIX": kafka.topic_prefix,
               "MENTIONFLOW_KAFKA__PARTITIONS_OVERRIDE": str(TEST_PARTITIONS),
               "MENTIONFLOW_HTTP__PORT": str(self.port), "MENTIONFLOW_RUNNER__SESSION_TIMEOUT_MS": "6000",
               "MENTIONFLOW_RUNNER__HEARTBEAT_INTERVAL_MS": "500"}
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen([sys.executable, "-m", "mentionflow_classify.main"], env=env,
                                        stdout=self._log, stderr=subprocess.STDOUT)

    async def ready(self) -> None:
        await wait_ready(self.port, what=f"classify on {self.port} ready")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(self.process.wait, 10)
        self._log.close()

    async def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            await asyncio.to_thread(self.process.wait, 20)
        self._log.close()
        return self.process.returncode


def mention(brand: str, text: str) -> Any:
    n = next(_numbers)
    external_id = f"probe-{n}"
    now = datetime.now(UTC)
    m = Mention(id=mention_id("x", external_id, brand), external_id=external_id, brand_id=brand,
                account_handle=brand, author=Author(id=str(n), handle=f"u{n}"), text=text, lang="en",
                created_at=now, received_at=now, source="generator")
    return make_envelope("mentions.raw", MentionReceived(mention=m), brand_id=brand, correlation_id=m.id)


async def classify(kafka: KafkaSettings, brand: str, text: str) -> Any:
    """Send one new mention and return its classification (as classify produced it)."""
    event = mention(brand, text)
    await produce(kafka, "mentions.raw", [(brand.encode(), encode(event))])
    wanted = event.payload.mention.id
    found: list[Any] = []

    async def classified() -> bool:
        records = await read_all(kafka, kafka.physical("mentions.classified"), expect=10**6, timeout_s=0.5)
        found[:] = [c.payload.classification for c in (decode("mentions.classified", r.value) for r in records)
                    if c.payload.mention.id == wanted]
        return bool(found)

    await eventually(classified, timeout_s=60, what=f"mention {wanted} classified")
    return found[0]


async def learnt(kafka: KafkaSettings, brand: str, text: str, category: str) -> Any:
    """Classify new mentions of `text` until one comes out as `category` (corrections are
    folded asynchronously); returns that classification."""
    last: list[Any] = []

    async def changed() -> bool:
        last[:] = [await classify(kafka, brand, text)]
        return last[0].category == category

    await eventually(changed, timeout_s=60, what=f"{brand}'s mention classified {category}")
    return last[0]


def mentionflow(kafka: KafkaSettings, *args: str) -> str:
    command = [sys.executable, "-m", "mentionflow_tools.cli.main", "model", "adapters", *args,
               "--bootstrap-servers", kafka.bootstrap_servers, "--topic-prefix", kafka.topic_prefix]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_corrections_teach_one_brand_and_survive_kill_and_rebalance(console, tmp_path: Path) -> None:
    kafka = console.kafka
    other_text = PROBE.format(b="brand-b")
    first = ClassifyProcess(kafka, tmp_path / "classify-1.log")
    replicas = [first]
    try:
        await first.ready()
        before = await classify(kafka, "brand-a", PROBE.format(b="brand-a"))
        other_before = (await classify(kafka, "brand-b", other_text)).model_dump_json()
        assert before.category == "other"

        # A community manager corrects three such mentions of brand-a in the console.
        async with console.client("agent-a") as agent:
            for text in PATTERN:
                item = await insert_item(console.pool, brand="brand-a", text=text.format(b="brand-a"),
                                         category="other")
                response = await agent.post(f"/api/v1/items/{item}/label-correction", json={"category": "complaint"})
                assert response.status_code == 202, response.text

        after = await learnt(kafka, "brand-a", PROBE.format(b="brand-a"), "complaint")
        assert after.model_version == f"{before.model_version}+brand-a:3"
        assert after.reasons[0] == "adapter:category:other->complaint"
        assert (await classify(kafka, "brand-b", other_text)).model_dump_json() == other_before

        # Invalid corrections: dead-lettered with the reason, the adapter unchanged.
        good = LabelCorrected(correction_id="c-x", brand_id="brand-a", kind="correction", mention_id="m-x",
                              text="@brand-a van on our street", new_category="praise", corrected_by="agent-a")
        wrong_brand = make_envelope("labels.corrected", good, brand_id="brand-b", correlation_id="m-x")
        bad_label = json.loads(encode(make_envelope("labels.corrected", good, brand_id="brand-a",
                                                    correlation_id="m-x")))
        bad_label["payload"]["new_category"] = "angry"
        await produce(kafka, "labels.corrected", [(b"brand-b", encode(wrong_brand)),
                                                  (b"brand-a", json.dumps(bad_label).encode())])
        dead = await read_all(kafka, kafka.physical("labels.corrected.dlq"), expect=2)
        reasons = [dict(r.headers)["dlq.error.message"].decode() for r in dead]
        assert len(dead) == 2
        assert any("new_category" in r for r in reasons) and any("differs from the envelope" in r for r in reasons)
        # The operator's view folds the topic with the very code classify runs: neither counted.
        listed = mentionflow(kafka, "list")
        assert "brand-a\t3\t3\t0\t" in listed and "brand-b" not in listed
        assert (await classify(kafka, "brand-a", PROBE.format(b="brand-a"))).model_version == after.model_version

        # kill -9: the restarted process rebuilds the adapter from the topic before classifying.
        await first.kill()
        restarted = ClassifyProcess(kafka, tmp_path / "classify-2.log")
        replicas.append(restarted)
        await restarted.ready()
        again = await classify(kafka, "brand-a", PROBE.format(b="brand-a"))
        assert (again.category, again.model_version) == ("complaint", after.model_version)
        assert (await classify(kafka, "brand-b", other_text)).model_dump_json() == other_before

        # A second replica joins (a rebalance), then the first dies: the newcomer, which took
        # over every partition, classifies with the same adapter.
        joiner = ClassifyProcess(kafka, tmp_path / "classify-3.log")
        replicas.append(joiner)
        await joiner.ready()

        async def joined() -> bool:
            return "classify assigned" in joiner.log() and restarted.log().count("classify assigned") >= 2

        await eventually(joined, timeout_s=60, what="the second replica took part of the partitions")
        joined_result = await classify(kafka, "brand-a", PROBE.format(b="brand-a"))
        assert (joined_result.category, joined_result.model_version) == ("complaint", after.model_version)
        await restarted.kill()
        alone = await classify(kafka, "brand-a", PROBE.format(b="brand-a"))
        assert (alone.category, alone.model_version) == ("complaint", after.model_version)
        assert (await classify(kafka, "brand-b", other_text)).model_dump_json() == other_before

        # The operator's view, then a reset undoes it (and is itself a version).
        shown = json.loads(mentionflow(kafka, "show", "brand-a"))
        assert shown["version"] == 3 and shown["bias"]["category"]["complaint"] > 0
        assert "reset of brand-a produced" in mentionflow(kafka, "reset", "brand-a", "--by", "tests")
        undone = await learnt(kafka, "brand-a", PROBE.format(b="brand-a"), "other")
        assert undone.model_version == f"{before.model_version}+brand-a:4"
        assert undone.model_dump_json(exclude={"model_version"}) == before.model_dump_json(exclude={"model_version"})
        assert "brand-a\t4\t3\t1\t0" in mentionflow(kafka, "list")
    finally:
        for replica in replicas:
            if replica.process.poll() is None:
                await replica.stop()
