"""Synthetic X traffic about client brands: deterministic for a seed, fast, varied.

The generator walks a timeline: posts arrive as a Poisson process (`rate_per_s`), each one
about a brand (weighted), in one of the brand's languages, of a category drawn from a mix
(questions, complaints, praise, chatter, rare severe crises). Now and then a crisis burst
starts for one brand: traffic speeds up tenfold, most of it about one incident with a shared
hashtag, and influential voices join in. Some posts follow up on an earlier one (same
conversation), some name two client brands (one Mention per brand, same external id).

External ids are X-style snowflakes of the post time with worker = seed, so ids grow with
time and two seeds rarely collide. Nothing here reads the clock: the same seed, brands and
start always produce the same posts.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import math
import random
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from mentionflow.events.mentions_classified import Category
from mentionflow.events.mentions_raw import MENTION_NAMESPACE, Mention

from mentionflow_tools.fakex.models import TWEPOCH_MS
from mentionflow_tools.fakex.shapes import x_time
from mentionflow_tools.generate.authors import AuthorPool, Person
from mentionflow_tools.generate.brands import DEMO_BRANDS, BrandProfile
from mentionflow_tools.generate.noise import roughen
from mentionflow_tools.generate.vocab import GENERIC, HASHTAGS, SECTOR, TEMPLATES

DEFAULT_START = datetime(2025, 1, 15, 9, 0, tzinfo=UTC)
MAX_TEXT = 280
CATEGORY_MIX: tuple[tuple[Category, float], ...] = (
    ("question", 0.26), ("complaint", 0.27), ("praise", 0.15), ("other", 0.305),
    ("crisis", 0.015),
)
_BURST_SUFFIX = {"en": ("Down", "Gate", "Scandal", "Fail", "Outage"),
                 "fr": ("EnPanne", "Gate", "Scandale", "Honte")}
_COMPETITOR = {"en": "the competition", "fr": "la concurrence"}


_NAMESPACE_BYTES = MENTION_NAMESPACE.bytes


def fast_mention_id(external_id: str, brand_id: str) -> str:
    """Equal to events.mentions_raw.mention_id("x", external_id, brand_id) (a test checks it).

    uuid.uuid5 builds a UUID object per call, about half of the generator's per-mention
    cost; this computes the same RFC 4122 version-5 string straight from the SHA-1 digest.
    """
    digest = bytearray(hashlib.sha1(
        _NAMESPACE_BYTES + f"x:{external_id}:{brand_id}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass(slots=True)  # not frozen: frozen dataclasses cost ~3 µs per instance to build
class Post:
    """One generated tweet; `brands` are the client brands it names (one Mention each)."""

    external_id: str
    text: str
    lang: str
    category: Category
    person: Person
    brands: tuple[BrandProfile, ...]
    created_at: datetime
    received_lag_s: float
    conversation_id: str
    in_reply_to: str | None
    in_reply_to_user_id: str | None
    incident: str | None  # the burst's hashtag when part of a crisis burst


@dataclass(slots=True)
class LabeledMention:
    """A Mention plus what the generator meant it to be (ground truth for evaluation)."""

    mention: Mention
    category: Category
    incident: str | None


@dataclass(slots=True)
class _Burst:
    brand: BrandProfile
    remaining: int
    tag: str
    crisis: dict[str, str]  # lang -> the incident, so the burst talks about one thing


class _Slots(dict[str, str]):
    """Fills template slots lazily: only the slots a template uses cost a random draw."""

    __slots__ = ("_gen", "_table", "_lang", "_brand")

    def __init__(self, gen: TrafficGenerator, table: dict[str, tuple[str, ...]], lang: str,
                 brand: BrandProfile) -> None:
        super().__init__()
        self._gen, self._table, self._lang, self._brand = gen, table, lang, brand

    def __missing__(self, key: str) -> str:
        if key == "ref":
            value = self._gen._reference(self._brand)
        elif key == "tag":  # a hashtag someone coins outside any burst
            value = self._brand.display_name.replace(" ", "") + self._gen.rng.choice(
                _BURST_SUFFIX[self._lang])
        elif key == "brand2":
            value = self._gen._second_brand(self._brand, self._lang)
        else:
            choices = self._table.get(key)
            if choices is None:
                raise KeyError(f"template slot {{{key}}} has no filler")
            value = choices[int(self._gen._random() * len(choices))]
            if "{" in value:  # fillers may hold slots too ("is there an outage in {place}")
                value = value.format_map(self)
        self[key] = value
        return value


class TrafficGenerator:
    def __init__(
        self,
        brands: Sequence[BrandProfile] = DEMO_BRANDS,
        *,
        seed: int = 0,
        start: datetime = DEFAULT_START,
        rate_per_s: float = 20.0,
        burst_chance: float = 1 / 15_000,
        burst_size: tuple[int, int] = (200, 1200),
        burst_speedup: float = 10.0,
        follow_up_chance: float = 0.1,
        two_brand_chance: float = 0.012,
        author_pool: int = 20_000,
    ) -> None:
        if not brands:
            raise ValueError("at least one brand is needed")
        if len({b.brand_id for b in brands}) != len(brands):
            raise ValueError("brand ids must be unique")
        self.brands = tuple(brands)
        self.seed = seed
        self.rng = random.Random(seed)
        self._random = self.rng.random  # bound once: it is called ~15 times per post
        self._worker = seed % 1024
        self._rate = rate_per_s
        self._burst_chance = burst_chance
        self._burst_size = burst_size
        self._burst_speedup = burst_speedup
        self._follow_up_chance = follow_up_chance
        self._two_brand_chance = two_brand_chance if len(brands) > 1 else 0.0
        self._now = start.timestamp()  # seconds: float arithmetic beats timedelta
        self._sequence = 0
        self._last_id = 0
        self._burst: _Burst | None = None
        self._brand_cum = list(itertools.accumulate(b.traffic_weight for b in brands))
        self._categories = [c for c, _ in CATEGORY_MIX]
        self._category_cum = list(itertools.accumulate(w for _, w in CATEGORY_MIX))
        self._lang_cum = {
            b.brand_id: ([lang for lang, _ in b.languages],
                         list(itertools.accumulate(w for _, w in b.languages)))
            for b in brands
        }
        self._recent: dict[str, deque[Post]] = {b.brand_id: deque(maxlen=64) for b in brands}
        self._tables = {
            (sector, lang): {**GENERIC[lang], **SECTOR[sector][lang]}
            for sector in SECTOR for lang in GENERIC
        }
        self.authors = AuthorPool(random.Random(seed ^ 0x5EED), author_pool,
                                  id_base=3_000_000_000 + self._worker * 10_000_000)

    # ------------------------------------------------------------------ public

    def posts(self) -> Iterator[Post]:
        """An endless, deterministic stream of posts in time order."""
        while True:
            yield self._next_post()

    def labeled(self, count: int) -> Iterator[LabeledMention]:
        """Exactly `count` mentions (a two-brand post may be cut after its first brand)."""
        produced = 0
        for post in self.posts():
            for mention in self.to_mentions(post):
                if produced >= count:
                    return
                # A burst is about its brand; another brand named in the same post is not
                # part of that incident.
                incident = post.incident if mention.brand_id == post.brands[0].brand_id else None
                yield LabeledMention(mention, post.category, incident)
                produced += 1
            if produced >= count:
                return

    def mentions(self, count: int) -> Iterator[Mention]:
        """Exactly `count` mentions, without labels (the fast path for replay and benches)."""
        produced = 0
        while produced < count:
            for mention in self.to_mentions(self._next_post()):
                if produced >= count:
                    return
                yield mention
                produced += 1

    def fake_x_batch(self, posts: int) -> dict[str, Any]:
        """The next `posts` posts as a POST /_fake/mentions body (users + tweets)."""
        batch = [self._next_post() for _ in range(posts)]
        return fake_x_body(batch, self.brands)

    # ------------------------------------------------------------------ conversion

    @staticmethod
    def to_mentions(post: Post) -> list[Mention]:
        received_at = post.created_at + timedelta(seconds=post.received_lag_s)
        url = f"https://x.com/{post.person.author.handle}/status/{post.external_id}"
        return [
            Mention(
                id=fast_mention_id(post.external_id, brand.brand_id),
                external_id=post.external_id,
                brand_id=brand.brand_id,
                account_handle=brand.handle,
                author=post.person.author,
                text=post.text,
                lang=post.lang,
                created_at=post.created_at,
                conversation_id=post.conversation_id,
                in_reply_to=post.in_reply_to,
                url=url,
                received_at=received_at,
                source="generator",
            )
            for brand in post.brands
        ]

    # ------------------------------------------------------------------ internals

    def _next_post(self) -> Post:
        random_ = self._random
        burst = self._burst
        if burst is None and random_() < self._burst_chance:
            burst = self._start_burst()
        rate = self._rate * (self._burst_speedup if burst else 1.0)
        self._now -= math.log(1.0 - random_()) / rate  # exponential gap: Poisson arrivals
        created_at = datetime.fromtimestamp(self._now, UTC)

        incident: str | None = None
        category: Category
        if burst is not None and random_() < 0.65:
            brand = burst.brand
            category = "crisis" if random_() < 0.55 else "complaint"
            incident = burst.tag
            burst.remaining -= 1
            if burst.remaining <= 0:
                self._burst = None
        else:
            brand = self._pick_brand()
            category = self._categories[
                bisect.bisect(self._category_cum, random_() * self._category_cum[-1])]
        langs, lang_cum = self._lang_cum[brand.brand_id]
        lang = langs[bisect.bisect(lang_cum, random_() * lang_cum[-1])]

        parent: Post | None = None
        recent = self._recent[brand.brand_id]
        if category in ("question", "complaint") and recent and random_() < self._follow_up_chance:
            parent = recent[int(random_() * len(recent))]
            if parent.lang in ("en", "fr"):
                lang = parent.lang

        if parent is not None:
            person = parent.person
        elif category == "crisis" and incident and random_() < 0.08:
            person = self.authors.pick_voice() or self.authors.pick(lang)
        else:
            person = self.authors.pick(lang)

        brands = [brand]
        text, lang = self._text(brand, lang, category, burst if incident else None, brands)
        external_id = self._new_id()
        post = Post(
            external_id=external_id,
            text=text,
            lang=lang,
            category=category,
            person=person,
            brands=tuple(brands),
            created_at=created_at,
            received_lag_s=0.2 + random_() * 3.0,
            conversation_id=parent.conversation_id if parent else external_id,
            in_reply_to=parent.external_id if parent else None,
            in_reply_to_user_id=parent.person.author.id if parent else None,
            incident=incident,
        )
        if category != "other":
            recent.append(post)
        return post

    def _text(self, brand: BrandProfile, lang: str, category: Category, burst: _Burst | None,
              brands: list[BrandProfile]) -> tuple[str, str]:
        rng = self.rng
        if category == "other" and rng.random() < 0.02:
            # Emoji-only chatter: X labels it "und" (undetermined language).
            return f"@{brand.handle} " + rng.choice(("😂😂😂", "🔥🔥", "👀", "💀💀", "❤️")), "und"
        slots = _Slots(self, self._tables[(brand.sector, lang)], lang, brand)
        slots["brand"] = "@" + brand.handle
        if burst is not None:
            slots["tag"] = burst.tag
            slots["crisis"] = burst.crisis[lang]
        templates = TEMPLATES[lang][category]
        text = templates[int(self._random() * len(templates))].format_map(slots)
        second = slots.get("brand2")
        if second is not None and second.startswith("@"):
            brands.append(self._brand_by_handle[second[1:]])
        elif self._two_brand_chance and rng.random() < self._two_brand_chance:
            other = self._other_brand(brand)
            text = text.replace(slots["brand"], f"{slots['brand']} @{other.handle}", 1)
            brands.append(other)

        if rng.random() < 0.15:
            text += " " + rng.choice(HASHTAGS[lang][category])
        if burst is not None and f"#{burst.tag}" not in text and rng.random() < 0.7:
            text += f" #{burst.tag}"
        text = roughen(rng, text, lang=lang,
                       shout_chance=0.08 if category in ("complaint", "crisis") else 0.01)
        return text[:MAX_TEXT].rstrip(), lang

    def _start_burst(self) -> _Burst:
        rng = self.rng
        brand = self._pick_brand()
        lang = brand.languages[0][0]
        tag = brand.display_name.replace(" ", "") + rng.choice(_BURST_SUFFIX[lang])
        # The crisis lists are parallel across languages: one index, one incident.
        pick = rng.randrange(1 << 16)
        crisis = {}
        for lang_ in ("en", "fr"):
            topics = SECTOR[brand.sector][lang_]["crisis"]
            crisis[lang_] = topics[pick % len(topics)]
        self._burst = _Burst(brand, rng.randint(*self._burst_size), tag, crisis)
        return self._burst

    def _pick_brand(self) -> BrandProfile:
        return self.brands[bisect.bisect(self._brand_cum, self.rng.random() * self._brand_cum[-1])]

    def _new_id(self) -> str:
        """A snowflake of the current post time (the same bits as fakex.models.snowflake)."""
        self._sequence = (self._sequence + 1) & 0xFFF
        ms = int(self._now * 1000) - TWEPOCH_MS
        tweet_id = max((ms << 22) | (self._worker << 12) | self._sequence, self._last_id + 1)
        self._last_id = tweet_id
        return str(tweet_id)

    def _reference(self, brand: BrandProfile) -> str:
        rng = self.rng
        if brand.sector == "airline":
            return f"{brand.handle[:2].upper()}{rng.randint(100, 9999)}"
        if brand.sector == "telecom":
            return f"{rng.choice('ABCDEFGHJK')}{rng.randint(10000, 99999)}"
        return f"#{rng.randint(100000, 999999)}"

    def _other_brand(self, brand: BrandProfile) -> BrandProfile:
        others = [b for b in self.brands if b.brand_id != brand.brand_id]
        return self.rng.choice(others)

    def _second_brand(self, brand: BrandProfile, lang: str) -> str:
        if len(self.brands) < 2:
            return _COMPETITOR[lang]
        return "@" + self._other_brand(brand).handle

    @property
    def _brand_by_handle(self) -> dict[str, BrandProfile]:
        return {b.handle: b for b in self.brands}


def fake_x_body(posts: Sequence[Post], brands: Sequence[BrandProfile]) -> dict[str, Any]:
    """Posts as the fake X API's POST /_fake/mentions body: authors, brand accounts, tweets."""
    users: dict[str, dict[str, Any]] = {}
    for brand in brands:
        users[brand.account_user_id] = {"id": brand.account_user_id, "username": brand.handle,
                                        "name": brand.display_name, "followers": 250_000,
                                        "verified": True}
    tweets = []
    for post in posts:
        author = post.person.author
        users.setdefault(author.id, {"id": author.id, "username": author.handle,
                                     "name": author.name, "followers": author.followers,
                                     "verified": author.verified})
        tweet: dict[str, Any] = {
            "id": post.external_id,
            "text": post.text,
            "author_id": author.id,
            "created_at": x_time(post.created_at),
            "lang": post.lang,
            "conversation_id": post.conversation_id,
            "mentioned_user_ids": [b.account_user_id for b in post.brands],
        }
        if post.in_reply_to is not None:
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": post.in_reply_to}]
            tweet["in_reply_to_user_id"] = post.in_reply_to_user_id
        tweets.append(tweet)
    return {"users": list(users.values()), "tweets": tweets}
