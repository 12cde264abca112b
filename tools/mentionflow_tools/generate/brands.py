"""Brands the generator writes about: who they are, what they sell, which languages.

Brands come from parameters ("brand_id=Handle[:sector[:en,fr]]"); the demo defaults are
three made-up clients of an agency: a French telecom, an English airline and a bilingual
food-delivery app.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from mentionflow.brandconfig import AgencyConfig

Sector = Literal["telecom", "airline", "food_delivery", "generic"]
SECTORS: tuple[Sector, ...] = ("telecom", "airline", "food_delivery", "generic")
LANGS = ("en", "fr")

_SPEC_RE = re.compile(r"^(?P<id>[a-z0-9][a-z0-9_.-]*)=(?P<handle>\w{1,15})"
                      r"(?::(?P<sector>[a-z_]+))?(?::(?P<langs>[a-z,]+))?$")


def account_user_id(brand_id: str) -> str:
    """A stable numeric X user id for the brand's account (used by the fake X API)."""
    digest = int(hashlib.sha256(brand_id.encode()).hexdigest()[:14], 16)
    return str(10**17 + digest % (9 * 10**17))


@dataclass(frozen=True, slots=True)
class BrandProfile:
    brand_id: str
    handle: str
    sector: Sector
    languages: tuple[tuple[str, float], ...]  # (lang, weight)
    display_name: str
    traffic_weight: float = 1.0
    user_id: str | None = None  # the account's real X user id when known (brand config)

    @property
    def account_user_id(self) -> str:
        return self.user_id or account_user_id(self.brand_id)


# The demo brands of deploy/config/demo (same ids, handles and X user ids: a test keeps them
# in step), so generated traffic is routed to real queues by `make run` and the benchmarks.
DEMO_BRANDS: tuple[BrandProfile, ...] = (
    BrandProfile("hexafone", "Hexafone", "telecom", (("fr", 0.9), ("en", 0.1)), "Hexafone",
                 traffic_weight=1.3, user_id="1460000000000000001"),
    BrandProfile("skylark", "SkylarkAir", "airline", (("en", 0.9), ("fr", 0.1)),
                 "Skylark Airways", user_id="1460000000000000101"),
    BrandProfile("bouffego", "BouffeGo", "food_delivery", (("fr", 0.5), ("en", 0.5)), "BouffeGo",
                 traffic_weight=1.1, user_id="1460000000000000201"),
)


def parse_brand(spec: str) -> BrandProfile:
    """Parse "brand_id=Handle[:sector[:en,fr]]", e.g. "acme=AcmeHelp:airline:en,fr".

    Without a sector the brand gets generic customer-care text; without languages, both
    English and French in equal parts.
    """
    match = _SPEC_RE.match(spec.strip())
    if match is None:
        raise ValueError(f"brand spec {spec!r} is not brand_id=Handle[:sector[:en,fr]]")
    sector = match.group("sector") or "generic"
    if sector not in SECTORS:
        raise ValueError(f"brand spec {spec!r}: sector must be one of {', '.join(SECTORS)}")
    langs = tuple(lang for lang in (match.group("langs") or "en,fr").split(",") if lang)
    unknown = [lang for lang in langs if lang not in LANGS]
    if unknown or not langs:
        raise ValueError(f"brand spec {spec!r}: languages must be among {', '.join(LANGS)}")
    weight = 1.0 / len(langs)
    handle = match.group("handle")
    return BrandProfile(match.group("id"), handle, sector,  # type: ignore[arg-type]
                        tuple((lang, weight) for lang in langs), handle)


def brands_from_config(config: AgencyConfig, sectors: dict[str, Sector] | None = None) -> tuple[BrandProfile, ...]:
    """One profile per brand of a brand config, writing to its first account (with the
    config's X user id, so the fake X API serves the ids ingest polls)."""
    sectors = sectors or {}
    profiles = []
    for brand_id, brand in config.brands.items():
        account = brand.accounts[0]
        langs = tuple(lang for lang in brand.languages if lang in LANGS) or LANGS
        profiles.append(BrandProfile(
            brand_id, account.handle, sectors.get(brand_id, "generic"),
            tuple((lang, 1.0 / len(langs)) for lang in langs), brand.name, user_id=account.x_user_id,
        ))
    return tuple(profiles)
