"""The ingest API's application object: `uvicorn ingest_api.main:app`.

Settings are read when the app starts (lifespan), not at import, so tests
and the devstack can set DARKROOM_* first. The engines' clients are made
there too; Cassandra and Kafka connect on first use, so the API starts, and
/healthz answers, while an engine is still coming up (a request that needs
it meanwhile gets a 503).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI

from connectors import cassandra, kafka, minio
from connectors.cassandra import Cassandra
from connectors.elasticsearch import SearchIndex
from connectors.kafka import EventBus
from connectors.minio import ObjectStore
from connectors.nginx import DeliveryCache
from connectors.records import ImageRepository
from connectors.settings import (
    CassandraSettings,
    ElasticsearchSettings,
    KafkaSettings,
    MinioSettings,
    NginxSettings,
)
from ingest_api import problems
from ingest_api.auth import KeyTable
from ingest_api.config import ApiSettings
from ingest_api.delivery import Delivery
from ingest_api.routes import health, images, search
from schemas.media import ImageLimits

log = logging.getLogger(__name__)

DESCRIPTION = """Uploads originals, answers where their variants are, lets owners edit and
delete them, and searches them (`/v1/search`, `/v1/tags`). Every error is
`{"error": {"code": ..., "message": ...}}`; send
`Authorization: Bearer <api key>` on every `/v1` call (search and tags also answer anonymous callers,
with public images only)."""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    state = app.state
    state.settings = settings = ApiSettings()
    nginx, store_settings = NginxSettings(), MinioSettings()
    db_settings, bus_settings = CassandraSettings(), KafkaSettings()
    db = Cassandra(db_settings)
    state.limits = ImageLimits()
    state.keys = KeyTable(settings.users_by_key())
    state.images = ImageRepository(db)
    # Viewers dial nginx, and S3 signatures cover the host: sign for nginx.
    state.store = ObjectStore(store_settings, public_url=nginx.url)
    state.bus = EventBus(bus_settings, settings.publish_timeout_s)
    state.index = SearchIndex(ElasticsearchSettings())
    state.cache = DeliveryCache(nginx)
    state.delivery = Delivery(state.store, nginx.url, settings.presign_expiry_s)
    state.upload_pool = ThreadPoolExecutor(settings.upload_threads, thread_name_prefix="upload")
    # What /readyz waits for: each engine the API writes to.
    state.readiness = {
        "kafka": functools.partial(kafka.wait_ready, bus_settings),
        "cassandra": functools.partial(cassandra.wait_ready, db_settings),
        "minio": functools.partial(minio.wait_ready, store_settings),
    }
    try:
        yield
    finally:
        state.upload_pool.shutdown(wait=True, cancel_futures=True)
        state.index.close()
        state.bus.close()
        db.close()
        log.info("engine clients closed")


def create_app() -> FastAPI:
    app = FastAPI(title="Darkroom ingest API", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    problems.install(app)
    app.include_router(health.router)
    app.include_router(images.router)
    app.include_router(search.router)
    return app


app = create_app()
