"""Entry point of the console, as one spec for serve(): an HTTP service (it consumes no topic)
that asks publish for what publish owns by event (replies.requested, incidents.actions), plus
the relay that re-sends requests the broker did not acknowledge, the analytics' catch-up of the
items and, with a brand config, the auto-assignment passes.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

from mentionflow import accounts
from mentionflow.brandconfig import ConfigError, load_config
from mentionflow.logs import configure_logging
from mentionflow.service import (
    EXIT_BAD_CONFIG,
    BackgroundTask,
    Migrations,
    ServiceContext,
    ServiceParts,
    ServiceSpec,
    run_service,
)

from mentionflow_console import assigner, outbox
from mentionflow_console.analytics.catch_up import run_catch_up
from mentionflow_console.app import APP_OPTIONS, configure_app
from mentionflow_console.settings import ConsoleSettings

log = logging.getLogger(__name__)

SERVICE = "console"
CONSOLE_MIGRATIONS = Path(__file__).parent / "migrations"
# accounts (users, grants, tokens, audit) first: the console's own tables refer to users.
MIGRATIONS = (Migrations(accounts.COMPONENT, accounts.MIGRATIONS), Migrations(SERVICE, CONSOLE_MIGRATIONS))


def build_spec(settings: ConsoleSettings) -> ServiceSpec:
    """Raises ConfigError when MENTIONFLOW_BRAND_CONFIG is set and refused."""
    config = load_config(settings.brand_config) if settings.brand_config else None

    async def build(context: ServiceContext) -> ServiceParts:
        pool, producer = context.pool, context.producer
        assert pool is not None
        if settings.console.insecure_dev_cookies:
            log.warning("insecure_dev_cookies is on: session cookies lack the Secure flag (development only; "
                        "unset MENTIONFLOW_CONSOLE__INSECURE_DEV_COOKIES behind https)")
        configure_app(context.app, settings=settings, pool=pool, producer=producer, brand_config=config)

        async def relay(stopping: asyncio.Event) -> None:
            await outbox.run_relay(pool, producer, settings.kafka, interval_s=settings.console.outbox_relay_interval_s,
                                   older_than_s=settings.console.outbox_relay_after_s, stop=stopping)

        async def analytics(stopping: asyncio.Event) -> None:
            await run_catch_up(pool, interval_s=settings.console.analytics_catch_up_interval_s, stop=stopping)

        tasks = [BackgroundTask("outbox relay", relay), BackgroundTask("analytics catch-up", analytics)]
        if config is not None:
            async def assign(stopping: asyncio.Event) -> None:
                await assigner.run_assigner(pool, config, interval_s=settings.console.assign_interval_s, stop=stopping)

            tasks.append(BackgroundTask("auto-assignment", assign))
        return ServiceParts(tasks=tasks)

    return ServiceSpec(name=SERVICE, build=build, migrations=MIGRATIONS, app_options=APP_OPTIONS)


def main() -> None:
    settings = ConsoleSettings()
    try:
        spec = build_spec(settings)
    except ConfigError as exc:
        configure_logging(SERVICE, settings.log_level, json=settings.log_json)
        log.error("brand config refused:\n%s", exc)
        sys.exit(EXIT_BAD_CONFIG)
    sys.exit(run_service(spec, settings))


if __name__ == "__main__":
    main()
