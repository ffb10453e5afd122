"""Darkroom's page for people, served by the API's own process.

The pages are server-rendered shells (Jinja2); small browser modules in
static/ fill them by calling the public API with the visitor's own token, so
the page shows what the API allows and nothing more. The browser libraries
(and Swagger UI for /docs) are vendored from npm at install or image-build
time (vendor.sh), so nothing is loaded from a CDN.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from ingest_api.web import pages

HERE = Path(__file__).parent
STATIC = HERE / "static"
VENDOR = "/static/vendor"


def install(app: FastAPI) -> None:
    """Mount the static files, the pages and an offline /docs (create the app
    with `docs_url=None` so FastAPI's CDN-backed one is not there too)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(pages.router)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title}: docs",
                                   swagger_js_url=f"{VENDOR}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{VENDOR}/swagger-ui.css",
                                   swagger_favicon_url=f"{VENDOR}/favicon-32x32.png")
