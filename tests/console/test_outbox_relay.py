"""The outbox relay re-produces replies still 'requested' after the first produce was lost."""

from __future__ import annotations

from mentionflow.events import decode
from mentionflow.kafka.producer import make_producer
from mentionflow_console.outbox import resend_stale_requests

from tests.console.factories import insert_item
from tests.helpers import read_all


async def test_stale_requested_reply_is_resent_once_per_delay(console):
    item = await insert_item(console.pool, brand="brand-a")
    # a reply recorded by a console that stopped before producing it
    await console.pool.execute(
        "INSERT INTO reply_outbox (reply_id, brand_id, mention_id, queue_item_id, account_handle, "
        "in_reply_to_external_id, text, requested_by, requested_at, updated_at) "
        "SELECT 'r-lost', brand_id, mention_id, id, 'BrandHelp', external_id, 'lost reply', 'agent-a', "
        "now() - interval '1 minute', now() - interval '1 minute' FROM queue_items WHERE id = $1", item)
    await console.pool.execute(
        "INSERT INTO reply_outbox (reply_id, brand_id, mention_id, account_handle, in_reply_to_external_id, text, "
        "requested_by, status, requested_at, updated_at) VALUES ('r-done', 'brand-a', 'm', 'h', '1', 't', 'a', "
        "'sent', now() - interval '1 minute', now() - interval '1 minute')")
    producer = make_producer(console.kafka, client_id="relay-test")
    await producer.start()
    try:
        assert await resend_stale_requests(console.pool, producer, console.kafka, older_than_s=10) == 1
        assert await resend_stale_requests(console.pool, producer, console.kafka, older_than_s=10) == 0
    finally:
        await producer.stop()
    records = await read_all(console.kafka, console.kafka.physical("replies.requested"), expect=1)
    assert [decode("replies.requested", r.value).payload.reply_id for r in records] == ["r-lost"]
