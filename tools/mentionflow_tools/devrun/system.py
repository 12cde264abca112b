"""The whole system on one machine: Kafka + PostgreSQL, the fake X API fed with generated
mentions (or the real X API when credentials are in the environment), the five services
under a supervisor, demo users, and a local Prometheus when the binary is installed.

Every service gets its settings from MENTIONFLOW_* variables, exactly as in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from mentionflow.brandconfig import AgencyConfig, load_config

from mentionflow_tools.devrun.supervisor import ProcessSpec, Supervisor
from mentionflow_tools.infra import stack as infra_stack
from mentionflow_tools.repo import DEMO_CONFIG, REPO_ROOT

log = logging.getLogger(__name__)

SERVICES = ("ingest", "classify", "routing", "publish", "console")
DEMO_SECTORS = {"hexafone": "telecom", "skylark": "airline", "bouffego": "food_delivery"}
DEMO_INGEST_KEY = "demo-ingest-key-0001"
DEMO_WEBHOOK_SECRET = "demo-webhook-consumer-secret"
DEMO_BEARER = "demo-app-bearer-token"
# The fake's accounts grow day by day from this seed (follower snapshots have something to show).
DEMO_GROWTH_SEED = 7


@dataclass
class RunOptions:
    directory: Path
    config_path: Path = DEMO_CONFIG
    feed_rate: float = 3.0
    ports: dict[str, int] = field(default_factory=lambda: {
        "ingest": 8001, "classify": 8002, "routing": 8003, "publish": 8004, "console": 8080,
        "fake_x": 8090, "prometheus": 9091,
    })
    prometheus: bool = True


def real_x_credentials() -> bool:
    """Real X credentials in the environment switch polling and replies to the real API."""
    return bool(os.environ.get("MENTIONFLOW_X__CREDENTIALS__BEARER_TOKEN"))


def demo_token(brand_id: str) -> str:
    return f"demo-user-token-{brand_id}"


def service_env(options: RunOptions, stack: infra_stack.Stack, config: AgencyConfig, x_base_url: str | None,
                ) -> dict[str, dict[str, str]]:
    common = {
        **stack.env(),
        "MENTIONFLOW_BRAND_CONFIG": str(options.config_path),
        "MENTIONFLOW_LOG_JSON": "true",
        "PYTHONUNBUFFERED": "1",
    }
    envs = {name: {**common, "MENTIONFLOW_HTTP__PORT": str(options.ports[name])} for name in SERVICES}
    # make run serves the console over plain http on 127.0.0.1: cookies without Secure, said explicitly.
    envs["console"]["MENTIONFLOW_CONSOLE__INSECURE_DEV_COOKIES"] = "true"
    envs["ingest"].update({
        "MENTIONFLOW_HTTP_API__API_KEYS": json.dumps([DEMO_INGEST_KEY]),
        "MENTIONFLOW_WEBHOOK__CONSUMER_SECRET": DEMO_WEBHOOK_SECRET,
    })
    if x_base_url is not None:  # the fake X API: demo tokens, fast polling
        envs["ingest"].update({
            "MENTIONFLOW_X__API__BASE_URL": x_base_url,
            "MENTIONFLOW_X__CREDENTIALS__BEARER_TOKEN": DEMO_BEARER,
            "MENTIONFLOW_X__POLL_INTERVAL_S": "2",
        })
        accounts = {
            brand.accounts[0].handle: {"credentials": {"user_access_token": demo_token(brand_id)},
                                       "user_id": brand.accounts[0].x_user_id}
            for brand_id, brand in config.brands.items()
        }
        envs["publish"].update({
            "MENTIONFLOW_X_API__BASE_URL": x_base_url,
            "MENTIONFLOW_ACCOUNTS": json.dumps(accounts),
        })
    return envs


async def start_fake_x(options: RunOptions, config: AgencyConfig):  # noqa: ANN201
    """The fake X API in this process, fed with generated mentions of the configured brands."""
    from mentionflow_tools.fakex.feeder import MentionFeeder, brand_accounts
    from mentionflow_tools.fakex.models import AddUsers, FakeUser
    from mentionflow_tools.fakex.server import FakeXServer
    from mentionflow_tools.fakex.state import FakeXState
    from mentionflow_tools.generate.brands import brands_from_config

    profiles = brands_from_config(config, DEMO_SECTORS)  # type: ignore[arg-type]
    main_accounts = brand_accounts(profiles)
    # The brands' other accounts too (care handles: fewer followers, many more posts), so every
    # configured account has a follower snapshot.
    known = {user.id for user in main_accounts}
    care_accounts = [
        FakeUser(id=account.x_user_id, username=account.handle.lstrip("@"), name=brand.name,
                 followers=40_000, following=1_200, tweet_count=60_000, verified=True)
        for brand in config.brands.values() for account in brand.accounts
        if account.x_user_id is not None and account.x_user_id not in known]
    state = FakeXState(accounts=[*main_accounts, *care_accounts], growth_seed=DEMO_GROWTH_SEED)
    state.add_users(AddUsers(tokens={demo_token(p.brand_id): p.account_user_id for p in profiles}))
    server = FakeXServer(state, port=options.ports["fake_x"])
    await server.__aenter__()
    stop = asyncio.Event()
    feeder = MentionFeeder(state, profiles, rate_per_s=options.feed_rate, seed=7)
    task = asyncio.create_task(feeder.run(stop))
    return server, stop, task


def prometheus_spec(options: RunOptions) -> ProcessSpec | None:
    """A local Prometheus (Debian's package) scraping every service with the repo's rules."""
    binary = shutil.which("prometheus")
    if binary is None or not options.prometheus:
        return None
    config = options.directory / "prometheus" / "prometheus.yml"
    config.parent.mkdir(parents=True, exist_ok=True)
    targets = [arg for s in SERVICES for arg in ("--target", f"{s}={options.ports[s]}")]
    subprocess.run([sys.executable, str(REPO_ROOT / "deploy/prometheus/render_local.py"), "--out", str(config),
                    "--scrape-interval", "5s", *targets], check=True)
    return ProcessSpec("prometheus", [
        binary, f"--config.file={config}", f"--storage.tsdb.path={options.directory / 'prometheus' / 'data'}",
        f"--web.listen-address=127.0.0.1:{options.ports['prometheus']}", "--log.level=warn",
    ])


def create_demo_users(brand_ids: list[str]) -> str:
    brands = [arg for brand_id in brand_ids for arg in ("--brand", brand_id)]
    result = subprocess.run([sys.executable, "-m", "mentionflow_tools.cli.main", "users", "demo", *brands],
                            capture_output=True, text=True, check=True)
    return result.stdout


async def run_system(options: RunOptions) -> None:
    config = load_config(options.config_path)
    options.directory.mkdir(parents=True, exist_ok=True)
    print(f"starting Kafka and PostgreSQL under {options.directory / 'infra'} ...", flush=True)
    stack = await asyncio.to_thread(infra_stack.up, options.directory / "infra", 1)
    fake = None
    supervisor: Supervisor | None = None
    try:
        x_base_url = None
        if not real_x_credentials():
            fake = await start_fake_x(options, config)
            x_base_url = fake[0].base_url
        envs = service_env(options, stack, config, x_base_url)
        specs = [ProcessSpec(name, [sys.executable, "-m", f"mentionflow_{name}.main"], envs[name])
                 for name in SERVICES]
        prometheus = prometheus_spec(options)
        if prometheus is not None:
            specs.append(prometheus)
        supervisor = Supervisor(specs, options.directory / "logs")
        await supervisor.start()
        os.environ.update(stack.env())
        users = await _demo_users_when_ready(sorted(config.brands))
        _print_banner(options, stack, x_base_url, users, prometheus is not None)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        print("\nstopping ...", flush=True)
    finally:
        if supervisor is not None:
            await supervisor.stop()
        if fake is not None:
            server, feed_stop, task = fake
            feed_stop.set()
            with contextlib.suppress(Exception):
                await task
            await server.__aexit__(None, None, None)
        await asyncio.to_thread(infra_stack.down, options.directory / "infra")
        print("stopped.", flush=True)


async def _demo_users_when_ready(brand_ids: list[str]) -> str:
    # The console applies its migrations at start-up; retry until its tables exist.
    for _ in range(60):
        try:
            return await asyncio.to_thread(create_demo_users, brand_ids)
        except subprocess.CalledProcessError as exc:
            last = exc.stderr
            await asyncio.sleep(1)
    return f"(demo users not created: {last.strip()[-300:]})"


def _print_banner(options: RunOptions, stack: infra_stack.Stack, x_base_url: str | None, users: str,
                  prometheus: bool) -> None:
    ports = options.ports
    lines = [
        "",
        "mentionflow is running.",
        f"  console:     http://127.0.0.1:{ports['console']}/",
        "  demo logins:",
        *("    " + line for line in users.strip().splitlines()),
        "  metrics:",
        *(f"    {name:<9} http://127.0.0.1:{ports[name]}/metrics" for name in SERVICES),
        f"  X API:       {x_base_url + ' (fake, fed with generated mentions)' if x_base_url else 'real X API'}",
        f"  ingest API:  POST http://127.0.0.1:{ports['ingest']}/v1/mentions (X-API-Key: {DEMO_INGEST_KEY})",
        f"  kafka:       {stack.kafka.bootstrap_servers}   postgres: {stack.postgres.dsn}",
    ]
    if prometheus:
        lines.append(f"  prometheus:  http://127.0.0.1:{ports['prometheus']}/classic/targets")
    lines += [f"  logs:        {options.directory / 'logs'}", "Ctrl-C stops everything.", ""]
    print("\n".join(lines), flush=True)
