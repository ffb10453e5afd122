"""Liveness and readiness, for Docker, Kubernetes and `./darkroom status`."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ingest_api.deps import Readiness, Settings

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    """The process answers; says nothing about the engines."""
    return {"status": "ok"}


def _check(wait_ready: Callable[..., object], timeout_s: float) -> dict[str, object]:
    try:
        wait_ready(timeout_s=timeout_s)
        return {"reachable": True}
    except Exception as exc:  # noqa: BLE001 - any failure means unreachable
        return {"reachable": False, "error": str(exc)[:200]}


@router.get("/readyz", summary="Readiness of the engines")
def readyz(checks: Readiness, settings: Settings) -> JSONResponse:
    """Each engine the API writes to, reachable or not; 503 unless all are."""
    with ThreadPoolExecutor(len(checks)) as pool:
        futures = {name: pool.submit(_check, wait, settings.readiness_timeout_s)
                   for name, wait in checks.items()}
        engines = {name: f.result() for name, f in futures.items()}
    ready = all(e["reachable"] for e in engines.values())
    return JSONResponse({"ready": ready, "engines": engines}, status_code=200 if ready else 503)
