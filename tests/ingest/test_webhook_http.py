"""Webhook (CRC, signatures, v1.1 tweets) and POST /v1/mentions against real Kafka + PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import AsyncIterator

import asyncpg
import httpx
import orjson
import pytest
from fastapi import FastAPI
from mentionflow.events.mentions_raw import MAX_TEXT_CHARS, UNKNOWN_BRAND, mention_id
from mentionflow.ingestion import BrandResolver
from mentionflow.settings import KafkaSettings
from mentionflow.xapi import XSession
from mentionflow_ingest.http_api import mentions_router
from mentionflow_ingest.pipeline import Ingestor
from mentionflow_ingest.poller import MentionPoller
from mentionflow_ingest.webhook import webhook_router
from mentionflow_tools.fakex import FakeXServer
from pydantic import SecretStr

from tests.ingest.conftest import ACME, CREDENTIALS, add_tweets, polling_settings, raw_count, raw_events

SECRET = "webhook-consumer-secret-for-tests"
API_KEY = "collector-key-0123456789"


def sign(body: bytes) -> str:
    return "sha256=" + base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


@pytest.fixture
async def client(ingestor: Ingestor, resolver: BrandResolver) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(webhook_router(secret=SecretStr(SECRET), ingestor=ingestor, resolver=resolver))
    app.include_router(mentions_router(api_keys=[SecretStr(API_KEY)], ingestor=ingestor, resolver=resolver,
                                       max_batch=100, max_body_bytes=1 << 20))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as http:
        yield http


def v1_tweet(tweet_id: str, text: str, *, mentions: list[tuple[str, str]], extended: str | None = None) -> dict:
    tweet = {
        "id_str": tweet_id, "text": text, "created_at": "Wed Jan 15 10:30:00 +0000 2025", "lang": "en",
        "in_reply_to_status_id_str": None,
        "user": {"id_str": "3001", "screen_name": "lea_m42", "name": "Léa", "followers_count": 87, "verified": False},
        "entities": {"user_mentions": [{"screen_name": h, "id_str": i} for h, i in mentions]},
    }
    if extended is not None:
        tweet["truncated"] = True
        tweet["extended_tweet"] = {"full_text": extended, "entities": tweet["entities"]}
    return tweet


async def test_crc_answers_the_hmac_of_the_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/webhooks/x", params={"crc_token": "challenge-123"})
    expected = base64.b64encode(hmac.new(SECRET.encode(), b"challenge-123", hashlib.sha256).digest()).decode()
    assert response.status_code == 200
    assert response.json() == {"response_token": f"sha256={expected}"}


async def test_signed_delivery_is_normalised_and_produced(client: httpx.AsyncClient,
                                                         kafka_settings: KafkaSettings) -> None:
    long_text = "@AcmeHelp " + "very long complaint &amp; details " * 12
    body = orjson.dumps({"for_user_id": ACME.id, "tweet_create_events": [
        v1_tweet("1880000000000000001", long_text[:140] + "…", mentions=[("AcmeHelp", ACME.id)], extended=long_text),
        v1_tweet("1880000000000000002", "@nobody_we_know hello", mentions=[("nobody_we_know", "999")]),
        {"id_str": "1880000000000000003", "text": "no user, no date"},  # garbage: dropped, rest kept
    ]})
    response = await client.post("/v1/webhooks/x", content=body, headers={"x-twitter-webhooks-signature": sign(body)})
    assert response.status_code == 200
    assert response.json() == {"accepted": 2, "duplicates": 0, "dropped": 1, "ignored": 0}
    events = {e.payload.mention.external_id: e.payload.mention for e in await raw_events(kafka_settings, expect=2)}
    acme = events["1880000000000000001"]
    assert acme.brand_id == "acme" and acme.text == long_text.replace("&amp;", "&") and acme.source == "x_webhook"
    unknown = events["1880000000000000002"]
    assert unknown.brand_id == UNKNOWN_BRAND and unknown.brand_known is False
    assert unknown.account_handle == "nobody_we_know"


@pytest.mark.parametrize("signature", ["tampered", "missing", "wrong-secret"])
async def test_bad_signature_is_refused_and_nothing_is_produced(client: httpx.AsyncClient,
                                                                kafka_settings: KafkaSettings, signature: str) -> None:
    body = orjson.dumps({"for_user_id": ACME.id, "tweet_create_events": [
        v1_tweet("1880000000000000010", "@AcmeHelp hi", mentions=[("AcmeHelp", ACME.id)])]})
    headers = {}
    if signature == "tampered":
        headers["x-twitter-webhooks-signature"] = sign(body)
        body = body.replace(b"hi", b"ho")
    elif signature == "wrong-secret":
        headers["x-twitter-webhooks-signature"] = "sha256=" + base64.b64encode(
            hmac.new(b"other", body, hashlib.sha256).digest()).decode()
    response = await client.post("/v1/webhooks/x", content=body, headers=headers)
    assert response.status_code == 401
    assert await raw_count(kafka_settings) == 0


async def test_malformed_webhook_json_is_400(client: httpx.AsyncClient, kafka_settings: KafkaSettings) -> None:
    body = b'{"tweet_create_events": [ {"id_str": '
    response = await client.post("/v1/webhooks/x", content=body, headers={"x-twitter-webhooks-signature": sign(body)})
    assert response.status_code == 400
    assert await raw_count(kafka_settings) == 0


async def test_webhook_and_polling_overlap_yields_one_event(
    client: httpx.AsyncClient, fake: FakeXServer, x_session: XSession, ingestor: Ingestor, pool: asyncpg.Pool,
    resolver: BrandResolver, kafka_settings: KafkaSettings,
) -> None:
    [tweet_id] = add_tweets(fake, ["@AcmeHelp where is my refund"])
    body = orjson.dumps({"for_user_id": ACME.id, "tweet_create_events": [
        v1_tweet(tweet_id, "@AcmeHelp where is my refund", mentions=[("AcmeHelp", ACME.id)])]})
    response = await client.post("/v1/webhooks/x", content=body, headers={"x-twitter-webhooks-signature": sign(body)})
    assert response.json()["accepted"] == 1
    poller = MentionPoller(handle=ACME.username, user_id=ACME.id, client=x_session.reader(CREDENTIALS),
                           ingestor=ingestor, pool=pool, resolver=resolver, settings=polling_settings())
    await poller.poll_once()
    again = await client.post("/v1/webhooks/x", content=body, headers={"x-twitter-webhooks-signature": sign(body)})
    assert again.json()["duplicates"] == 1

    events = await raw_events(kafka_settings, expect=1)
    assert [e.payload.mention.id for e in events] == [mention_id("x", tweet_id, "acme")]
    assert await raw_count(kafka_settings) == 1


def collector_item(external_id: str = "1890000000000000001", **overrides: object) -> dict:
    item: dict = {"external_id": external_id, "text": "@GlobexCare @AcmeHelp coucou &amp; merci",
                  "author": {"id": "77", "handle": "jo"}, "mentioned_handles": ["@GlobexCare", "AcmeHelp"],
                  "created_at": "2025-01-15T10:30:00Z", "lang": "fr"}
    item.update(overrides)
    return item


async def test_http_batch_reports_accepted_and_duplicate_per_item(client: httpx.AsyncClient,
                                                                  kafka_settings: KafkaSettings) -> None:
    headers = {"X-API-Key": API_KEY}
    first = await client.post("/v1/mentions", json=collector_item(), headers=headers)
    assert first.status_code == 200
    [item] = first.json()["items"]
    assert [(m["brand_id"], m["status"]) for m in item["mentions"]] == [("globex", "accepted"), ("acme", "accepted")]
    batch = await client.post("/v1/mentions", json=[collector_item(), collector_item("1890000000000000002")],
                              headers=headers)
    statuses = [[m["status"] for m in it["mentions"]] for it in batch.json()["items"]]
    assert statuses == [["duplicate", "duplicate"], ["accepted", "accepted"]]
    events = await raw_events(kafka_settings, expect=4)
    assert len(events) == 4 and all(e.payload.mention.text == "@GlobexCare @AcmeHelp coucou & merci" for e in events)


@pytest.mark.parametrize("key", [None, "wrong-key-123456"])
async def test_http_requires_the_api_key(client: httpx.AsyncClient, key: str | None) -> None:
    headers = {"X-API-Key": key} if key else {}
    assert (await client.post("/v1/mentions", json=collector_item(), headers=headers)).status_code == 401


@pytest.mark.parametrize(("body", "loc"), [
    (orjson.dumps({k: v for k, v in collector_item().items() if k != "author"}), ["body", "author"]),
    (orjson.dumps([collector_item(), {k: v for k, v in collector_item().items() if k != "external_id"}]),
     ["body", 1, "external_id"]),
    (orjson.dumps(collector_item(text="x" * (MAX_TEXT_CHARS + 1))), ["body", "text"]),
    (orjson.dumps(collector_item(text="PLACEHOLDER")).replace(b"PLACEHOLDER", b"caf\xc3 \xff"), ["body", "text"]),
    (orjson.dumps(collector_item(author={"id": "1", "handle": "HANDLE"})).replace(b"HANDLE", b"j\xe9"),
     ["body", "author", "handle"]),
])
async def test_http_bad_payload_is_422_naming_the_field(client: httpx.AsyncClient, kafka_settings: KafkaSettings,
                                                        body: bytes, loc: list) -> None:
    response = await client.post("/v1/mentions", content=body,
                                 headers={"X-API-Key": API_KEY, "content-type": "application/json"})
    assert response.status_code == 422
    assert loc in [err["loc"] for err in response.json()["detail"]]
    assert await raw_count(kafka_settings) == 0


@pytest.mark.parametrize("url", [
    "javascript:alert(3)", "JavaScript:alert(3)", " javascript:alert(3)", "java\tscript:alert(3)",
    "data:text/html,<script>alert(3)</script>", "vbscript:msgbox(3)", "//evil.example/x", "http://x.com/a/status/1",
    "https://user:pw@x.com/a/status/1", "https:///nohost", "/relative/path", "https://x.com/a b",
])
async def test_http_refuses_every_url_but_https_naming_the_field(client: httpx.AsyncClient,
                                                                kafka_settings: KafkaSettings, url: str) -> None:
    response = await client.post("/v1/mentions", json=collector_item(url=url), headers={"X-API-Key": API_KEY})
    assert response.status_code == 422, response.text
    assert ["body", "url"] in [err["loc"] for err in response.json()["detail"]]
    assert await raw_count(kafka_settings) == 0


async def test_http_keeps_an_https_url_or_none(client: httpx.AsyncClient, kafka_settings: KafkaSettings) -> None:
    headers = {"X-API-Key": API_KEY}
    link = "https://x.com/jo/status/1890000000000000009"
    assert (await client.post("/v1/mentions", json=collector_item("1890000000000000009", url=link),
                              headers=headers)).status_code == 200
    assert (await client.post("/v1/mentions", json=collector_item("1890000000000000010", url=None),
                              headers=headers)).status_code == 200
    urls = {e.payload.mention.external_id: e.payload.mention.url for e in await raw_events(kafka_settings, expect=4)}
    assert urls == {"1890000000000000009": link, "1890000000000000010": None}


async def test_quotes_keep_the_quoted_post_from_the_webhook_and_the_http_api(client: httpx.AsyncClient,
                                                                            kafka_settings: KafkaSettings) -> None:
    quote = v1_tweet("1880000000000000050", "@AcmeHelp this, again", mentions=[("AcmeHelp", ACME.id)])
    quote["quoted_status_id_str"] = "1870000000000000001"
    body = orjson.dumps({"for_user_id": ACME.id, "tweet_create_events": [quote]})
    response = await client.post("/v1/webhooks/x", content=body, headers={"x-twitter-webhooks-signature": sign(body)})
    assert response.json()["accepted"] == 1
    headers = {"X-API-Key": API_KEY}
    plain = await client.post("/v1/mentions", json=collector_item("1890000000000000060"), headers=headers)
    quoted = await client.post("/v1/mentions", headers=headers,
                               json=collector_item("1890000000000000061", quoted_id="1870000000000000002"))
    assert plain.status_code == quoted.status_code == 200
    received = await raw_events(kafka_settings, expect=5)
    events = {(e.payload.mention.external_id, e.payload.mention.brand_id): e.payload.mention for e in received}
    assert events[("1880000000000000050", "acme")].quoted_id == "1870000000000000001"
    assert events[("1890000000000000060", "acme")].quoted_id is None
    assert events[("1890000000000000061", "globex")].quoted_id == "1870000000000000002"
