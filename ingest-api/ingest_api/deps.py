"""The routes' dependencies, each its own Annotated alias. What they hand
out is made once per process when the app starts (main.lifespan) and kept
on `app.state`; a route names just the ones it uses."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from connectors.elasticsearch import SearchIndex
from connectors.kafka import EventBus
from connectors.minio import ObjectStore
from connectors.nginx import DeliveryCache
from connectors.records import ImageRepository
from ingest_api.auth import KeyTable
from ingest_api.config import ApiSettings
from ingest_api.delivery import Delivery
from ingest_api.problems import ApiError
from schemas.media import ImageLimits


def _state(name: str) -> Any:
    def get(request: Request) -> Any:
        return getattr(request.app.state, name)
    return Depends(get)


Settings = Annotated[ApiSettings, _state("settings")]
Limits = Annotated[ImageLimits, _state("limits")]
Images = Annotated[ImageRepository, _state("images")]
Store = Annotated[ObjectStore, _state("store")]
Bus = Annotated[EventBus, _state("bus")]
Index = Annotated[SearchIndex, _state("index")]
Cache = Annotated[DeliveryCache, _state("cache")]
Urls = Annotated[Delivery, _state("delivery")]
Keys = Annotated[KeyTable, _state("keys")]
# Staging threads wait on slow uploaders: their own pool, so they never starve
# the pool every other request runs in.
UploadPool = Annotated[ThreadPoolExecutor, _state("upload_pool")]
# Each engine the API writes to, and how to wait for it (/readyz).
Readiness = Annotated[dict[str, Callable[..., object]], _state("readiness")]

_bearer = HTTPBearer(auto_error=False, scheme_name="api key",
                     description="`Authorization: Bearer <key>`; the local stack prints the dev key.")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _owner(keys: Keys, credentials: Credentials) -> str:
    if credentials is None:
        raise ApiError("missing_api_key", "send `Authorization: Bearer <api key>`", _CHALLENGE)
    user = keys.user_for(credentials.credentials)
    if user is None:
        raise ApiError("invalid_api_key", "the API key is not valid", _CHALLENGE)
    return user


# The user making the request, from their bearer key.
Owner = Annotated[str, Depends(_owner)]


def _viewer(keys: Keys, credentials: Credentials) -> str | None:
    if credentials is None:
        return None  # anonymous: allowed where a route says so
    return _owner(keys, credentials)


# The user making the request, or None without an Authorization header (a wrong key is still a 401).
Viewer = Annotated[str | None, Depends(_viewer)]
