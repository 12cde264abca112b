"""Event contracts: every topic has examples that validate; encode/decode round-trips."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mentionflow.events import TOPICS, DecodeError, decode, encode, encode_extending, key_for, make_envelope
from mentionflow.events.mentions_classified import Classification, MentionClassified
from mentionflow.events.mentions_raw import Author, Mention, MentionReceived, mention_id
from mentionflow.events.mentions_routed import MentionRouted, RoutingDecision
from mentionflow.events.replies_requested import ReplyRequested

from tests.helpers import mention_event


def _examples(topic_name: str) -> list[dict]:
    path = resources.files("mentionflow.events") / "examples" / f"{topic_name}.json"
    return json.loads(path.read_text())


@pytest.mark.parametrize("topic_name", sorted(TOPICS))
def test_every_topic_has_examples_that_validate(topic_name: str) -> None:
    examples = _examples(topic_name)
    assert examples, f"{topic_name} has no example"
    for example in examples:
        envelope = decode(topic_name, json.dumps(example).encode())
        assert envelope.event_type == TOPICS[topic_name].event_type
        assert isinstance(envelope.payload, TOPICS[topic_name].payload_model)
        assert decode(topic_name, encode(envelope)) == envelope


def test_examples_of_one_topic_are_refused_on_another() -> None:
    raw = json.dumps(_examples("mentions.raw")[0]).encode()
    with pytest.raises(DecodeError) as info:
        decode("replies.requested", raw)
    assert info.value.kind == "type"


@pytest.mark.parametrize(
    ("value", "kind", "says"),
    [
        (b'{"event_id": ', "json", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "json", "not valid JSON"),
        (None, "json", "tombstone"),
        (b"[1, 2]", "schema", "JSON object"),
        (b'{"schema_version": 99, "event_type": "mention.received"}', "version", "newer"),
        (b'{"schema_version": 1, "event_type": "mention.received", "brand_id": 5}', "schema", "payload"),
    ],
)
def test_bad_values_raise_decode_error_naming_the_problem(value: bytes | None, kind: str, says: str) -> None:
    with pytest.raises(DecodeError) as info:
        decode("mentions.raw", value)
    assert info.value.kind == kind
    assert says in str(info.value)


def test_text_with_nul_is_refused_and_text_is_nfc() -> None:
    example = _examples("mentions.raw")[0]
    example["payload"]["mention"]["text"] = "cafe\u0301 time"
    assert decode("mentions.raw", json.dumps(example).encode()).payload.mention.text == "caf\u00e9 time"
    example["payload"]["mention"]["text"] = "bad\x00byte"
    with pytest.raises(DecodeError, match="NUL"):
        decode("mentions.raw", json.dumps(example).encode())


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<b>x</b>", "vbscript:msgbox(1)",
                                 "//evil.example/", "http://x.com/a/status/1", "https://a@b.example/"])
def test_a_mention_url_other_than_https_is_refused_by_every_source(url: str) -> None:
    # The Mention model is the trust boundary: HTTP, webhook, polling and replay all build one.
    example = _examples("mentions.raw")[0]
    example["payload"]["mention"]["url"] = url
    with pytest.raises(DecodeError, match="url"):
        decode("mentions.raw", json.dumps(example).encode())


def test_keys_follow_the_registry() -> None:
    mention = decode("mentions.raw", json.dumps(_examples("mentions.raw")[0]).encode())
    assert key_for("mentions.raw", mention) == mention.brand_id.encode()
    reply = decode("replies.requested", json.dumps(_examples("replies.requested")[0]).encode())
    assert key_for("replies.requested", reply) == reply.payload.reply_id.encode()


def test_mention_id_is_deterministic_per_brand() -> None:
    assert mention_id("x", "123", "acme") == mention_id("x", "123", "acme")
    assert mention_id("x", "123", "acme") != mention_id("x", "123", "globex")


# --- property: any valid mention survives encode → decode unchanged ----------------------
_ids = st.text(alphabet="0123456789", min_size=1, max_size=19)
_handles = st.from_regex(r"[A-Za-z0-9_]{1,15}", fullmatch=True)


def _texts(max_size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1,
                   max_size=max_size).filter(lambda s: s.strip())


_text = _texts(400)
_name = _texts(200)  # Author.name's limit
_times = st.datetimes(min_value=datetime(2006, 3, 21), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


@st.composite
def mentions(draw: st.DrawFn) -> Mention:
    external_id, brand = draw(_ids), draw(_handles)
    return Mention(
        id=mention_id("x", external_id, brand),
        external_id=external_id,
        brand_id=brand,
        brand_known=draw(st.booleans()),
        account_handle=draw(_handles),
        author=Author(id=draw(_ids), handle=draw(_handles), followers=draw(st.integers(0, 10**9)),
                      verified=draw(st.booleans()), name=draw(st.none() | _name)),
        text=draw(_text),
        lang=draw(st.sampled_from([None, "en", "fr", "und"])),
        created_at=draw(_times),
        received_at=draw(_times),
        conversation_id=draw(st.none() | _ids),
        source=draw(st.sampled_from(["x_polling", "x_webhook", "http", "replay", "generator"])),
    )


@settings(max_examples=200, deadline=None)
@given(mentions())
def test_mention_round_trips(mention: Mention) -> None:
    envelope = make_envelope("mentions.raw", MentionReceived(mention=mention), brand_id=mention.brand_id,
                             correlation_id=mention.id)
    assert decode("mentions.raw", encode(envelope)) == envelope


_classifications = st.builds(
    Classification, category=st.sampled_from(["question", "complaint", "crisis", "praise", "other"]),
    sentiment=st.sampled_from(["negative", "neutral", "positive"]), sentiment_score=st.floats(-1, 1),
    is_question=st.booleans(), severity=st.floats(0, 1), confidence=st.floats(0, 1), language=st.just("en"),
    reasons=st.lists(_text, max_size=3), model_version=st.just("m1"), incident_id=st.none() | _ids)
_decisions = st.builds(
    RoutingDecision, queue=_handles, priority=st.sampled_from(["P1", "P2", "P3", "P4"]), sla_due_at=_times,
    tags=st.lists(_handles, max_size=3), rule_id=_handles, explanation=st.lists(_text, max_size=3),
    escalate=st.booleans(), decided_at=_times)


def _same_event(extended: bytes, topic_name: str, expected: MentionClassified | MentionRouted, occurred_at: datetime,
                correlation_id: str) -> None:
    envelope = decode(topic_name, extended)
    assert envelope.payload == expected
    assert (envelope.brand_id, envelope.correlation_id, envelope.occurred_at) == (
        expected.mention.brand_id, correlation_id, occurred_at)
    assert envelope.event_id.version == 4


@settings(max_examples=200, deadline=None)
@given(mentions(), _classifications, _decisions, _times)
def test_an_event_extending_its_source_is_the_event_encoded_whole(
        mention: Mention, classification: Classification, decision: RoutingDecision, occurred_at: datetime) -> None:
    """classify's and routing's outputs (the input's payload as sent, plus what the stage adds)
    decode to what encoding the whole event gives."""
    raw = encode(make_envelope("mentions.raw", MentionReceived(mention=mention), brand_id=mention.brand_id,
                               correlation_id=mention.id, occurred_at=occurred_at))
    key, classified = encode_extending("mentions.classified", "mentions.raw", raw, {"classification": classification},
                                       brand_id=mention.brand_id, correlation_id=mention.id, occurred_at=occurred_at)
    assert key == mention.brand_id.encode()
    _same_event(classified, "mentions.classified", MentionClassified(mention=mention, classification=classification),
                occurred_at, mention.id)
    _, routed = encode_extending("mentions.routed", "mentions.classified", classified, {"decision": decision},
                                 brand_id=mention.brand_id, correlation_id=mention.id, occurred_at=occurred_at)
    _same_event(routed, "mentions.routed",
                MentionRouted(mention=mention, classification=classification, decision=decision), occurred_at,
                mention.id)


def test_an_extension_adds_exactly_the_fields_its_source_lacks() -> None:
    source = mention_event(1)
    mention = source.payload.mention
    raw = encode(source)
    with pytest.raises(TypeError, match="mentions.classified.classification"):
        encode_extending("mentions.classified", "mentions.raw", raw, {"classification": mention},
                         brand_id="acme", correlation_id=mention.id, occurred_at=source.occurred_at)
    with pytest.raises(KeyError, match="classification"):  # routed needs it, and a raw mention has none
        encode_extending("mentions.routed", "mentions.raw", raw, {"decision": mention},
                         brand_id="acme", correlation_id=mention.id, occurred_at=source.occurred_at)


@settings(max_examples=200, deadline=None)
@given(st.builds(ReplyRequested, reply_id=_ids, brand_id=_handles, account_handle=_handles,
                 in_reply_to_external_id=_ids, mention_id=_ids,
                 text=_text.filter(lambda s: len(s) <= 280), requested_by=_handles))
def test_reply_requests_round_trip(reply: ReplyRequested) -> None:
    envelope = make_envelope("replies.requested", reply, brand_id=reply.brand_id, correlation_id=reply.mention_id)
    assert decode("replies.requested", encode(envelope)) == envelope


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash_decode(value: bytes) -> None:
    try:
        decode("mentions.classified", value)
    except DecodeError:
        pass
