"""classify service: wiring only. The classifier and spike detector live in mentionflow.classify."""

from __future__ import annotations

import logging
import sys
from datetime import timedelta

from mentionflow.brandconfig import AgencyConfig, load_config
from mentionflow.classify import IMPLEMENTATION, BrandProfile
from mentionflow.classify.adapters import Adapters
from mentionflow.classify.model import load_model
from mentionflow.classify.spikes import SpikeSettings
from mentionflow.kafka.adapter_feed import AdapterFeed
from mentionflow.service import BackgroundTask, ServiceContext, ServiceParts, ServiceSpec, run_service

from mentionflow_classify.handler import ClassifyHandler
from mentionflow_classify.settings import ClassifySettings

log = logging.getLogger(__name__)

GROUP_ID = "mentionflow-classify"


def brand_profiles(config: AgencyConfig | None) -> dict[str, BrandProfile]:
    if config is None:
        return {}
    return {
        brand_id: BrandProfile(
            brand_id=brand_id,
            crisis_phrases=tuple(brand.crisis_phrases),
            vip_handles=frozenset(brand.vip_handles),
            product_names=tuple(brand.products),
            languages=tuple(brand.languages),
        )
        for brand_id, brand in config.brands.items()
    }


def build_spec(settings: ClassifySettings) -> ServiceSpec:
    config = load_config(settings.brand_config) if settings.brand_config else None
    spikes = settings.spikes
    spike_settings = SpikeSettings(
        window=timedelta(minutes=spikes.window_minutes), min_count=spikes.min_count, ratio=spikes.ratio,
        calm_period=timedelta(minutes=spikes.calm_minutes),
    )

    async def build(context: ServiceContext) -> ServiceParts:
        # Load the model now, not on the first mention: start-up is where the runtime freezes
        # the long-lived heap (see mentionflow.heap.settle_heap), and the weights belong there.
        load_model()
        log.info("classifier: %s", IMPLEMENTATION)
        # Every brand's adapter, folded from labels.corrected by a background task of its own
        # (outside the consumer group); the handler waits for it to catch up before classifying.
        adapters = Adapters(max_tokens=settings.adapter_max_tokens, max_remembered=settings.adapter_max_remembered)
        feed = AdapterFeed(settings.kafka, adapters)
        handler = ClassifyHandler(
            kafka=settings.kafka, group_id=GROUP_ID, profiles=brand_profiles(config),
            spike_settings=spike_settings, rebuild=timedelta(minutes=spikes.rebuild_minutes), feed=feed)
        return ServiceParts(handler=handler, tasks=[BackgroundTask("labels.corrected", feed.run)])

    return ServiceSpec(name="classify", consumes=["mentions.raw", "labels.corrected"], build=build,
                       group_id=GROUP_ID)


def main() -> None:
    settings = ClassifySettings()
    sys.exit(run_service(build_spec(settings), settings))


if __name__ == "__main__":
    main()
