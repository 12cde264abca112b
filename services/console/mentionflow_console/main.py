"""Entry point of the console, as one spec for serve(): an HTTP service (it consumes no topic)
that asks publish for what publish owns by event (replies.requested, incidents.actions), plus
the relay that re-sends requests the broker did not acknowledge.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

from mentionflow import accounts
from mentionflow.brandconfig import load_config
from mentionflow.service import BackgroundTask, Migrations, ServiceContext, ServiceParts, ServiceSpec, run_service

from mentionflow_console import outbox
from mentionflow_console.app import APP_OPTIONS, configure_app
from mentionflow_console.settings import ConsoleSettings

log = logging.getLogger(__name__)

SERVICE = "console"
CONSOLE_MIGRATIONS = Path(__file__).parent / "migrations"
# accounts (users, grants, tokens, audit) first: the console's own tables refer to users.
MIGRATIONS = (Migrations(accounts.COMPONENT, accounts.MIGRATIONS), Migrations(SERVICE, CONSOLE_MIGRATIONS))


def build_spec(settings: ConsoleSettings) -> ServiceSpec:
    async def build(context: ServiceContext) -> ServiceParts:
        pool, producer = context.pool, context.producer
        assert pool is not None
        if settings.console.insecure_dev_cookies:
            log.warning("insecure_dev_cookies is on: session cookies lack the Secure flag (development only; "
                        "unset MENTIONFLOW_CONSOLE__INSECURE_DEV_COOKIES behind https)")
        brands = load_config(settings.brand_config) if settings.brand_config else None
        configure_app(context.app, settings=settings, pool=pool, producer=producer, brands=brands)

        async def relay(stopping: asyncio.Event) -> None:
            await outbox.run_relay(pool, producer, settings.kafka, interval_s=settings.console.outbox_relay_interval_s,
                                   older_than_s=settings.console.outbox_relay_after_s, stop=stopping)

        return ServiceParts(tasks=[BackgroundTask("outbox relay", relay)])

    return ServiceSpec(name=SERVICE, build=build, migrations=MIGRATIONS, app_options=APP_OPTIONS)


def main() -> None:
    settings = ConsoleSettings()
    sys.exit(run_service(build_spec(settings), settings))


if __name__ == "__main__":
    main()
