"""The user as every other module sees it: identity, role, brand scope."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Literal

Role = Literal["agent", "lead", "admin"]
ROLES: tuple[Role, ...] = ("agent", "lead", "admin")
ALL_BRANDS = "*"
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
BRAND_RE = re.compile(r"^(\*|[A-Za-z0-9][A-Za-z0-9_.-]{0,199})$")

_RANK: dict[str, int] = {role: rank for rank, role in enumerate(ROLES)}


def role_at_least(role: str, minimum: Role) -> bool:
    """agent < lead < admin: an admin may do whatever a lead may."""
    return _RANK.get(role, -1) >= _RANK[minimum]


@dataclass(frozen=True, slots=True)
class User:
    id: uuid.UUID
    username: str
    display_name: str
    role: Role
    brands: frozenset[str]
    # The user's replies become drafts a lead approves before they reach X (console approvals).
    replies_need_approval: bool = False

    @property
    def all_brands(self) -> bool:
        return ALL_BRANDS in self.brands

    @property
    def brand_scope(self) -> list[str] | None:
        """Brands to filter every query by; None means no filter (granted '*')."""
        return None if self.all_brands else sorted(self.brands)

    def can_see(self, brand_id: str) -> bool:
        return self.all_brands or brand_id in self.brands

    def at_least(self, minimum: Role) -> bool:
        return role_at_least(self.role, minimum)
