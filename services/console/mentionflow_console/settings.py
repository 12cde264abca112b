"""Console settings (env prefix MENTIONFLOW_, e.g. MENTIONFLOW_CONSOLE__SESSION_IDLE_MINUTES=30).

Cookies are `Secure` unless MENTIONFLOW_CONSOLE__INSECURE_DEV_COOKIES=true, the explicit
development switch for plain http on 127.0.0.1 (`make run`, the tests)."""

from __future__ import annotations

from pathlib import Path

from mentionflow.settings import HttpSettings, ServiceSettings
from pydantic import BaseModel, ConfigDict, Field


class ConsoleOptions(BaseModel):
    model_config = ConfigDict(frozen=True)

    insecure_dev_cookies: bool = Field(
        default=False, description="DEVELOPMENT ONLY: cookies without the Secure flag, for plain http "
                                   "(make run); a browser then sends the session over any http connection")
    session_ttl_minutes: int = Field(default=12 * 60, ge=1, description="absolute session lifetime")
    session_idle_minutes: int = Field(default=30, ge=1, description="a session unused this long ends")
    login_max_failures: int = Field(default=5, ge=1, description="per username + address ...")
    login_window_s: int = Field(default=900, ge=1, description="... within this window")
    live_poll_interval_s: float = Field(default=1.0, gt=0, description="SSE: how often to look for changes")
    live_keepalive_s: float = Field(default=15.0, gt=0)
    outbox_relay_interval_s: float = Field(default=5.0, gt=0)
    outbox_relay_after_s: float = Field(default=10.0, gt=0,
                                        description="re-send requests the broker has not acknowledged after this long")
    page_size: int = Field(default=200, ge=1, le=1000)
    assign_interval_s: float = Field(default=2.0, gt=0, description="auto-assignment: seconds between passes")
    analytics_catch_up_interval_s: float = Field(
        default=10.0, gt=0, description="analytics: seconds between copies of changed items (a report also "
                                        "catches up before it counts)")

    @property
    def cookie_secure(self) -> bool:
        return not self.insecure_dev_cookies


class ConsoleSettings(ServiceSettings):
    http: HttpSettings = HttpSettings(port=8080)
    console: ConsoleOptions = ConsoleOptions()
    # The brands' queues' auto-assignment and teams' hours, business hours and time zones
    # (analytics) and the agency's name (client report); MENTIONFLOW_BRAND_CONFIG, as for the
    # other services. Unset: nothing is auto-assigned, figures in UTC and wall-clock time only.
    brand_config: Path | None = Field(default=None, description="brand config file or folder")
