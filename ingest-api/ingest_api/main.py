"""The ingest API's application object: `uvicorn ingest_api.main:app`."""

from fastapi import FastAPI

from ingest_api.routes import health

app = FastAPI(title="Darkroom ingest API", version="0.1.0")
app.include_router(health.router)
