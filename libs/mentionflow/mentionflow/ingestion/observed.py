"""A post as a source saw it, before brand resolution, and its conversion to Mention events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from mentionflow.events.mentions_raw import Author, Mention, Source, mention_id
from mentionflow.ingestion.resolve import BrandResolver
from mentionflow.ingestion.text import clean_text


@dataclass(frozen=True, slots=True)
class ObservedPost:
    """Platform-neutral, pre-brand view of one post.

    `addressed_user_ids`: accounts the post is known to address (the account whose mentions
    timeline returned it, the webhook's subscribed account it replies to); `mentioned_handles`:
    handles the post names. Text is raw: `to_mentions` cleans it.
    """

    external_id: str
    text: str
    author: Author
    created_at: datetime
    source: Source
    mentioned_handles: tuple[str, ...] = ()
    addressed_user_ids: tuple[str, ...] = ()
    lang: str | None = None
    conversation_id: str | None = None
    in_reply_to: str | None = None
    quoted_id: str | None = None  # the post this one quotes (X: referenced_tweets type quoted)
    url: str | None = None
    received_at: datetime | None = None
    platform: str = field(default="x")


def to_mentions(post: ObservedPost, resolver: BrandResolver, *, now: datetime | None = None) -> list[Mention]:
    """One validated Mention per brand the post addresses (see BrandResolver.resolve).

    Raises TextRejected for unusable text and pydantic.ValidationError for other bad fields.
    """
    text = clean_text(post.text)
    received_at = post.received_at or now or datetime.now(UTC)
    lang = post.lang if post.lang and post.lang not in ("und", "zxx") else None
    mentions = []
    for brand in resolver.resolve(post.mentioned_handles, post.addressed_user_ids):
        mentions.append(Mention(
            id=mention_id(post.platform, post.external_id, brand.brand_id),
            platform=post.platform,  # type: ignore[arg-type]
            external_id=post.external_id,
            brand_id=brand.brand_id,
            brand_known=brand.known,
            account_handle=brand.account_handle,
            author=post.author,
            text=text,
            lang=lang,
            created_at=post.created_at,
            conversation_id=post.conversation_id,
            in_reply_to=post.in_reply_to,
            quoted_id=post.quoted_id,
            url=post.url,
            received_at=received_at,
            source=post.source,
        ))
    return mentions
