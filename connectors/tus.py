"""tusd, the tus org's resumable-upload server: its address, and whether it answers.

Darkroom never sends upload bytes to tusd itself; tusd calls the API's hooks
(ingest_api/tus.py) and writes straight into MinIO. This connector only
knows where clients find it, how to ask whether it is up, and how to read
its counters.
"""

from __future__ import annotations

import re
import time

import httpx

from connectors.settings import TusSettings

BASE_PATH = "/files/"  # tusd's -base-path: where uploads are created
_VERSION = re.compile(r"^Version = (\S+)$", re.MULTILINE)
_SAMPLE = re.compile(r"^([a-z_]+(?:\{[^}]*\})?) (\S+)$", re.MULTILINE)  # Prometheus text: name{labels} value


def endpoint(settings: TusSettings) -> str:
    """The URL clients create uploads at."""
    return settings.url.rstrip("/") + BASE_PATH


def wait_ready(settings: TusSettings, timeout_s: float = 30) -> str:
    """Wait until tusd speaks tus 1.0 at its endpoint; return its version (from its greeting)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            options = httpx.options(endpoint(settings), timeout=2)
            if options.status_code in (200, 204) and options.headers.get("Tus-Version"):
                found = _VERSION.search(httpx.get(settings.url.rstrip("/") + "/", timeout=2).text)
                return found.group(1) if found else "unknown"
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"tusd at {settings.url} not ready")
        time.sleep(0.3)


def counters(settings: TusSettings) -> dict[str, float]:
    """tusd's Prometheus samples by name with labels (`tusd_bytes_received`,
    `tusd_errors_total{code="ERR_UPLOAD_INTERRUPTED",status="400"}`, ...).
    Reading them takes no upload's lock, where a HEAD would interrupt the
    PATCH in flight."""
    text = httpx.get(settings.url.rstrip("/") + "/metrics", timeout=5).text
    return {name: float(value) for name, value in _SAMPLE.findall(text)}
