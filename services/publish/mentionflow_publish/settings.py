"""publish's settings: X accounts and their credentials, notification channels, timers.

Everything comes from the environment (prefix MENTIONFLOW_, `__` nesting; dicts as JSON):

    MENTIONFLOW_X_API__BASE_URL=http://127.0.0.1:8901
    MENTIONFLOW_ACCOUNTS='{"hexafone": {"credentials": {"user_access_token": "..."},
                           "posts_per_window": 100, "window_s": 900}}'
    MENTIONFLOW_CHANNELS='{"pagerduty-fr": {"type": "pagerduty", "routing_key": "..."}}'
    MENTIONFLOW_QUEUE_WEBHOOKS='{"hexafone-care": "https://hooks.slack.com/services/..."}'

Channels named in escalation steps are looked up here first, then in the brand config
(`brand_config`), whose channels name the environment variable holding the secret.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from mentionflow.brandconfig import normalize_handle
from mentionflow.settings import ServiceSettings
from mentionflow.xapi import XApiSettings, XCredentials
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"


class XAccount(BaseModel):
    """One brand account publish posts as, with its own posting budget."""

    model_config = ConfigDict(frozen=True)

    credentials: XCredentials
    user_id: str | None = Field(default=None, pattern=r"^\d{1,20}$",
                                description="looked up with GET /2/users/me when absent")
    # X's published limit for POST /2/tweets is 100 per 15 minutes per user.
    posts_per_window: int = Field(default=100, ge=1)
    window_s: float = Field(default=900.0, gt=0)


class ChannelSettings(BaseModel):
    """A place pages and notifications go: PagerDuty Events v2, Slack or a plain webhook."""

    model_config = ConfigDict(frozen=True)

    type: Literal["pagerduty", "slack", "webhook"]
    url: SecretStr | None = Field(default=None, description="webhook URL; PagerDuty: events URL override")
    routing_key: SecretStr | None = Field(default=None, description="PagerDuty integration key")


class PublishSettings(ServiceSettings):
    group_id: str = Field(default="mentionflow-publish", description="consumer group (tests use their own)")
    x_api: XApiSettings = XApiSettings()
    accounts: dict[str, XAccount] = Field(default_factory=dict, description="handle -> account")
    channels: dict[str, ChannelSettings] = Field(default_factory=dict)
    queue_webhooks: dict[str, SecretStr] = Field(
        default_factory=dict, description="queue -> Slack-compatible incoming-webhook URL (P1/P2 items)")
    notify_priorities: list[str] = Field(default_factory=lambda: ["P1", "P2"])
    brand_config: Path | None = Field(default=None, description="brand config file or folder (channels)")
    pagerduty_events_url: str = PAGERDUTY_EVENTS_URL

    # Escalation timer: seconds per policy minute (60 in production; tests shrink it).
    escalation_minute_s: float = Field(default=60.0, gt=0)
    timer_interval_s: float = Field(default=5.0, gt=0)
    sample_interval_s: float = Field(default=15.0, gt=0, description="queue/incident gauges, SLA breaches")

    # Deliveries (notifications and pages).
    delivery_timeout_s: float = Field(default=10.0, gt=0)
    delivery_max_attempts: int = Field(default=8, ge=1)
    delivery_backoff_initial_s: float = Field(default=2.0, gt=0)
    delivery_backoff_max_s: float = Field(default=300.0, gt=0)
    delivery_lease_s: float = Field(default=60.0, gt=0, description="a claimed delivery is retried after this")
    delivery_poll_s: float = Field(default=1.0, gt=0)

    # Replies.
    reply_poll_s: float = Field(default=1.0, gt=0)
    reply_concurrency: int = Field(default=4, ge=1, description="accounts posting at the same time")
    reply_max_attempts: int = Field(default=10, ge=1, description="transient failures before giving up")
    reply_backoff_initial_s: float = Field(default=2.0, gt=0)
    reply_backoff_max_s: float = Field(default=300.0, gt=0)
    reply_reconcile_window_s: float = Field(default=3600.0, gt=0,
                                            description="how far back a pending reply is looked for")
    # Posts: "now" for due posts is the wall clock plus this offset (tests make a post's minute
    # come without waiting for it; 0 in production). Backoffs and rate limits keep real time.
    post_clock_offset_s: float = Field(default=0.0)
    # Fault injection for the crash tests: SIGKILL this process right after the Nth post X
    # accepted in it and before the outbox records it (0: never). Never set in production.
    fault_kill_after_posts: int = Field(default=0, ge=0)

    @field_validator("accounts")
    @classmethod
    def _normalised_handles(cls, value: dict[str, XAccount]) -> dict[str, XAccount]:
        return {normalize_handle(handle): account for handle, account in value.items()}
