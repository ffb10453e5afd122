"""The OpenAPI document, completed with what every route shares so that it
is true for every answer (schemathesis checks it, tests/ingest_api/test_fuzz.py):

- every /v1 operation may answer the project's error body with 401 (a wrong
  credential), 403 (a missing scope), 422 (bad parameters: FastAPI's own
  validation body is replaced, since problems.py answers ErrorBody), 429
  (rate limits) and 503 (an engine away);
- an operation that also serves anonymous callers says so: its security is
  "a bearer credential, or none".
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

COMMON = {"401": "The credential is missing or not valid.", "403": "The credential lacks a scope.",
          "422": "A parameter or field is not valid.", "429": "Too many requests: see Retry-After.",
          "503": "An engine did not answer; retry later."}
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}


def _calls(dependant: Dependant) -> set[Any]:
    found = {dependant.call}
    for sub in dependant.dependencies:
        found |= _calls(sub)
    return found


def install(app: FastAPI, routers: list[APIRouter], anonymous_ok: Any) -> None:
    """Serve the completed document; `anonymous_ok` is the dependency that admits anonymous callers."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description,
                             routes=app.routes)
        routes = [*app.routes, *(route for router in routers for route in router.routes)]
        open_routes = {(r.path, m.lower()) for r in routes if isinstance(r, APIRoute)
                       and anonymous_ok in _calls(r.dependant) for m in r.methods}
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                if path.startswith("/v1/"):
                    for code, text in COMMON.items():
                        if code == "422" or code not in responses:
                            responses[code] = {"description": text, "content": _ERROR}
                if (path, method) in open_routes:
                    operation["security"] = [{"bearer": []}, {}]
        schema.get("components", {}).get("schemas", {}).pop("HTTPValidationError", None)
        schema.get("components", {}).get("schemas", {}).pop("ValidationError", None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
