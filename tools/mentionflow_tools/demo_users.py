"""Demo users for `make run`: one agent per demo brand, a lead over all of them, an admin."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from mentionflow.accounts.models import ALL_BRANDS, Role
from mentionflow.accounts.store import AccountError, Db, add_user, get_user, grant

log = logging.getLogger(__name__)

# Printed by `mentionflow users demo`; a demo stack is local and throwaway.
DEMO_PASSWORD = "mentionflow-demo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    brands: tuple[str, ...]
    display_name: str


def demo_users(brands: Sequence[str]) -> list[DemoUser]:
    users = [DemoUser(f"agent-{b}", "agent", (b,), f"Agent ({b})") for b in brands]
    users.append(DemoUser("lead", "lead", tuple(brands), "Team lead"))
    users.append(DemoUser("admin", "admin", (ALL_BRANDS,), "Administrator"))
    return users


def demo_brand_ids() -> list[str]:
    """The brands of the brand config in use ($MENTIONFLOW_BRAND_CONFIG or the demo config)."""
    from mentionflow.brandconfig.loader import load_config

    from mentionflow_tools.repo import brand_config_or_demo

    return sorted(load_config(brand_config_or_demo()).brands)


async def ensure_demo_users(db: Db, *, brands: Sequence[str], password: str = DEMO_PASSWORD) -> list[DemoUser]:
    """Create the demo users that are missing and make sure they hold their grants (idempotent)."""
    users = demo_users(brands)
    for demo in users:
        if await get_user(db, username=demo.username) is None:
            try:
                await add_user(db, username=demo.username, password=password, role=demo.role,
                               display_name=demo.display_name, brands=demo.brands, actor="demo")
                continue
            except AccountError:  # created concurrently by another `users demo`: grant below
                log.info("demo user %s already exists", demo.username)
        await grant(db, username=demo.username, brands=demo.brands, actor="demo")
    return users
