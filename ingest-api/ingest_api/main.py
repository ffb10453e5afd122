"""The ingest API's application object: `uvicorn ingest_api.main:app`.

Settings are read when the app starts (lifespan), not at import, so tests
and the devstack can set DARKROOM_* first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ingest_api import problems
from ingest_api.routes import health, images, search
from ingest_api.services import Services

DESCRIPTION = """Uploads originals, answers where their variants are, lets owners edit and
delete them, and searches them (`/v1/search`, `/v1/tags`). Every error is
`{"error": {"code": ..., "message": ...}}`; send
`Authorization: Bearer <api key>` on every `/v1` call (search and tags also answer anonymous callers,
with public images only)."""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.services = Services()
    try:
        yield
    finally:
        app.state.services.close()


def create_app() -> FastAPI:
    app = FastAPI(title="Darkroom ingest API", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    problems.install(app)
    app.include_router(health.router)
    app.include_router(images.router)
    app.include_router(search.router)
    return app


app = create_app()
