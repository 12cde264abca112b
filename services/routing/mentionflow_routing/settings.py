"""Settings of the routing service (env prefix MENTIONFLOW_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from mentionflow.settings import ServiceSettings


class RoutingSettings(ServiceSettings):
    service_name: str = "routing"
    brand_config: Path | None = Field(
        default=None, description="brand config file/folder; default: $MENTIONFLOW_BRAND_CONFIG or the demo config"
    )
