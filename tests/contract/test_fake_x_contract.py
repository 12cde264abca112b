"""The fake X API and our X clients held to X's OpenAPI specification.

The scenes (tests/contract/scenes.py) drive our real clients against the fake through every
endpoint the project calls, on normal and fault paths; every exchange is recorded at the
fake and checked against the specification (tests/contract/spec.py): each response's
status, headers and body, and each request our clients sent (query parameters, field
lists, max_results, JSON bodies, credentials).
"""

from __future__ import annotations

from collections import Counter

import pytest
from mentionflow_tools.fakex import FakeXServer, FakeXState
from mentionflow_tools.fakex.server import build_app

from .conftest import ExchangeRecorder
from .scenes import SCENES, Clients
from .spec import XSpec, check_exchange


async def test_fake_x_and_our_clients_follow_the_specification(
        fake: FakeXServer, clients: Clients, recorder: ExchangeRecorder, x_spec: XSpec,
        capsys: pytest.CaptureFixture[str]) -> None:
    for scene in SCENES:
        await scene(fake, clients, recorder)

    verdicts = [check_exchange(x_spec, exchange) for exchange in recorder.exchanges]
    failed = [v.describe() for v in verdicts if not v.ok]
    assert not failed, "exchanges that break X's specification:\n" + "\n".join(failed)

    operations = Counter(v.operation for v in verdicts)
    statuses = Counter(v.exchange.status for v in verdicts)
    requests = sum(v.request_checked for v in verdicts)
    with capsys.disabled():
        print(f"\nX API contract (specification {x_spec.version}): {len(operations)} operations, "
              f"{len(verdicts)} responses, {requests} requests validated; "
              f"statuses {dict(sorted(statuses.items()))}")
        for operation, count in sorted(operations.items(), key=lambda item: str(item[0])):
            print(f"  {count:3d}  {operation}")
    assert len(operations) > 0 and len(verdicts) > 0 and requests > 0
    assert {200, 201, 400, 401, 403, 404, 429, 500, 503} <= set(statuses)

    # Every /2 endpoint the fake serves is exercised here: a new one needs its scenes.
    served = {(route.method, route.resource.canonical)
              for route in build_app(FakeXState()).router.routes()
              if route.method != "HEAD" and route.resource is not None
              and route.resource.canonical.startswith("/2/")}
    exercised = {(v.exchange.method, str(v.operation).split()[1]) for v in verdicts}
    assert served <= exercised, f"served but not exercised: {sorted(served - exercised)}"
