"""Pure normalisation: text, brand resolution, ids, encoding (unit + hypothesis)."""

from __future__ import annotations

import html
import unicodedata
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mentionflow.events import decode
from mentionflow.events.mentions_raw import MAX_TEXT_CHARS, MENTION_NAMESPACE, UNKNOWN_BRAND, Author, mention_id
from mentionflow.ingestion import (
    BrandResolver,
    ObservedPost,
    TextRejected,
    clean_text,
    encode_mention_event,
    handles_in_text,
    parse_post_time,
    to_mentions,
)
from mentionflow.ingestion.encoding import uuid5_text
from mentionflow.ingestion.records import RecordRejected, ReplayNormaliser


def post(**overrides: object) -> ObservedPost:
    values: dict = {"external_id": "42", "text": "hello", "author": Author(id="1", handle="jo"),
                    "created_at": datetime(2025, 1, 15, tzinfo=UTC), "source": "http"}
    values.update(overrides)
    return ObservedPost(**values)


def test_clean_text_unescapes_entities_and_composes() -> None:
    assert clean_text("caf\u0065\u0301 &amp; th&eacute; &lt;3") == "café & thé <3"
    assert unicodedata.is_normalized("NFC", clean_text("e\u0301"))


@pytest.mark.parametrize("bad", ["", "   ", "a\x00b", "x" * (MAX_TEXT_CHARS + 1), "bad \udcff byte"])
def test_clean_text_rejects_unusable_text(bad: str) -> None:
    with pytest.raises(TextRejected):
        clean_text(bad)


@given(st.text(min_size=1, max_size=300).filter(lambda t: t.strip() and "\x00" not in t))
def test_clean_text_is_nfc_of_the_unescaped_text(text: str) -> None:
    text = "".join(ch for ch in text if not "\ud800" <= ch <= "\udfff") or "x"
    try:
        cleaned = clean_text(text)
    except TextRejected:
        assert not html.unescape(text).strip()
        return
    assert cleaned == unicodedata.normalize("NFC", html.unescape(text))


@given(st.text(max_size=40), st.text(max_size=40))
def test_fast_uuid5_equals_the_standard_one(platform: str, name: str) -> None:
    name = name.encode("utf-8", "ignore").decode()
    assert uuid5_text(MENTION_NAMESPACE.bytes, f"{platform}:{name}") == str(uuid.uuid5(MENTION_NAMESPACE,
                                                                                       f"{platform}:{name}"))


def test_two_client_brands_make_two_mentions_with_their_own_ids(resolver: BrandResolver) -> None:
    mentions = to_mentions(post(mentioned_handles=("@acmehelp", "GLOBEXCARE", "random_person")), resolver)
    assert [(m.brand_id, m.account_handle, m.brand_known) for m in mentions] == [
        ("acme", "AcmeHelp", True), ("globex", "GlobexCare", True)]
    assert [m.id for m in mentions] == [mention_id("x", "42", "acme"), mention_id("x", "42", "globex")]


def test_unknown_handle_is_kept_as_unknown_brand(resolver: BrandResolver) -> None:
    [mention] = to_mentions(post(mentioned_handles=("@SomeoneElse",)), resolver)
    assert (mention.brand_id, mention.brand_known, mention.account_handle) == (UNKNOWN_BRAND, False, "SomeoneElse")


def test_addressed_account_resolves_without_a_handle(resolver: BrandResolver) -> None:
    [mention] = to_mentions(post(addressed_user_ids=("2002",)), resolver)
    assert mention.brand_id == "globex"


def test_handles_in_text_ignores_email_addresses() -> None:
    assert handles_in_text("@AcmeHelp mail me at jo@example.com cc @Globex_Care @AcmeHelp") == ("AcmeHelp",
                                                                                                 "Globex_Care")


@pytest.mark.parametrize("raw", ["2025-01-15T10:30:00.000Z", "Wed Jan 15 10:30:00 +0000 2025",
                                 "2025-01-15 11:30:00+01:00", "2025-01-15T10:30:00"])
def test_post_times_parse_to_utc(raw: str) -> None:
    assert parse_post_time(raw) == datetime(2025, 1, 15, 10, 30, tzinfo=UTC)


def test_encoded_event_decodes_with_the_registry_codec_and_has_deterministic_ids(resolver: BrandResolver) -> None:
    [mention] = to_mentions(post(mentioned_handles=("AcmeHelp",)), resolver)
    key, value = encode_mention_event(mention)
    again = encode_mention_event(mention)[1]
    envelope = decode("mentions.raw", value)
    assert key == b"acme"
    assert envelope.payload.mention == mention
    assert envelope.brand_id == "acme" and envelope.correlation_id == mention.id
    assert envelope.occurred_at == mention.created_at
    assert envelope.event_id == decode("mentions.raw", again).event_id, "same mention, same event id"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "vbscript:x", "//evil.example/"])
def test_replay_rejects_a_record_whose_url_is_not_https_naming_the_field(resolver: BrandResolver, url: str) -> None:
    normaliser = ReplayNormaliser(resolver)
    now = datetime(2025, 1, 15, tzinfo=UTC)
    row = {"external_id": "42", "text": "@AcmeHelp hi", "author_handle": "jo", "url": url}
    with pytest.raises(RecordRejected, match="url"):
        normaliser.from_csv_row(row, {}, now=now)
    line = ('{"id": "1", "external_id": "42", "brand_id": "acme", "account_handle": "AcmeHelp", "text": "hi", '
            '"author": {"id": "1", "handle": "jo"}, "created_at": "2025-01-15T10:30:00Z", '
            f'"received_at": "2025-01-15T10:30:00Z", "source": "generator", "url": "{url}"}}')
    with pytest.raises(RecordRejected, match="url"):
        normaliser.from_json_line(line.encode(), now=now)
    row["url"] = "https://x.com/jo/status/42"
    assert {m.url for m in normaliser.from_csv_row(row, {}, now=now)} == {"https://x.com/jo/status/42"}
