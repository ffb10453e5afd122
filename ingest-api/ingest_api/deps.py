"""The routes' dependencies, each its own Annotated alias. What they hand
out is made once per process when the app starts (main.lifespan) and kept
on `app.state`; a route names just the ones it uses."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from connectors.accounts import Accounts
from connectors.albums import Albums
from connectors.elasticsearch import SearchIndex
from connectors.kafka import EventBus
from connectors.minio import ObjectStore
from connectors.nginx import DeliveryCache
from connectors.orgs import Orgs
from connectors.presets import PresetRepository
from connectors.records import ImageRepository
from connectors.settings import TusSettings
from connectors.sharing import Sharing
from ingest_api.access import ANONYMOUS, Viewer
from ingest_api.auth import Authenticator, Principal
from ingest_api.config import ApiSettings
from ingest_api.delivery import Delivery
from ingest_api.errors import InsufficientScope, Unauthenticated
from ingest_api.handoff import Doors, doors_from
from ingest_api.limits import Quotas, RateLimiter
from ingest_api.propagation import Propagator
from ingest_api.tus import Gate
from schemas.media import ImageLimits
from schemas.transforms import TransformLimits


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
AccountsRepo = Annotated[Accounts, _state("accounts")]
OrgsRepo = Annotated[Orgs, _state("orgs")]
AlbumsRepo = Annotated[Albums, _state("albums")]
SharingRepo = Annotated[Sharing, _state("sharing")]
Auth = Annotated[Authenticator, _state("auth")]
QuotasDep = Annotated[Quotas, _state("quotas")]
Limiter = Annotated[RateLimiter, _state("limiter")]
Changes = Annotated[Propagator, _state("propagator")]
PresetsRepo = Annotated[PresetRepository, _state("presets")]
TransformLimitsDep = Annotated[TransformLimits, _state("transform_limits")]
# Staging threads wait on slow uploaders: their own pool, so they never starve
# the pool every other request runs in.
UploadPool = Annotated[ThreadPoolExecutor, _state("upload_pool")]
TusConfig = Annotated[TusSettings, _state("tus")]
# Each engine the API writes to, and how to wait for it (/readyz).
Readiness = Annotated[dict[str, Callable[..., object]], _state("readiness")]

_bearer = HTTPBearer(auto_error=False, scheme_name="bearer",
                     description="`Authorization: Bearer <API key or access token>`; the local stack prints "
                                 "the dev user's key.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _caller(auth: Auth, credentials: Credentials) -> Principal | None:
    # A wrong key or token is a 401 even where anonymous callers are welcome.
    return auth.principal(credentials.credentials) if credentials is not None else None


# The authenticated caller, or None without an Authorization header.
Caller = Annotated[Principal | None, Depends(_caller)]


class _Scoped:
    """An authenticated caller holding `scope`, counted against its rate limit of `kind`."""

    def __init__(self, scope: str | None, kind: str) -> None:
        self.scope, self.kind = scope, kind

    def __call__(self, caller: Caller, limiter: Limiter) -> Principal:
        if caller is None:
            raise Unauthenticated("send `Authorization: Bearer <API key or access token>`",
                                  code="missing_api_key")
        if self.scope is not None and self.scope not in caller.scopes:
            raise InsufficientScope(f"this needs the `{self.scope}` scope")
        limiter.check(caller.limit_bucket, self.kind)
        return caller


Uploader = Annotated[Principal, Depends(_Scoped("upload", "upload"))]
Reader = Annotated[Principal, Depends(_Scoped("read", "read"))]
Admin = Annotated[Principal, Depends(_Scoped("admin", "read"))]
SignedIn = Annotated[Principal, Depends(_Scoped(None, "read"))]


def anyone(request: Request, caller: Caller, orgs: OrgsRepo, limiter: Limiter) -> Viewer:
    if caller is None:
        limiter.check(f"ip:{request.client.host if request.client else 'unknown'}", "read")
        return ANONYMOUS
    if "read" not in caller.scopes:
        raise InsufficientScope("this needs the `read` scope")
    limiter.check(caller.limit_bucket, "read")
    return Viewer(caller, orgs.of_user(caller.username))


def _editor(caller: Uploader, orgs: OrgsRepo) -> Viewer:
    return Viewer(caller, orgs.of_user(caller.username))


# Whoever reads (anonymous callers too: they see what is public), with their organizations.
Anyone = Annotated[Viewer, Depends(anyone)]
# A caller with the `upload` scope (uploads and every change), with their organizations.
Editor = Annotated[Viewer, Depends(_editor)]


def _doors(request: Request) -> Doors:
    return doors_from(request.app.state)


def _tus_gate(request: Request) -> Gate:
    state = request.app.state
    return Gate(state.settings, state.auth, state.limiter, state.orgs, state.quotas, state.albums,
                state.uploads)


# What the upload doors use (ingest_api/handoff.py), and what decides tusd's pre-create and pre-terminate.
DoorsDep = Annotated[Doors, Depends(_doors)]
TusGate = Annotated[Gate, Depends(_tus_gate)]
