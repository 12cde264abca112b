"""`mentionflow fake-x serve`: the fake X API as a process (make run, cross-process tests)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Annotated

import orjson
import typer
from mentionflow.logs import configure_logging

from mentionflow_tools.cli.generate import brands_from_specs
from mentionflow_tools.fakex.feeder import MentionFeeder, brand_accounts
from mentionflow_tools.fakex.models import AddUsers, RateLimitRule
from mentionflow_tools.fakex.server import FakeXServer
from mentionflow_tools.fakex.state import FakeXState
from mentionflow_tools.generate.brands import BrandProfile

logger = logging.getLogger(__name__)

app = typer.Typer(help="The fake X API v2 (mentions, replies, lookups, faults, call log).",
                  no_args_is_help=True)


def _rate_limits(specs: list[str] | None) -> dict[str, RateLimitRule]:
    rules: dict[str, RateLimitRule] = {}
    for spec in specs or []:
        endpoint, _, value = spec.partition("=")
        limit, _, window = value.partition("/")
        try:
            rules[endpoint] = RateLimitRule(limit=int(limit), window_s=float(window or 900))
        except ValueError as exc:
            raise typer.BadParameter(f"{spec!r}: expected endpoint=LIMIT[/WINDOW_S]",
                                     param_hint="--rate-limit") from exc
    return rules


def _tokens(specs: list[str] | None, brands: tuple[BrandProfile, ...]) -> dict[str, str]:
    by_id = {b.brand_id: b.account_user_id for b in brands}
    tokens: dict[str, str] = {}
    for spec in specs or []:
        token, _, brand_id = spec.partition("=")
        if brand_id not in by_id:
            raise typer.BadParameter(f"{spec!r}: expected TOKEN=BRAND_ID of a served brand",
                                     param_hint="--token")
        tokens[token] = by_id[brand_id]
    return tokens


@app.command()
def serve(
    port: Annotated[int, typer.Option(min=0, max=65535, help="0 picks a free port")] = 8321,
    host: str = "127.0.0.1",
    brands: Annotated[list[str] | None, typer.Option(
        "--brands", "--brand", "-b", help="brand_id=Handle[:sector[:en,fr]]; default demo")] = None,
    feed_rate: Annotated[float, typer.Option(
        help="generated mentions per second to add (0: none)", min=0)] = 0.0,
    seed: int = 0,
    growth_seed: Annotated[int | None, typer.Option(
        help="accounts' follower, following and post counts grow day by day from this seed")] = None,
    engagement_seed: Annotated[int, typer.Option(
        help="tweets gather likes, reposts and impressions with age, from this seed")] = 0,
    token: Annotated[list[str] | None, typer.Option(
        help="TOKEN=BRAND_ID: posts with this access token act as that brand's account")] = None,
    rate_limit: Annotated[list[str] | None, typer.Option(
        # No square brackets: typer reads help texts as rich markup ("[/...]" is a tag).
        help="endpoint=LIMIT or endpoint=LIMIT/WINDOW_S (default window 900 s), "
             "e.g. users_mentions=450/900")] = None,
    log_level: str = "INFO",
    log_json: Annotated[bool, typer.Option(help="JSON log lines on stderr")] = False,
) -> None:
    """Serve until SIGINT/SIGTERM; prints one JSON line with the URL and brand account ids."""
    configure_logging("fake-x", log_level, json=log_json)
    profiles = brands_from_specs(brands)
    state = FakeXState(accounts=brand_accounts(profiles), rate_limits=_rate_limits(rate_limit),
                       growth_seed=growth_seed, engagement_seed=engagement_seed)
    state.add_users(AddUsers(tokens=_tokens(token, profiles)))
    asyncio.run(_serve(state, profiles, host=host, port=port, feed_rate=feed_rate, seed=seed))


async def _serve(state: FakeXState, brands: tuple[BrandProfile, ...], *, host: str, port: int,
                 feed_rate: float, seed: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with FakeXServer(state, host=host, port=port) as server:
        typer.echo(orjson.dumps({
            "base_url": server.base_url,
            "accounts": {b.brand_id: {"handle": b.handle, "user_id": b.account_user_id}
                         for b in brands},
        }).decode(), nl=True)
        feeder_task = None
        if feed_rate > 0:
            feeder = MentionFeeder(state, brands, rate_per_s=feed_rate, seed=seed)
            feeder_task = asyncio.create_task(feeder.run(stop))
        await stop.wait()
        if feeder_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await feeder_task
    logger.info("fake X API stopped")
