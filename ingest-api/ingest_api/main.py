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

import streams.observability.api
from connectors import cassandra, kafka, minio
from connectors.accounts import Accounts
from connectors.albums import Albums
from connectors.cassandra import Cassandra
from connectors.elasticsearch import SearchIndex
from connectors.idempotency import IdempotencyKeys
from connectors.kafka import EventBus
from connectors.minio import ObjectStore
from connectors.nginx import DeliveryCache, UrlSigner
from connectors.orgs import Orgs
from connectors.presets import PresetRepository
from connectors.records import ImageRepository
from connectors.settings import (
    CassandraSettings,
    DeliverySettings,
    ElasticsearchSettings,
    KafkaSettings,
    MinioSettings,
    NginxSettings,
    TusSettings,
)
from connectors.sharing import Sharing
from connectors.uploads import UploadRepository
from connectors.usage import Usage
from ingest_api import deps, openapi, problems, web
from ingest_api.auth import Authenticator
from ingest_api.config import ApiSettings
from ingest_api.delivery import Delivery
from ingest_api.handoff import doors_from
from ingest_api.limits import Quotas, RateLimiter
from ingest_api.propagation import Propagator, Relay
from ingest_api.reconcile import Reconciler
from ingest_api.routes import (
    accounts,
    albums,
    health,
    images,
    orgs,
    presets,
    search,
    sharing,
    transforms,
    uploads,
)
from schemas.media import ImageLimits
from schemas.transforms import TransformLimits

log = logging.getLogger(__name__)

DESCRIPTION = """Uploads originals, answers where their variants are, lets owners edit, share,
delete and restore them, and searches them (`/v1/search`, `/v1/tags`). Accounts sign up and in
(`/v1/auth`); batch uploaders and services use API keys (`/v1/keys`). Send
`Authorization: Bearer <API key or access token>`; reads also answer anonymous callers, who see
public images only. Every error is `{"error": {"code": ..., "message": ...}}`.

Three doors lead in, all to the same checks, record and `image.uploaded` event: `POST /v1/images`
(the bytes in the request), resumable uploads over tus 1.0 (`GET /v1/uploads/tus` says where) and
direct-to-storage uploads (`POST /v1/uploads`: presigned PUT, then complete). Batch uploaders ask
`POST /v1/images/check` which files they have already; `darkroom-upload` does all of it."""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    state = app.state
    state.settings = settings = ApiSettings()
    nginx, delivery, store_settings = NginxSettings(), DeliverySettings(), MinioSettings()
    db_settings, bus_settings = CassandraSettings(), KafkaSettings()
    db = Cassandra(db_settings)
    state.limits = ImageLimits()
    state.images = ImageRepository(db)
    state.idempotency = IdempotencyKeys(db, settings.idempotency_ttl_s)
    state.accounts = Accounts(db)
    state.orgs = Orgs(db)
    state.albums = Albums(db)
    state.sharing = Sharing(db)
    state.presets, state.transform_limits = PresetRepository(db), TransformLimits()
    usage = Usage(db)
    state.auth = Authenticator(state.accounts, settings)
    state.quotas = Quotas(usage, state.accounts, state.orgs, settings)
    state.limiter = RateLimiter(usage, settings)
    # Viewers dial nginx, and S3 signatures cover the host: sign for nginx.
    state.store = ObjectStore(store_settings, public_url=nginx.url)
    state.bus = EventBus(bus_settings, settings.publish_timeout_s)
    state.index = SearchIndex(ElasticsearchSettings())
    state.cache = DeliveryCache(nginx, delivery.purge_token)
    state.delivery = Delivery(state.store, UrlSigner(delivery.signing_keys), nginx.url,
                              settings.presign_expiry_s)
    state.propagator = Propagator(state.images, state.store, state.cache, state.delivery, state.bus,
                                  state.sharing, state.albums, usage)
    state.upload_pool = ThreadPoolExecutor(settings.upload_threads, thread_name_prefix="upload")
    # What /readyz waits for: each engine the API writes to.
    state.readiness = {
        "kafka": functools.partial(kafka.wait_ready, bus_settings),
        "cassandra": functools.partial(cassandra.wait_ready, db_settings),
        "minio": functools.partial(minio.wait_ready, store_settings),
    }
    relay = Relay(state.propagator, settings.relay_interval_s, settings.staging_max_age_s)
    relay.start()
    # The tus and direct doors (routes/uploads.py), and what finishes their lost hand-offs.
    state.tus, state.uploads = TusSettings(), UploadRepository(db)
    reconciler = Reconciler(doors_from(state))
    reconciler.start()
    try:
        yield
    finally:
        reconciler.stop()
        relay.stop()
        state.upload_pool.shutdown(wait=True, cancel_futures=True)
        state.index.close()
        state.bus.close()
        db.close()
        log.info("engine clients closed")


def create_app() -> FastAPI:
    # /docs comes from ingest_api.web, with Swagger UI served from the package (no CDN).
    app = FastAPI(title="Darkroom ingest API", version="0.1.0", description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    problems.install(app)
    streams.observability.api.install(app)  # request metrics and GET /metrics
    routers = [module.router for module in (health, accounts, orgs, albums, images, sharing, search, uploads,
                                            transforms, presets)]
    for router in routers:
        app.include_router(router)
    openapi.install(app, routers, anonymous_ok=deps.anyone)
    web.install(app)  # the page for people (/photos, /upload, ...) and /docs
    return app


app = create_app()
