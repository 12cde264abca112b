"""Posts replies to X from the reply outbox, exactly once per reply id (x_outbox's engine over
reply_store), and reports them on replies.published.

The Kafka handler only records requests (reply_outbox + schedule); this loop does the posting,
so an account waiting for its rate-limit window holds back nobody else and no Kafka batch.
Status: requested → pending (committed BEFORE the post to X) → sent | failed; a 'pending'
reply is looked for among the account's recent tweets before any new attempt.
"""

from __future__ import annotations

import asyncpg
from aiokafka import AIOKafkaProducer
from mentionflow.settings import KafkaSettings

from mentionflow_publish.reply_store import ReplyOutbox
from mentionflow_publish.settings import PublishSettings
from mentionflow_publish.x_outbox import XAccounts, XOutbox


class ReplyDispatcher(XOutbox):
    def __init__(self, pool: asyncpg.Pool, settings: PublishSettings, accounts: XAccounts,
                 producer: AIOKafkaProducer, kafka: KafkaSettings) -> None:
        super().__init__(pool, settings, accounts, ReplyOutbox(), producer, kafka)
