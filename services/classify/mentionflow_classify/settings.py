"""Settings of the classify service (env prefix MENTIONFLOW_)."""

from __future__ import annotations

from pathlib import Path

from mentionflow.classify.adapters import DEFAULT_MAX_REMEMBERED, DEFAULT_MAX_TOKENS
from mentionflow.settings import ServiceSettings
from pydantic import BaseModel, ConfigDict, Field


class SpikeOptions(BaseModel):
    model_config = ConfigDict(frozen=True)

    window_minutes: float = Field(default=5, gt=0)
    min_count: int = Field(default=30, ge=1)
    ratio: float = Field(default=4.0, gt=1)
    calm_minutes: float = Field(default=10, gt=0)
    # How far back the state of a newly assigned partition is restored from mentions.classified.
    rebuild_minutes: float = Field(default=30, ge=0)


class ClassifySettings(ServiceSettings):
    brand_config: Path | None = Field(
        default=None, description="brand config file/folder (crisis phrases, VIPs, products); none: defaults"
    )
    spikes: SpikeOptions = SpikeOptions()
    adapter_max_tokens: int = Field(default=DEFAULT_MAX_TOKENS, ge=1,
                                    description="token entries kept per brand adapter")
    adapter_max_remembered: int = Field(default=DEFAULT_MAX_REMEMBERED, ge=1,
                                        description="corrected texts remembered per brand adapter")
