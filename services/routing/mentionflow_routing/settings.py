"""Settings of the routing service (env prefix MENTIONFLOW_)."""

from __future__ import annotations

from pathlib import Path

from mentionflow.settings import ServiceSettings
from pydantic import Field


class RoutingSettings(ServiceSettings):
    brand_config: Path | None = Field(
        default=None, description="brand config file or folder (MENTIONFLOW_BRAND_CONFIG); required: no default"
    )
