"""The relay re-produces requests the broker did not acknowledge when they were made."""

from __future__ import annotations

from mentionflow.events import decode
from mentionflow.kafka.producer import make_producer
from mentionflow_console.outbox import resend_unproduced

from tests.console.factories import insert_item
from tests.helpers import read_all

_RECORD = (
    "INSERT INTO console_requests (request_id, topic, action, brand_id, item_id, requested_by, payload, "
    "requested_at, produced_at) SELECT $2::text, 'replies.requested', 'reply', brand_id, id, 'agent-a', "
    "jsonb_build_object('reply_id', $2::text, 'brand_id', brand_id, 'account_handle', 'BrandHelp', "
    "'in_reply_to_external_id', external_id, 'mention_id', mention_id, 'text', 'a reply', 'requested_by', 'agent-a'), "
    "now() - interval '1 minute', $3::timestamptz FROM queue_items WHERE id = $1")


async def test_unacknowledged_request_is_resent_once(console):
    item = await insert_item(console.pool, brand="brand-a")
    # a reply recorded by a console that stopped before the broker acknowledged it, and one that was
    await console.pool.execute(_RECORD, item, "r-lost", None)
    await console.pool.execute(_RECORD.replace("$3::timestamptz", "now()"), item, "r-done")
    producer = make_producer(console.kafka, client_id="relay-test")
    await producer.start()
    try:
        assert await resend_unproduced(console.pool, producer, console.kafka, older_than_s=10) == 1
        assert await resend_unproduced(console.pool, producer, console.kafka, older_than_s=10) == 0
    finally:
        await producer.stop()
    records = await read_all(console.kafka, console.kafka.physical("replies.requested"), expect=1)
    assert [decode("replies.requested", r.value).payload.reply_id for r in records] == ["r-lost"]
    assert await console.pool.fetchval("SELECT count(*) FROM console_requests WHERE produced_at IS NULL") == 0
