"""Builders shared by the routing and brand-config tests: events, the demo config, small configs."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from mentionflow.brandconfig import AgencyConfig, load_config, load_config_text
from mentionflow.events.mentions_classified import Classification, MentionClassified
from mentionflow.events.mentions_raw import Author, Mention, mention_id

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_CONFIG = REPO_ROOT / "deploy" / "config" / "demo"


@lru_cache(maxsize=1)
def demo_config() -> AgencyConfig:
    return load_config(DEMO_CONFIG)


def classified(
    *,
    brand_id: str = "acme",
    brand_known: bool = True,
    account: str = "acme",
    text: str = "hello there",
    category: str = "other",
    sentiment: str = "neutral",
    severity: float = 0.2,
    language: str = "en",
    handle: str = "someone",
    followers: int = 0,
    verified: bool = False,
    is_question: bool | None = None,
    incident_id: str | None = None,
    external_id: str = "1",
    at: datetime | None = None,
) -> MentionClassified:
    at = at or datetime(2025, 3, 11, 9, 0, tzinfo=UTC)
    mention = Mention(
        id=mention_id("x", external_id, brand_id), external_id=external_id, brand_id=brand_id,
        brand_known=brand_known, account_handle=account,
        author=Author(id="42", handle=handle, followers=followers, verified=verified),
        text=text, lang=language, created_at=at, received_at=at, source="replay",
    )
    classification = Classification(
        category=category, sentiment=sentiment, sentiment_score=0.0,  # type: ignore[arg-type]
        is_question=category == "question" if is_question is None else is_question,
        severity=severity, confidence=0.9, language=language, model_version="test",
        incident_id=incident_id,
    )
    return MentionClassified(mention=mention, classification=classification)


# A small single-brand agency; tests change parts of it with `small_config(...)`.
SMALL: dict[str, Any] = {
    "agency": {"id": "agency", "name": "Agency", "time_zone": "UTC"},
    "sla": {
        "P1": {"minutes": 30, "clock": "always"},
        "P2": {"minutes": 120, "clock": "always"},
        "P3": {"minutes": 240, "clock": "business_hours"},
        "P4": {"minutes": 600, "clock": "business_hours"},
    },
    "people": {"ann": {"name": "Ann"}, "bob": {"name": "Bob"}, "cy": {"name": "Cy"}, "dee": {"name": "Dee"}},
    "teams": {"care": {"name": "Care", "members": ["ann", "bob"]}},
    "queues": {
        "acme-urgent": {"team": "care", "brand": "acme"},
        "acme-care": {"team": "care", "brand": "acme"},
        "acme-low": {"team": "care", "brand": "acme"},
    },
    "channels": {"pd": {"type": "pagerduty", "routing_key_env": "PD_KEY"}},
    "rotations": {
        "primary": {
            "kind": "weekly", "time_zone": "Europe/Paris", "handoff_day": "monday",
            "handoff_time": "09:00", "start": "2025-01-06", "members": ["ann", "bob", "cy"],
        },
    },
    "escalation_policies": {
        "crisis": {"steps": [
            {"rotation": "primary", "after_minutes": 0, "channels": ["pd"]},
            {"person": "dee", "after_minutes": 15, "channels": ["pd"]},
        ]},
    },
    "brands": {
        "acme": {
            "name": "Acme",
            "accounts": [{"handle": "Acme"}, {"handle": "Acme_Help", "x_user_id": 123}],
            "languages": ["en", "fr"],
            "time_zone": "Europe/Paris",
            "business_hours": {d: "09:00-18:00" for d in ("monday", "tuesday", "wednesday", "thursday", "friday")},
            "vip_handles": ["@BigVip"],
            "crisis_phrases": ["on fire"],
            "products": ["Rocket Skates"],
            "escalation_policy": "crisis",
            "rules": [
                {"id": "crisis", "when": {"category": "crisis"}, "queue": "acme-urgent", "priority": "P1",
                 "escalate": True, "tags": ["crisis"]},
                {"id": "complaint", "when": {"category": "complaint"}, "queue": "acme-care", "priority": "P2"},
            ],
            "default": {"queue": "acme-low", "priority": "P4"},
        },
    },
}


def small_dict(**brand_changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(SMALL)
    data["brands"]["acme"].update(copy.deepcopy(brand_changes))
    return data


def config_from(data: dict[str, Any]) -> AgencyConfig:
    return load_config_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), file="test.yaml")


def small_config(**brand_changes: Any) -> AgencyConfig:
    return config_from(small_dict(**brand_changes))
