"""Which client brands a post is addressed to, from the handles and accounts it names.

A post naming two client brands is two mentions (one per brand, each in its brand's queue).
A post naming no client brand is still kept: one mention of UNKNOWN_BRAND with
brand_known=False, which routing sends to the unrouted queue so a person sees it. Handles of
random people a post also names are ignored once a client brand is found.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mentionflow.brandconfig import AgencyConfig, normalize_handle
from mentionflow.events.mentions_raw import UNKNOWN_BRAND

UNKNOWN_ACCOUNT = "unknown"


@dataclass(frozen=True, slots=True)
class ResolvedBrand:
    brand_id: str
    account_handle: str  # the brand account the post addressed (as the brand config spells it)
    known: bool = True


class BrandResolver:
    """Resolves handles / X user ids to brands through the brand config (pure, cached)."""

    def __init__(self, config: AgencyConfig | None) -> None:
        self._by_handle: dict[str, list[tuple[str, str]]] = {}
        self._by_user_id: dict[str, list[tuple[str, str]]] = {}
        if config is not None:
            for brand_id, brand in config.brands.items():
                for account in brand.accounts:
                    pair = (brand_id, account.handle.lstrip("@"))
                    self._by_handle.setdefault(normalize_handle(account.handle), []).append(pair)
                    if account.x_user_id:
                        self._by_user_id.setdefault(account.x_user_id, []).append(pair)

    def resolve(self, handles: Iterable[str], user_ids: Iterable[str] = ()) -> list[ResolvedBrand]:
        """Brands addressed by `user_ids` (accounts known to be addressed, e.g. the polled one)
        then by `handles`, each brand once, in that order; [unknown] when none is a client."""
        found: dict[str, ResolvedBrand] = {}
        for user_id in user_ids:
            for brand_id, handle in self._by_user_id.get(str(user_id), ()):
                found.setdefault(brand_id, ResolvedBrand(brand_id, handle))
        first_handle: str | None = None
        for raw in handles:
            key = normalize_handle(raw)
            if not key:
                continue
            if first_handle is None:
                first_handle = raw.strip().lstrip("@")
            for brand_id, handle in self._by_handle.get(key, ()):
                found.setdefault(brand_id, ResolvedBrand(brand_id, handle))
        if found:
            return list(found.values())
        return [ResolvedBrand(UNKNOWN_BRAND, (first_handle or UNKNOWN_ACCOUNT)[:64], known=False)]

    def account_handles(self) -> dict[str, str]:
        """X user id → handle of every configured account that has an id."""
        return {user_id: pairs[0][1] for user_id, pairs in self._by_user_id.items()}
