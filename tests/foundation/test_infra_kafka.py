"""The local Kafka launcher's cluster ids: always accepted by `StorageTool format -t`."""

from __future__ import annotations

import base64

from mentionflow_tools.infra.kafka import _random_cluster_id


def test_cluster_ids_are_kafka_uuids_that_never_look_like_an_option() -> None:
    # One random id in 64 starts with "-": 2,000 draws meet one with near certainty, and the
    # launcher must have drawn again (StorageTool read "-t -bhu..." as options and failed).
    ids = [_random_cluster_id() for _ in range(2_000)]
    assert not [i for i in ids if i.startswith("-")]
    assert len(set(ids)) == len(ids)
    for cluster_id in ids[:50]:
        assert len(cluster_id) == 22
        assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16
