"""The render service's application: `uvicorn render.main:app` (the app
image runs it as `entrypoint.sh render`, on port 8000 by default).

    GET /t/<token>/<options>/<public|private>/<image id>   the result (service.py)
    GET /healthz, /readyz, /metrics

Errors are the API's shape, `{"error": {"code": ..., "message": ...}}`:
403 signature_missing|signature_invalid|signature_expired, 400
invalid_transform, 404 not_found, 422 the original's decode code, 503 busy
or an engine away. nginx caches 200 and (briefly) 404, nothing else.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest

from connectors import cassandra, minio
from connectors.cassandra import Cassandra
from connectors.errors import is_unavailable
from connectors.minio import ObjectStore
from connectors.nginx import UrlSigner
from connectors.records import ImageRepository
from connectors.settings import CassandraSettings, DeliverySettings, MinioSettings
from render.config import RenderSettings
from render.service import Refused, Renderer
from schemas.media import ImageLimits
from schemas.transforms import TransformLimits
from streams import imaging
from streams.observability import logs

log = logging.getLogger(__name__)

# Content-addressed by options and original: nginx keeps it (and rewrites the
# header for private images and expiring URLs, signing.js).
IMMUTABLE = "public, max-age=31536000, immutable"
ANSWERS = Counter("darkroom_render_answers_total", "Transform requests answered, by outcome",
                  ["outcome"])  # rendered, stored, or the refusal's code
RENDER_SECONDS = Histogram("darkroom_render_seconds", "Time to answer a transform that had to be rendered",
                           buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32))


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    logs.configure("render")
    settings, delivery = RenderSettings(), DeliverySettings()
    db_settings, store_settings = CassandraSettings(), MinioSettings()
    db = Cassandra(db_settings)
    store = ObjectStore(store_settings)
    workers = settings.workers or os.cpu_count() or 1
    pool = imaging.new_pool(workers)
    app.state.renderer = Renderer(signer=UrlSigner(delivery.signing_keys), images=ImageRepository(db),
                                  originals=store.originals, variants=store.variants, pool=pool,
                                  workers=workers, queue=settings.queue, limits=TransformLimits(),
                                  image_limits=ImageLimits())
    app.state.readiness = {"cassandra": functools.partial(cassandra.wait_ready, db_settings),
                           "minio": functools.partial(minio.wait_ready, store_settings)}
    app.state.settings = settings
    try:
        yield
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        db.close()


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def create_app() -> FastAPI:
    app = FastAPI(title="Darkroom render service", version="0.1.0", lifespan=lifespan, docs_url=None,
                  redoc_url=None, openapi_url=None)

    @app.get("/t/{rest:path}")
    async def transform(request: Request) -> Response:
        started = time.perf_counter()
        try:
            result = await request.app.state.renderer.answer(request.url.path)
        except Refused as refused:
            ANSWERS.labels(refused.code).inc()
            return _error(refused.status, refused.code, refused.message, refused.headers)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            ANSWERS.labels("unavailable").inc()
            log.warning("engine unavailable: %s: %s", type(exc).__name__, exc)
            return _error(503, "unavailable", "a storage engine did not answer; retry later",
                          {"Retry-After": "1"})
        ANSWERS.labels("rendered" if result.rendered else "stored").inc()
        if result.rendered:
            RENDER_SECONDS.observe(time.perf_counter() - started)
        return Response(result.data, media_type=result.content_type,
                        headers={"Cache-Control": IMMUTABLE,
                                 "X-Darkroom-Render": "rendered" if result.rendered else "stored"})

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz(request: Request) -> JSONResponse:
        state, engines = request.app.state, {}
        for name, wait in state.readiness.items():
            try:
                wait(timeout_s=state.settings.readiness_timeout_s)
                engines[name] = {"reachable": True}
            except Exception as exc:  # noqa: BLE001 - any failure means unreachable
                engines[name] = {"reachable": False, "error": str(exc)[:200]}
        ready = all(e["reachable"] for e in engines.values())
        return JSONResponse({"ready": ready, "engines": engines}, status_code=200 if ready else 503)

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return app


app = create_app()
