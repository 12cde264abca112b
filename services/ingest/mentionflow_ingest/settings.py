"""Settings of the ingest service (env prefix MENTIONFLOW_, `__` nesting).

    MENTIONFLOW_X__API__BASE_URL=http://127.0.0.1:8089        # the fake X API
    MENTIONFLOW_X__CREDENTIALS__BEARER_TOKEN=...              # app-wide reading credentials
    MENTIONFLOW_X__ACCOUNT_CREDENTIALS='{"hexafone_sav": {"bearer_token": "..."}}'
    MENTIONFLOW_WEBHOOK__CONSUMER_SECRET=...                  # Account Activity webhooks
    MENTIONFLOW_HTTP_API__API_KEYS='["key-one", "key-two"]'   # POST /v1/mentions
"""

from __future__ import annotations

from pathlib import Path

from mentionflow.settings import ServiceSettings
from mentionflow.xapi import XApiSettings, XCredentials
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

_PLACEHOLDERS = {"changeme", "change-me", "secret", "password", "xxx", "todo"}


class SnapshotSettings(BaseModel):
    """The daily follower snapshots (X users lookup) of every polled brand account."""

    model_config = ConfigDict(frozen=True)

    enabled: bool = True
    check_interval_s: float = Field(default=60.0, gt=0, description="longest sleep between looks at what is due")
    retry_initial_s: float = Field(default=300.0, gt=0, description="first retry after X refused a lookup")
    retry_max_s: float = Field(default=3600.0, gt=0, description="longest wait between retries of one day")


class TrackedPostsSettings(BaseModel):
    """Following the brand's own published posts (from posts.published): their counts
    (posts.metrics) and their quote tweets (mentions.raw), polled more often while young."""

    model_config = ConfigDict(frozen=True)

    enabled: bool = True
    track_for_s: float = Field(default=7 * 86400.0, gt=0, description="how long after publishing a post is followed")
    young_for_s: float = Field(default=86400.0, ge=0, description="a post this young is polled every young_interval_s")
    young_interval_s: float = Field(default=300.0, gt=0)
    interval_s: float = Field(default=3600.0, gt=0, description="poll interval once the post is no longer young")
    check_interval_s: float = Field(default=30.0, gt=0, description="longest sleep between looks at what is due")
    batch: int = Field(default=200, ge=1, description="due posts handled per round")
    retry_initial_s: float = Field(default=60.0, gt=0, description="first retry after X refused a round")
    retry_max_s: float = Field(default=1800.0, gt=0)
    max_quote_pages: int = Field(default=5, ge=1, description="pages of 100 quote tweets read per post and round")

    def interval_for(self, age_s: float) -> float:
        return self.young_interval_s if age_s < self.young_for_s else self.interval_s


class XPollingSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    enabled: bool = True
    api: XApiSettings = XApiSettings()
    credentials: XCredentials | None = Field(default=None, description="app-wide, used for every account")
    account_credentials: dict[str, XCredentials] = Field(
        default_factory=dict, description="per account, keyed by handle (any case) or X user id; wins over app-wide"
    )
    accounts: list[str] | None = Field(default=None, description="poll only these handles; default every account")
    poll_interval_s: float = Field(default=60.0, gt=0)
    max_results: int = Field(default=100, ge=5, le=100)
    backoff_initial_s: float = Field(default=2.0, gt=0)
    backoff_max_s: float = Field(default=300.0, gt=0)
    permanent_error_wait_s: float = Field(default=900.0, gt=0, description="after 401/403/404 on an account")
    snapshots: SnapshotSettings = SnapshotSettings()
    posts: TrackedPostsSettings = TrackedPostsSettings()

    def credentials_for(self, handle: str, user_id: str | None) -> XCredentials | None:
        for key in (handle.lower().lstrip("@"), user_id):
            if key is None:
                continue
            for name, credentials in self.account_credentials.items():
                if name.lower().lstrip("@") == key:
                    return credentials
        return self.credentials


class WebhookSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    consumer_secret: SecretStr | None = Field(default=None, description="X app consumer secret; none: webhook off")

    @field_validator("consumer_secret")
    @classmethod
    def _not_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().lower() in _PLACEHOLDERS:
            raise ValueError("consumer_secret is a placeholder value; set the real secret")
        return value


class HttpApiSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    api_keys: list[SecretStr] = Field(default_factory=list, description="X-API-Key values accepted")
    max_batch: int = Field(default=1000, ge=1)
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)

    @field_validator("api_keys")
    @classmethod
    def _not_placeholder(cls, value: list[SecretStr]) -> list[SecretStr]:
        for key in value:
            if key.get_secret_value().lower() in _PLACEHOLDERS or len(key.get_secret_value()) < 8:
                raise ValueError("an API key is a placeholder or shorter than 8 characters")
        return value


class DedupSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    # A pending claim older than this is presumed orphaned (its claimer died or Kafka failed)
    # and is produced by the recovery sweep. It must exceed the producer's delivery timeout,
    # or a slow-but-alive claimer and the sweep would both produce (harmless, but wasteful).
    stale_after_s: float = Field(default=120.0, gt=0)
    sweep_interval_s: float = Field(default=30.0, gt=0)
    sweep_batch: int = Field(default=500, ge=1)


class IngestSettings(ServiceSettings):
    brand_config: Path | None = Field(
        default=None, description="brand config file or folder (MENTIONFLOW_BRAND_CONFIG); required: no default"
    )
    x: XPollingSettings = XPollingSettings()
    webhook: WebhookSettings = WebhookSettings()
    http_api: HttpApiSettings = HttpApiSettings()
    dedup: DedupSettings = DedupSettings()
    drain_timeout_s: float = Field(default=10.0, gt=0, description="bound on the graceful stop")
