"""Brands the generator writes about: who they are, what they sell, which languages.

Brands come from parameters ("brand_id=Handle[:sector[:en,fr]]"); the demo defaults are
three made-up clients of an agency: a French telecom, an English airline and a bilingual
food-delivery app.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Literal

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

    @property
    def account_user_id(self) -> str:
        return account_user_id(self.brand_id)


DEMO_BRANDS: tuple[BrandProfile, ...] = (
    BrandProfile("orbitel", "Orbitel_FR", "telecom", (("fr", 0.85), ("en", 0.15)), "Orbitel",
                 traffic_weight=1.3),
    BrandProfile("skylark-air", "SkylarkAir", "airline", (("en", 0.9), ("fr", 0.1)),
                 "Skylark Airways"),
    BrandProfile("miam", "MiamEats", "food_delivery", (("fr", 0.5), ("en", 0.5)), "Miam",
                 traffic_weight=1.1),
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
