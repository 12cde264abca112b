"""FastAPI app factory every service uses: /healthz, /readyz, /metrics, plus its own routes.

/healthz says the process is alive (the event loop answers). /readyz runs every readiness
check (Kafka reachable, database answers) and is 503 naming the failing ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import uvicorn
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from mentionflow.metrics import catalog  # noqa: F401 - every service exports the whole catalog
from mentionflow.settings import HttpSettings

log = logging.getLogger(__name__)

ReadinessCheck = Callable[[], Awaitable[object]]
CHECK_TIMEOUT_S = 5.0


def create_app(service: str, checks: dict[str, ReadinessCheck] | None = None, **fastapi_kwargs: object) -> FastAPI:
    app = FastAPI(title=f"mentionflow {service}", **fastapi_kwargs)  # type: ignore[arg-type]
    readiness = dict(checks or {})

    @app.get("/healthz", tags=["ops"], summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @app.get("/readyz", tags=["ops"], summary="Readiness: every dependency answers")
    async def readyz() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in readiness.items():
            try:
                await asyncio.wait_for(check(), timeout=CHECK_TIMEOUT_S)
                results[name] = "ok"
            except Exception as exc:  # any failure means not ready; say which and why
                results[name] = f"failed: {type(exc).__name__}: {exc}"[:300]
        ready = all(v == "ok" for v in results.values())
        return JSONResponse({"ready": ready, "service": service, "checks": results}, status_code=200 if ready else 503)

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics")
    async def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return app


class HttpServer:
    """uvicorn serving an app inside the service's own event loop (no threads, no signals)."""

    def __init__(self, app: FastAPI, settings: HttpSettings) -> None:
        config = uvicorn.Config(app, host=settings.host, port=settings.port, log_config=None,
                                access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        # The service owns SIGTERM/SIGINT: it drains its consumer, then stops this server. uvicorn
        # would otherwise install its own handlers while it serves (`Server.capture_signals`),
        # stop serving at once and re-raise the signal after it exits.
        self.server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign, assignment]
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Serve, returning once listening. Raises OSError when the server could not start
        (uvicorn logs the bind error and exits its serve() with SystemExit)."""
        self._task = asyncio.create_task(self._serve())
        while not self.server.started:
            if self._task.done():
                self._task.result()  # raises the start-up error
            await asyncio.sleep(0.01)

    async def _serve(self) -> None:
        try:
            await self.server.serve()
        except SystemExit as exc:
            raise OSError(f"HTTP server could not start on {self.server.config.host}:{self.server.config.port}"
                          f" (exit {exc.code}; the log says why)") from None

    @property
    def port(self) -> int:
        return self.server.servers[0].sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop serving; idempotent, and a no-op after a failed start."""
        self.server.should_exit = True
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
