"""The edge's error handling: every error leaves as one JSON shape,

    {"error": {"code": "<stable_code>", "message": "<human text>"}}

with the status its code maps to: the core's typed errors, errors raised at
the edge (ApiError: auth, unknown ids), FastAPI's own validation errors,
engines that are away (503) and anything unexpected (500 `internal`,
logged with its traceback, which the client never sees).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from connectors.errors import UNAVAILABLE, is_unavailable
from ingest_api.errors import DarkroomError

log = logging.getLogger(__name__)

STATUS: dict[str, int] = {
    "empty_file": 400,
    "malformed_multipart": 400,
    "missing_file": 400,
    "unexpected_field": 400,
    "invalid_cursor": 400,
    "invalid_transform": 400,
    "aborted": 400,
    "missing_api_key": 401,
    "invalid_api_key": 401,
    "invalid_credentials": 401,
    "invalid_token": 401,
    "token_expired": 401,
    "token_reused": 401,
    "forbidden": 403,
    "insufficient_scope": 403,
    "username_taken": 409,
    "org_taken": 409,
    "unknown_user": 422,
    "last_owner": 422,
    "not_deleted": 409,
    "quota_exceeded": 413,
    "invalid_username": 422,
    "weak_password": 422,
    "rate_limited": 429,
    "not_found": 404,
    "method_not_allowed": 405,
    "upload_in_progress": 409,
    "not_ready": 409,
    "too_large": 413,
    "batch_too_large": 413,
    "too_many_files": 413,
    "field_too_large": 413,
    "unsupported_format": 415,
    "type_mismatch": 415,
    "size_mismatch": 422,
    "checksum_mismatch": 422,
    "upload_incomplete": 409,
    "upload_expired": 410,
    "length_required": 411,
    "not_multipart": 415,
    "corrupt_image": 422,
    "too_many_pixels": 422,
    "too_many_frames": 422,
    "invalid_field": 422,
    "invalid_request": 422,
    "idempotency_key_reused": 422,
    "internal": 500,
    "unavailable": 503,
}


class ApiError(Exception):
    """An error decided at the edge (a route or a dependency)."""

    def __init__(self, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.headers = code, message, headers


def error_response(code: str, message: str, headers: dict[str, str] | None = None,
                   status: int | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}},
                        status_code=status or STATUS.get(code, 500), headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "request"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request is invalid"


async def _darkroom(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DarkroomError)
    if exc.code == "unavailable":
        log.warning("engine unavailable: %s", exc.message)
    return error_response(exc.code, exc.message, exc.headers)


async def _api(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.code, exc.message, exc.headers)


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response("invalid_request", _validation_message(exc))


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed(request: Request) -> str:
    """Every method some route of this path takes (Starlette names only the
    first route's when several routes share a path)."""
    routes = request.app.router.routes
    return ", ".join(m for m in _METHODS
                     if any(r.matches({**request.scope, "method": m})[0] == Match.FULL for r in routes))


async def _http(request: Request, exc: Exception) -> JSONResponse:
    # Starlette's own: unknown paths (404), wrong methods (405).
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, f"http_{exc.status_code}")
    headers = {**(exc.headers or {}), "Allow": _allowed(request)} if exc.status_code == 405 else exc.headers
    return JSONResponse({"error": {"code": code, "message": str(exc.detail)}}, status_code=exc.status_code,
                        headers=headers)


async def _engine(request: Request, exc: Exception) -> JSONResponse:
    log.warning("engine unavailable path=%s error=%s: %s", request.url.path, type(exc).__name__, exc)
    return error_response("unavailable", "a storage engine did not answer; retry later")


async def _internal(request: Request, exc: Exception) -> JSONResponse:
    if is_unavailable(exc):  # an engine's own "busy" answer (Elasticsearch 503, MinIO SlowDown)
        return await _engine(request, exc)
    log.error("unhandled error path=%s", request.url.path, exc_info=exc)
    return error_response("internal", "internal error")


def install(app: FastAPI) -> None:
    app.add_exception_handler(DarkroomError, _darkroom)
    app.add_exception_handler(ApiError, _api)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    for engine_error in UNAVAILABLE:
        app.add_exception_handler(engine_error, _engine)
    app.add_exception_handler(Exception, _internal)
