"""In-process decision rate of mentionflow.routing.route on the shipped demo config.

    .venv/bin/python bench/routing_rate.py [--events 20000] [--rounds 5] [--config PATH]

Builds a deterministic mix of classified mentions first (all brands of the config plus 5 %
unknown brands; every category, both languages, texts that hit and miss keywords, regexes and
crisis phrases; decision times spread over a year so business-hours SLAs cross nights,
weekends, holidays and DST changes), then times only route() calls. Prints the best and median
rate over the rounds; the aim is >= 50,000 decisions/s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mentionflow.brandconfig import AgencyConfig, load_config
from mentionflow.events.mentions_classified import Classification, MentionClassified
from mentionflow.events.mentions_raw import UNKNOWN_BRAND, Author, Mention, mention_id
from mentionflow.routing import route
from mentionflow_tools.repo import brand_config_or_demo

TEXTS = [
    "Encore une coupure de réseau ce matin, c'est une panne générale ?",
    "Ma facture est fausse, je veux un remboursement",
    "Merci pour la Box Fibre, rien à dire !",
    "My bag was lost on the flight to Boston, nobody answers",
    "Smoke in the cabin on flight SK212, what is going on?",
    "Best crew ever, thanks Skylark!",
    "Ma commande est arrivée froide, encore",
    "I think I got food poisoning from my last order",
    "Where is my order? It has been an hour",
    "just saw an ad lol",
]
CATEGORIES = ["question", "complaint", "crisis", "praise", "other"]
SENTIMENTS = ["negative", "neutral", "positive"]


def make_events(config: AgencyConfig, count: int, seed: int = 7) -> list[tuple[MentionClassified, datetime]]:
    rng = random.Random(seed)
    brands = list(config.brands)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    events = []
    for i in range(count):
        known = rng.random() > 0.05
        brand_id = rng.choice(brands) if known else UNKNOWN_BRAND
        handle = config.brands[brand_id].accounts[0].handle if known else "SomeoneElse"
        category = rng.choice(CATEGORIES)
        when = start + timedelta(minutes=rng.randrange(365 * 24 * 60))
        mention = Mention(
            id=mention_id("x", str(i), brand_id),
            external_id=str(i),
            brand_id=brand_id,
            brand_known=known,
            account_handle=handle,
            author=Author(
                id=str(rng.randrange(10**9)),
                handle=rng.choice(["alice", "bob_42", "FAANews", "MinNumerique", "carol"]),
                followers=rng.choice([10, 900, 60_000, 250_000]),
                verified=rng.random() < 0.1,
            ),
            text=rng.choice(TEXTS),
            created_at=when,
            received_at=when,
            source="generator",
        )
        classification = Classification(
            category=category,  # type: ignore[arg-type]
            sentiment=rng.choice(SENTIMENTS),  # type: ignore[arg-type]
            sentiment_score=0.0,
            is_question=category == "question",
            severity=rng.random(),
            confidence=0.9,
            language=rng.choice(["fr", "en", "fr-CA"]),
            model_version="bench",
        )
        events.append((MentionClassified(mention=mention, classification=classification), when))
    return events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--config", type=Path, default=None)
    args = parser.parse_args()
    config = load_config(args.config or brand_config_or_demo())
    events = make_events(config, args.events)
    for event, now in events[:1000]:  # warm up: compile rules, fill calendar caches
        route(event, config, now=now)
    rates = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        for event, now in events:
            route(event, config, now=now)
        rates.append(len(events) / (time.perf_counter() - started))
    print(
        f"routing decisions/s: best {max(rates):,.0f}, median {statistics.median(rates):,.0f} "
        f"({args.events:,} events x {args.rounds} rounds, {len(config.brands)} brands, "
        f"config {config.version})"
    )


if __name__ == "__main__":
    main()
