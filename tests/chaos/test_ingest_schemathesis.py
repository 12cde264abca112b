"""schemathesis against the running ingest service's OpenAPI schema (POST /v1/mentions with a
valid API key, the webhook's CRC and delivery routes): no generated request may cause a server
error, and ingest keeps serving afterwards. Bounded to under a minute."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from bench.chaos.harness import Harness

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
BUDGET_S = 60


@pytest.mark.slow
async def test_no_generated_request_makes_ingest_answer_5xx(services_harness: Harness, tmp_path: Path) -> None:
    ingest = services_harness.services["ingest"]
    runner = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS), "run", f"{ingest.base_url}/openapi.json", "--checks", "not_a_server_error",
        "--header", f"X-API-Key: {services_harness.secrets['api_key']}",
        # /readyz answers 503 by design while a dependency is down: not a bug to fuzz for.
        "--exclude-path", "/readyz",
        "--max-examples", "30", "--workers", "1", "--no-shrink", "--seed", "10",
        "--request-timeout", "10", "--phases", "examples,coverage,fuzzing",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"},
        cwd=tmp_path)  # schemathesis keeps its cache in the working directory
    try:
        out, _ = await asyncio.wait_for(runner.communicate(), BUDGET_S)
    except TimeoutError:
        runner.kill()
        await runner.wait()
        raise AssertionError(f"schemathesis did not finish within {BUDGET_S}s") from None
    report = out.decode(errors="replace")
    assert runner.returncode == 0, report[-6000:]
    generated = re.search(r"(\d+) generated, \1 passed", report)
    assert generated and int(generated.group(1)) > 50, report[-3000:]
    assert "/v1/mentions" in report and "/v1/webhooks/x" in report, report[-3000:]
    assert ingest.running() and await ingest.probe("/healthz")
