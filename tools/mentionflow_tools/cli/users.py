"""`mentionflow users add|grant|revoke|role|approval|list|token|demo`: set up who may use the console.

Runs the same store code as the console (mentionflow.accounts) against the database named by
--dsn or $MENTIONFLOW_POSTGRES__DSN, applying the accounts migrations first (idempotent).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import asyncpg
import typer
from mentionflow import accounts
from mentionflow.accounts import store
from mentionflow.db import migrate
from mentionflow.settings import PostgresSettings
from rich.console import Console
from rich.table import Table

from mentionflow_tools import demo_users as demo_accounts

app = typer.Typer(help="Console users: roles, brand scopes, API tokens, demo users.", no_args_is_help=True)
console = Console(stderr=True)
T = TypeVar("T")

DsnOption = Annotated[str, typer.Option(
    "--dsn", envvar="MENTIONFLOW_POSTGRES__DSN", help="PostgreSQL DSN of the console's database.",
    show_default=False)]
_DEFAULT_DSN = PostgresSettings().dsn.get_secret_value()
RoleOption = Annotated[str, typer.Option("--role", "-r", help="agent, lead or admin.")]
BrandsOption = Annotated[list[str] | None, typer.Option(
    "--brand", "-b", help="Brand id the user may work on (repeatable; '*' for every brand).")]


def _run(dsn: str, work: Callable[[asyncpg.Pool], Awaitable[T]]) -> T:
    async def main() -> T:
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
        try:
            await migrate(pool, accounts.COMPONENT, accounts.MIGRATIONS)
            return await work(pool)
        finally:
            await pool.close()

    try:
        return asyncio.run(main())
    except store.AccountError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None


def _show(user: accounts.User) -> None:
    typer.echo(f"{user.username}\t{user.role}\t{','.join(sorted(user.brands)) or '-'}")


@app.command()
def add(
    username: Annotated[str, typer.Argument(help="Login name (lowercase letters, digits, . _ -).")],
    role: RoleOption = "agent",
    brands: BrandsOption = None,
    name: Annotated[str | None, typer.Option(help="Display name (default: the username).")] = None,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                          envvar="MENTIONFLOW_NEW_USER_PASSWORD",
                                          help="Password (prompted when not given).")] = "",
    dsn: DsnOption = _DEFAULT_DSN,
) -> None:
    """Create a user with a role and brand scopes."""
    user = _run(dsn, lambda db: store.add_user(db, username=username, password=password, role=role,  # type: ignore[arg-type]
                                               display_name=name, brands=brands or ()))
    _show(user)


@app.command("grant")
def grant_cmd(username: str, brands: Annotated[list[str], typer.Argument(help="Brand ids ('*' = all).")],
              dsn: DsnOption = _DEFAULT_DSN) -> None:
    """Let a user work on more brands."""
    _show(_run(dsn, lambda db: store.grant(db, username=username, brands=brands)))


@app.command("revoke")
def revoke_cmd(username: str, brands: Annotated[list[str], typer.Argument(help="Brand ids to remove.")],
               dsn: DsnOption = _DEFAULT_DSN) -> None:
    """Take brands away from a user."""
    _show(_run(dsn, lambda db: store.revoke(db, username=username, brands=brands)))


@app.command("role")
def role_cmd(username: str, role: Annotated[str, typer.Argument(help="agent, lead or admin.")],
             dsn: DsnOption = _DEFAULT_DSN) -> None:
    """Change a user's role."""
    _show(_run(dsn, lambda db: store.set_role(db, username=username, role=role)))  # type: ignore[arg-type]


@app.command("approval")
def approval_cmd(username: str,
                 setting: Annotated[str, typer.Argument(help="on: replies become drafts a lead approves; off.")],
                 dsn: DsnOption = _DEFAULT_DSN) -> None:
    """Whether a user's replies need a lead's approval before they reach X."""
    if setting not in ("on", "off"):
        console.print(f"[red]error:[/red] say on or off, not {setting!r}")
        raise typer.Exit(2)
    user = _run(dsn, lambda db: store.set_replies_need_approval(db, username=username, required=setting == "on"))
    typer.echo(f"{user.username}\treplies need approval: {'yes' if user.replies_need_approval else 'no'}")


@app.command("list")
def list_cmd(dsn: DsnOption = _DEFAULT_DSN) -> None:
    """List active users with their role and brands."""
    users = _run(dsn, store.list_users)
    table = Table("username", "name", "role", "brands", "approval")
    for user in users:
        table.add_row(user.username, user.display_name, user.role, ", ".join(sorted(user.brands)) or "-",
                      "needed" if user.replies_need_approval else "-")
    Console().print(table)


@app.command()
def token(username: str,
          name: Annotated[str, typer.Option(help="What the token is for.")] = "script",
          dsn: DsnOption = _DEFAULT_DSN) -> None:
    """Create an API token (printed once; use it as `Authorization: Bearer <token>`)."""
    typer.echo(_run(dsn, lambda db: store.create_api_token(db, username=username, name=name)))


@app.command()
def demo(
    brands: BrandsOption = None,
    password: Annotated[str, typer.Option(help="Password of every demo user.")] = demo_accounts.DEMO_PASSWORD,
    dsn: DsnOption = _DEFAULT_DSN,
) -> None:
    """Create demo users (idempotent): agent-<brand> per brand of the brand config, `lead`, `admin`."""
    brand_ids = brands or demo_accounts.demo_brand_ids()
    users = _run(dsn, lambda db: demo_accounts.ensure_demo_users(db, brands=brand_ids, password=password))
    for user in users:
        typer.echo(f"{user.username:<18} password: {password}   ({user.role}: {', '.join(user.brands)})")
