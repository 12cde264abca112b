"""routing service: wiring only. The router lives in mentionflow.routing, the config model in
mentionflow.brandconfig; a broken config stops the start-up with file/key/line errors."""

from __future__ import annotations

import logging
import sys

from mentionflow.brandconfig import ConfigError, default_config_path, load_config
from mentionflow.logs import configure_logging
from mentionflow.service import EXIT_BAD_CONFIG, ServiceContext, ServiceParts, ServiceSpec, run_service

from mentionflow_routing.handler import RoutingHandler
from mentionflow_routing.settings import RoutingSettings

GROUP_ID = "mentionflow-routing"
log = logging.getLogger(__name__)


def main() -> None:
    settings = RoutingSettings()
    try:
        config = load_config(settings.brand_config or default_config_path())
    except ConfigError as exc:
        configure_logging("routing", settings.log_level, json=settings.log_json)
        log.error("brand config refused:\n%s", exc)
        sys.exit(EXIT_BAD_CONFIG)

    async def build(context: ServiceContext) -> ServiceParts:
        return ServiceParts(handler=RoutingHandler(config))

    spec = ServiceSpec(name="routing", consumes=["mentions.classified", "incidents"], build=build,
                       group_id=GROUP_ID)
    sys.exit(run_service(spec, settings))


if __name__ == "__main__":
    main()
