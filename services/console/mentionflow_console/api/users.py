"""Who am I, and (admins) who uses the console."""

from __future__ import annotations

from fastapi import APIRouter
from mentionflow.accounts.store import list_users

from mentionflow_console.deps import AdminUser, CurrentUser, DbPool
from mentionflow_console.schemas import Me, Problem

router = APIRouter(prefix="/api/v1", tags=["users"])


@router.get("/me", summary="The calling user: role and brands")
async def me(user: CurrentUser) -> Me:
    return Me(username=user.username, display_name=user.display_name, role=user.role, brands=sorted(user.brands),
              replies_need_approval=user.replies_need_approval)


@router.get("/users", summary="Every console user (admins)",
            responses={403: {"model": Problem, "description": "needs the admin role"}})
async def users(user: AdminUser, pool: DbPool) -> list[Me]:
    return [Me(username=u.username, display_name=u.display_name, role=u.role, brands=sorted(u.brands),
               replies_need_approval=u.replies_need_approval) for u in await list_users(pool)]
