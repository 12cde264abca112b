"""A real Apache Kafka broker (KRaft, combined broker+controller) from Maven Central jars.

One node for most tests; three for fault tests (replication 3, min.insync.replicas 2).
The jars are fetched once with `mvn` into a cache folder and reused offline afterwards.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from mentionflow_tools.infra.processes import alive, free_port, terminate, wait_until

KAFKA_VERSION = "3.9.2"
SCALA_VERSION = "2.13"
# Kafka 3.9 ships no logging backend in its POM: reload4j speaks the log4j 1 config below.
_LOGGING_ARTIFACTS = [("org.slf4j", "slf4j-reload4j", "1.7.36"), ("ch.qos.reload4j", "reload4j", "1.2.25")]
HEAP = os.environ.get("MENTIONFLOW_KAFKA_HEAP", "512m")
STARTED_LINE = re.compile(r"Kafka Server started")
VERSION_LINE = re.compile(r"Kafka version: (\S+)")


def cache_dir() -> Path:
    root = os.environ.get("MENTIONFLOW_CACHE_DIR") or Path.home() / ".cache" / "mentionflow"
    return Path(root) / f"kafka_{SCALA_VERSION}-{KAFKA_VERSION}"


def fetch_jars() -> Path:
    """Download the broker and its runtime dependencies once; later calls return at once."""
    libs = cache_dir() / "libs"
    marker = cache_dir() / ".complete"
    if marker.exists():
        return libs
    deps = [("org.apache.kafka", f"kafka_{SCALA_VERSION}", KAFKA_VERSION), *_LOGGING_ARTIFACTS]
    dependencies = "".join(
        f"<dependency><groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version></dependency>"
        for g, a, v in deps
    )
    pom = (
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
        "<groupId>mentionflow.local</groupId><artifactId>kafka-broker</artifactId><version>1</version>"
        f"<packaging>pom</packaging><dependencies>{dependencies}</dependencies></project>"
    )
    with tempfile.TemporaryDirectory() as tmp:
        pom_path = Path(tmp) / "pom.xml"
        pom_path.write_text(pom)
        shutil.rmtree(libs, ignore_errors=True)
        subprocess.run(
            ["mvn", "-q", "-B", "-f", str(pom_path), "dependency:copy-dependencies",
             "-DincludeScope=runtime", f"-DoutputDirectory={libs}"],
            check=True,
        )
    marker.write_text(KAFKA_VERSION)
    return libs


@dataclass
class BrokerNode:
    node_id: int
    port: int
    controller_port: int
    directory: str
    pid: int = 0
    log_offset: int = 0  # size of the log when this incarnation started

    @property
    def log_file(self) -> Path:
        return Path(self.directory) / "broker.log"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


@dataclass
class KafkaCluster:
    directory: str
    cluster_id: str
    nodes: list[BrokerNode]

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(node.address for node in self.nodes)

    @property
    def replication_factor(self) -> int:
        return min(3, len(self.nodes))

    @property
    def min_insync_replicas(self) -> int:
        return 2 if len(self.nodes) >= 3 else 1

    def save(self) -> None:
        Path(self.directory, "cluster.json").write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, directory: Path) -> KafkaCluster:
        raw = json.loads((directory / "cluster.json").read_text())
        return cls(raw["directory"], raw["cluster_id"], [BrokerNode(**n) for n in raw["nodes"]])

    def broker_version(self) -> str | None:
        """The version the broker itself logged at start-up ("Kafka version: X")."""
        for node in self.nodes:
            if node.log_file.exists():
                match = VERSION_LINE.search(node.log_file.read_text(errors="replace"))
                if match:
                    return match.group(1)
        return None


def _properties(node: BrokerNode, cluster: KafkaCluster, voters: str) -> str:
    rf = cluster.replication_factor
    lines = {
        "process.roles": "broker,controller",
        "node.id": node.node_id,
        "controller.quorum.voters": voters,
        "listeners": f"PLAINTEXT://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{node.port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(Path(node.directory) / "data"),
        "num.partitions": 3,
        "default.replication.factor": rf,
        "min.insync.replicas": cluster.min_insync_replicas,
        "offsets.topic.replication.factor": rf,
        "offsets.topic.num.partitions": 6,
        "transaction.state.log.replication.factor": rf,
        "transaction.state.log.min.isr": cluster.min_insync_replicas,
        "transaction.state.log.num.partitions": 6,
        "group.initial.rebalance.delay.ms": 0,
        "auto.create.topics.enable": "false",
        "log.segment.bytes": 64 * 1024 * 1024,
        "num.network.threads": 2,
        "num.io.threads": 4,
    }
    return "".join(f"{key}={value}\n" for key, value in lines.items())


_LOG4J = """log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.org.apache.kafka.controller=INFO
"""


def _random_cluster_id() -> str:
    """Kafka's Uuid string form: URL-safe base64 of 16 random bytes, no padding.

    Like Kafka's own `Uuid.randomUuid`, an id starting with "-" is drawn again: one in 64
    would otherwise be read as an option by `StorageTool format -t <id>` and fail the format."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def start_cluster(directory: Path, nodes: int = 1, *, timeout_s: float = 120.0) -> KafkaCluster:
    """Format and start `nodes` brokers under `directory`; returns once all are serving."""
    if nodes not in (1, 3):
        raise ValueError("nodes must be 1 or 3")
    libs = fetch_jars()
    directory.mkdir(parents=True, exist_ok=True)
    cluster = KafkaCluster(str(directory), _random_cluster_id(), [])
    for node_id in range(1, nodes + 1):
        node_dir = directory / f"node{node_id}"
        shutil.rmtree(node_dir, ignore_errors=True)
        node_dir.mkdir(parents=True)
        cluster.nodes.append(BrokerNode(node_id, free_port(), free_port(), str(node_dir)))
    voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in cluster.nodes)
    for node in cluster.nodes:
        node_dir = Path(node.directory)
        (node_dir / "server.properties").write_text(_properties(node, cluster, voters))
        (node_dir / "log4j.properties").write_text(_LOG4J)
        subprocess.run(
            ["java", "-cp", f"{libs}/*", f"-Dlog4j.configuration=file:{node_dir / 'log4j.properties'}",
             "kafka.tools.StorageTool", "format", "-t", cluster.cluster_id,
             "-c", str(node_dir / "server.properties"), "--ignore-formatted"],
            check=True, capture_output=True, text=True,
        )
    for node in cluster.nodes:
        start_node(cluster, node, libs)
    cluster.save()
    for node in cluster.nodes:
        wait_node_ready(node, timeout_s=timeout_s)
    return cluster


def start_node(cluster: KafkaCluster, node: BrokerNode, libs: Path | None = None) -> None:
    """Start (or restart after a kill) one broker of the cluster."""
    libs = libs or fetch_jars()
    node_dir = Path(node.directory)
    node.log_offset = node.log_file.stat().st_size if node.log_file.exists() else 0
    log = open(node.log_file, "ab")  # noqa: SIM115 - handed to the child process
    process = subprocess.Popen(
        # C1 only (TieredStopAtLevel=1): these brokers live minutes to hours on a small machine, and
        # C2 spent the whole of a `make bench` run recompiling Kafka's hot paths, 0.1-0.3 of a core
        # (two fifths of the broker's CPU in the measured phase), for no faster request handling.
        ["java", f"-Xms{HEAP}", f"-Xmx{HEAP}", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:TieredStopAtLevel=1",
         "-Djava.awt.headless=true", f"-Dlog4j.configuration=file:{node_dir / 'log4j.properties'}",
         "-cp", f"{libs}/*", "kafka.Kafka", str(node_dir / "server.properties")],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
    )
    log.close()
    node.pid = process.pid
    cluster.save()


def wait_node_ready(node: BrokerNode, *, timeout_s: float) -> None:
    def started() -> bool:
        if not alive(node.pid):
            raise RuntimeError(f"Kafka node {node.node_id} exited during start-up; see {node.log_file}")
        # A restarted node appends to its log: only the part after its start counts.
        with open(node.log_file, "rb") as fh:
            fh.seek(node.log_offset)
            return bool(STARTED_LINE.search(fh.read().decode(errors="replace")))

    if not wait_until(started, timeout_s=timeout_s, interval_s=0.2):
        raise TimeoutError(f"Kafka node {node.node_id} not ready after {timeout_s}s; see {node.log_file}")


def kill_node(node: BrokerNode) -> None:
    """SIGKILL one broker (fault tests)."""
    import signal

    if node.pid and alive(node.pid):
        os.killpg(node.pid, signal.SIGKILL)
        wait_until(lambda: not alive(node.pid), timeout_s=10)


def stop_cluster(cluster: KafkaCluster, *, remove: bool = True) -> None:
    for node in cluster.nodes:
        if node.pid:
            terminate(node.pid, timeout_s=20)
    if remove:
        shutil.rmtree(cluster.directory, ignore_errors=True)
