"""FastAPI dependencies: the shared clients (DbPool, Producer, Settings) and who is calling
(CurrentUser for the API: bearer token or session cookie; UiSession for pages)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import asyncpg
from aiokafka import AIOKafkaProducer
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from mentionflow.accounts import Role, User
from mentionflow.accounts.store import user_for_api_token
from mentionflow.brandconfig import AgencyConfig

from mentionflow_console.auth import CSRF_HEADER, SESSION_COOKIE, Session, session_for_cookie, tokens_match
from mentionflow_console.settings import ConsoleSettings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bearer_scheme = HTTPBearer(auto_error=False, description="API token from `mentionflow users token`")
cookie_scheme = APIKeyCookie(name=SESSION_COOKIE, auto_error=False,
                             description="Browser session (writes also need the X-CSRF-Token header)")


def _pool(request: Request) -> asyncpg.Pool:
    return request.app.state.pool


def _producer(request: Request) -> AIOKafkaProducer:
    return request.app.state.producer


def _settings(request: Request) -> ConsoleSettings:
    return request.app.state.settings


def _brand_config(request: Request) -> AgencyConfig | None:
    return request.app.state.brand_config


DbPool = Annotated[asyncpg.Pool, Depends(_pool)]
BrandConfig = Annotated[AgencyConfig | None, Depends(_brand_config)]
Producer = Annotated[AIOKafkaProducer, Depends(_producer)]
Settings = Annotated[ConsoleSettings, Depends(_settings)]


def _idle(request: Request) -> timedelta:
    return timedelta(minutes=_settings(request).console.session_idle_minutes)


def _unauthenticated(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"})


async def _current_user(
    request: Request,
    pool: DbPool,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    cookie: Annotated[str | None, Depends(cookie_scheme)],
) -> User:
    if bearer is not None:
        user = await user_for_api_token(pool, token=bearer.credentials) if len(bearer.credentials) < 200 else None
        if user is None:
            raise _unauthenticated("invalid or revoked API token")
        return user
    session = await session_for_cookie(pool, cookie=cookie, idle=_idle(request))
    if session is None:
        raise _unauthenticated("not authenticated: send `Authorization: Bearer <token>` or log in")
    # A cookie rides along with any cross-site request; a header a foreign page cannot read
    # or set proves the write comes from our own page.
    if request.method not in SAFE_METHODS and not tokens_match(session.csrf_token, request.headers.get(CSRF_HEADER)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"missing or wrong {CSRF_HEADER} header")
    return session.user


CurrentUser = Annotated[User, Depends(_current_user)]


def require_role(minimum: Role):  # noqa: ANN201 - a dependency factory
    async def check(user: CurrentUser) -> User:
        if not user.at_least(minimum):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs the {minimum} role; you are {user.role}")
        return user

    return check


LeadUser = Annotated[User, Depends(require_role("lead"))]
AdminUser = Annotated[User, Depends(require_role("admin"))]


class LoginRequired(Exception):
    """A page was asked for without a session: the UI answers with a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


async def _ui_session(request: Request, pool: DbPool) -> Session:
    session = await session_for_cookie(pool, cookie=request.cookies.get(SESSION_COOKIE), idle=_idle(request))
    if session is None:
        raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return session


UiSession = Annotated[Session, Depends(_ui_session)]
