"""The people who mention brands: a fixed pool per generator, heavy-tailed reach.

Followers are log-normal (median ~150, sigma 2.5): most authors have a few hundred, about
1 % have over 50,000 (influencers), a handful millions. A few verified "voices" (journalists,
creators) join crisis bursts more often. Some authors post a lot: picks are skewed towards
the start of the pool.
"""

from __future__ import annotations

import math
import random
import unicodedata
from dataclasses import dataclass

from mentionflow.events.mentions_raw import Author

from mentionflow_tools.generate.vocab import FIRST_NAMES, HANDLE_WORDS, LAST_NAMES

MEDIAN_FOLLOWERS = 150
FOLLOWERS_SIGMA = 2.5
MAX_FOLLOWERS = 80_000_000
INFLUENCER_FOLLOWERS = 50_000


@dataclass(frozen=True, slots=True)
class Person:
    author: Author
    lang: str  # the language they mostly write in

    @property
    def is_influencer(self) -> bool:
        return self.author.followers >= INFLUENCER_FOLLOWERS


def _ascii(value: str) -> str:
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded if ch.isalnum())


def _handle(rng: random.Random, first: str, last: str) -> str:
    first_a, last_a = _ascii(first), _ascii(last)
    style = rng.random()
    if style < 0.3:
        handle = f"{first_a}{last_a}"
    elif style < 0.55:
        handle = f"{first_a.lower()}_{last_a[:1].lower()}{rng.randint(1, 999)}"
    elif style < 0.75:
        handle = f"{rng.choice(HANDLE_WORDS)}{first_a.lower()}"
    elif style < 0.9:
        handle = f"{first_a}{rng.randint(70, 2009)}"
    else:
        handle = f"{rng.choice(HANDLE_WORDS)}_{rng.choice(HANDLE_WORDS)}{rng.randint(1, 99)}"
    return handle[:15]


class AuthorPool:
    """`size` deterministic people; ids are unique numeric strings like X user ids."""

    def __init__(self, rng: random.Random, size: int, *, id_base: int) -> None:
        self._rng = rng
        self.people: list[Person] = []
        mu = math.log(MEDIAN_FOLLOWERS)
        for index in range(size):
            lang = "fr" if rng.random() < 0.5 else "en"
            first, last = rng.choice(FIRST_NAMES[lang]), rng.choice(LAST_NAMES[lang])
            followers = min(MAX_FOLLOWERS, int(rng.lognormvariate(mu, FOLLOWERS_SIGMA)))
            verified_chance = 0.6 if followers >= 100_000 else 0.08 if followers >= 10_000 else 0.005
            author = Author(
                id=str(id_base + index * 7919),
                handle=_handle(rng, first, last),
                name=f"{first} {last}",
                followers=followers,
                verified=rng.random() < verified_chance,
            )
            self.people.append(Person(author, lang))
        self.voices = [p for p in self.people if p.author.followers >= INFLUENCER_FOLLOWERS]
        self._by_lang = {lang: [p for p in self.people if p.lang == lang] for lang in ("en", "fr")}
        self._random = rng.random

    def pick(self, lang: str) -> Person:
        """A person who writes in `lang`, skewed towards regulars (the start of the pool)."""
        people = self._by_lang.get(lang) or self.people
        return people[int(len(people) * self._random() ** 2)]

    def pick_voice(self) -> Person | None:
        return self._rng.choice(self.voices) if self.voices else None
