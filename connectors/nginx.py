"""The nginx delivery cache: health and purge of cached copies."""

from __future__ import annotations

import time

import httpx

from connectors.settings import NginxSettings


def wait_ready(settings: NginxSettings, timeout_s: float = 30) -> str:
    """Wait for nginx's own health page; return its version."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            response = httpx.get(f"{settings.url}/nginx-health", timeout=2)
            if response.status_code == 200:
                return response.text.removeprefix("ok").strip() or "unknown"  # "ok 1.22.1"
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"nginx at {settings.url} not ready")
        time.sleep(0.3)


def purge(settings: NginxSettings, path: str) -> bool:
    """Drop the cached copy of `path` (`/bucket/key`); True if one was cached."""
    base = settings.purge_url or settings.url
    response = httpx.request("PURGE", f"{base}{path}", timeout=settings.timeout_s)
    if response.status_code not in (200, 404):
        response.raise_for_status()
    return response.status_code == 200
