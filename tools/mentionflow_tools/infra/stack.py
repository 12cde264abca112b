"""`infra up` / `infra down`: Kafka and PostgreSQL together, with their state in one folder."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from mentionflow_tools.infra.kafka import KafkaCluster, start_cluster, stop_cluster
from mentionflow_tools.infra.postgres import PostgresCluster, start_postgres, stop_postgres


@dataclass
class Stack:
    directory: Path
    kafka: KafkaCluster
    postgres: PostgresCluster

    def env(self) -> dict[str, str]:
        """Environment variables that point every service and test at this stack."""
        return {
            "MENTIONFLOW_KAFKA__BOOTSTRAP_SERVERS": self.kafka.bootstrap_servers,
            "MENTIONFLOW_KAFKA__REPLICATION_FACTOR": str(self.kafka.replication_factor),
            "MENTIONFLOW_KAFKA__MIN_INSYNC_REPLICAS": str(self.kafka.min_insync_replicas),
            "MENTIONFLOW_POSTGRES__DSN": self.postgres.dsn,
        }

    def write_env_file(self) -> Path:
        path = self.directory / "env"
        path.write_text("".join(f"export {k}={v}\n" for k, v in self.env().items()))
        return path


def up(directory: Path, nodes: int = 1) -> Stack:
    if (directory / "kafka" / "cluster.json").exists() or (directory / "postgres" / "postgres.json").exists():
        with contextlib.suppress(Exception):
            down(directory)
    directory.mkdir(parents=True, exist_ok=True)
    kafka = start_cluster(directory / "kafka", nodes)
    try:
        postgres = start_postgres(directory / "postgres")
    except Exception:
        stop_cluster(kafka)
        raise
    stack = Stack(directory, kafka, postgres)
    stack.write_env_file()
    return stack


def load(directory: Path) -> Stack:
    return Stack(directory, KafkaCluster.load(directory / "kafka"), PostgresCluster.load(directory / "postgres"))


def down(directory: Path) -> list[str]:
    """Stop whatever of the stack is running under `directory` and remove its data."""
    stopped = []
    if (directory / "kafka" / "cluster.json").exists():
        stop_cluster(KafkaCluster.load(directory / "kafka"))
        stopped.append("kafka")
    if (directory / "postgres" / "postgres.json").exists():
        stop_postgres(PostgresCluster.load(directory / "postgres"))
        stopped.append("postgres")
    (directory / "env").unlink(missing_ok=True)
    return stopped
