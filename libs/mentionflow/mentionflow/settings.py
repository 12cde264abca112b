"""Settings shared by every service: Kafka, PostgreSQL, HTTP, runner limits.

12-factor: environment variables with prefix MENTIONFLOW_ and `__` for nesting
(MENTIONFLOW_KAFKA__BOOTSTRAP_SERVERS). Settings objects are frozen and built in main(),
never at import time, so tests build their own.
"""

from __future__ import annotations

import ssl
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values people paste from examples; refusing them at start-up beats running with them.
_PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "password", "xxx", "todo"}


class KafkaSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    bootstrap_servers: str = "127.0.0.1:9092"
    client_id_prefix: str = "mentionflow"
    # Several environments (or test runs) can share one cluster: every physical topic name is
    # the registry name behind this prefix, e.g. "staging." → "staging.mentions.raw".
    topic_prefix: str = Field(default="", pattern=r"^[A-Za-z0-9._-]*$")
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    ssl_check_hostname: bool = True
    # Topic creation at start-up (the registry decides names and partitions).
    replication_factor: int = Field(default=1, ge=1)
    min_insync_replicas: int = Field(default=1, ge=1)
    partitions_override: int | None = Field(default=None, ge=1, description="tests use fewer")

    @model_validator(mode="after")
    def _sasl_complete(self) -> KafkaSettings:
        if self.security_protocol.startswith("SASL"):
            if not (self.sasl_mechanism and self.sasl_username and self.sasl_password):
                raise ValueError(
                    f"security_protocol={self.security_protocol} needs sasl_mechanism, "
                    "sasl_username and sasl_password"
                )
            if self.sasl_password.get_secret_value().lower() in _PLACEHOLDER_SECRETS:
                raise ValueError("sasl_password is a placeholder value; set the real secret")
        if self.min_insync_replicas > self.replication_factor:
            raise ValueError("min_insync_replicas cannot exceed replication_factor")
        return self

    def physical(self, topic_name: str) -> str:
        return self.topic_prefix + topic_name

    def logical(self, physical_name: str) -> str:
        if not physical_name.startswith(self.topic_prefix):
            raise ValueError(f"topic {physical_name!r} lacks the prefix {self.topic_prefix!r}")
        return physical_name[len(self.topic_prefix):]

    def client_kwargs(self) -> dict[str, Any]:
        """Connection options shared by aiokafka producers, consumers and admin clients."""
        kwargs: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": self.security_protocol,
        }
        if self.security_protocol in ("SSL", "SASL_SSL"):
            context = ssl.create_default_context(cafile=self.ssl_cafile)
            context.check_hostname = self.ssl_check_hostname
            if self.ssl_certfile:
                context.load_cert_chain(self.ssl_certfile, self.ssl_keyfile)
            kwargs["ssl_context"] = context
        if self.security_protocol.startswith("SASL"):
            assert self.sasl_password is not None  # checked by the validator
            kwargs["sasl_mechanism"] = self.sasl_mechanism
            kwargs["sasl_plain_username"] = self.sasl_username
            kwargs["sasl_plain_password"] = self.sasl_password.get_secret_value()
        return kwargs


class PostgresSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    dsn: SecretStr = SecretStr("postgresql://postgres@127.0.0.1:5432/mentionflow")
    pool_min_size: int = Field(default=1, ge=0)
    pool_max_size: int = Field(default=10, ge=1)
    command_timeout_s: float = Field(default=30.0, gt=0)


class HttpSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)


class RunnerSettings(BaseModel):
    """Limits of the one consumer loop every service uses."""

    model_config = ConfigDict(frozen=True)

    max_batch: int = Field(default=500, ge=1, description="records per partition per batch")
    fetch_timeout_ms: int = Field(default=200, ge=1)
    # A caught-up consumer whose fetches return as soon as one record is there makes a request
    # (and a batch, and a commit) for every few records. Waiting for 64 kB or 10 ms made each
    # stage alone in `make bench` faster (routing 9.9k -> 13.7-14.1k mentions/s, publish
    # 10.0k -> 10.8-12.1k), for 10 ms at most per hop at low load (p99 at 1,000/s 30-39 -> 60-65 ms).
    fetch_min_bytes: int = Field(default=64 * 1024, ge=1, description="a fetch waits for this much data...")
    fetch_max_wait_ms: int = Field(default=10, ge=0, description="...or this long")
    dlq_max_consecutive: int = Field(default=100, ge=1, description="stop after this many in a row")
    dlq_max_ratio: float = Field(default=0.5, gt=0, le=1, description="stop above this ratio...")
    dlq_ratio_window: int = Field(default=1000, ge=10, description="...over this many messages")
    retry_initial_s: float = Field(default=0.2, gt=0)
    retry_max_s: float = Field(default=10.0, gt=0)
    shutdown_timeout_s: float = Field(default=10.0, gt=0)
    session_timeout_ms: int = Field(default=10_000, ge=1000)
    heartbeat_interval_ms: int = Field(default=3_000, ge=100)
    max_poll_interval_ms: int = Field(default=300_000, ge=1000)
    group_instance_id: str | None = Field(
        default=None, description="static group membership (KIP-345): unique per replica, stable across restarts"
    )


class ServiceSettings(BaseSettings):
    """Base of every service's settings; a service subclasses it to add its own."""

    model_config = SettingsConfigDict(
        env_prefix="MENTIONFLOW_", env_nested_delimiter="__", frozen=True, extra="ignore"
    )

    startup_wait_s: float = Field(default=60.0, gt=0, description="how long Kafka/PostgreSQL may take to answer")
    instance_id: str = Field(default="", description="defaults to host:pid")
    log_level: str = "INFO"
    log_json: bool = True
    kafka: KafkaSettings = KafkaSettings()
    postgres: PostgresSettings = PostgresSettings()
    http: HttpSettings = HttpSettings()
    runner: RunnerSettings = RunnerSettings()

    @field_validator("log_level")
    @classmethod
    def _level_name(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"unknown log level {value!r}")
        return value

    def redacted(self) -> dict[str, Any]:
        """The settings as a dict safe to log: every secret shown as '**********'."""
        return self.model_dump(mode="json")
