"""The API's share: JSON logs (each request's lines carry its request id,
from `X-Request-ID` or made here), request metrics, and `/metrics`.
`serve()` runs the API under uvicorn with those logs (the image's `api`
command, deploy/images/darkroom/entrypoint.sh; not `python -m`, which would
register the metrics twice); importing the app configures no logging.

- `darkroom_api_requests_total{method, route, status}`
- `darkroom_api_request_seconds{method, route}` (histogram)
- `darkroom_api_requests_in_flight`

`route` is the path template (`/v1/images/{image_id}`), never the path
itself, so the number of series stays bounded.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

import uvicorn
from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest

from streams.observability import logs

REQUESTS = Counter("darkroom_api_requests_total", "Requests answered", ["method", "route", "status"])
SECONDS = Histogram("darkroom_api_request_seconds", "Time to answer a request", ["method", "route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
IN_FLIGHT = Gauge("darkroom_api_requests_in_flight", "Requests being answered now")

Scope = dict[str, Any]


class RequestMetrics:
    """Pure ASGI (no buffering), so streamed uploads pass through untouched."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode(errors="replace")
        logs.bind(request_id=given[:64] or uuid.uuid4().hex)
        status = 500  # what an exception before the response start amounts to

        async def sending(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, sending)
        finally:
            IN_FLIGHT.dec()
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            SECONDS.labels(scope["method"], route).observe(time.perf_counter() - started)


def install(app: FastAPI) -> None:
    """Request metrics and GET /metrics for the API (its logs: `serve`)."""
    app.add_middleware(RequestMetrics)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def serve() -> None:
    """The API under uvicorn, every logger (uvicorn's too) writing JSON lines."""
    logs.configure("api")
    uvicorn.run("ingest_api.main:app", host=os.environ.get("DARKROOM_API_HOST", "0.0.0.0"),
                port=int(os.environ.get("DARKROOM_API_PORT", "8000")), log_config=None)

