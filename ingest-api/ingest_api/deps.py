"""The routes' dependencies, as Annotated aliases: `Owner`, `Viewer`, `Svc`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ingest_api.problems import ApiError
from ingest_api.services import Services

_bearer = HTTPBearer(auto_error=False, scheme_name="api key",
                     description="`Authorization: Bearer <key>`; the local stack prints the dev key.")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def _services(request: Request) -> Services:
    return request.app.state.services


Svc = Annotated[Services, Depends(_services)]


def _owner(svc: Svc, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str:
    if credentials is None:
        raise ApiError("missing_api_key", "send `Authorization: Bearer <api key>`", _CHALLENGE)
    user = svc.user_for(credentials.credentials)
    if user is None:
        raise ApiError("invalid_api_key", "the API key is not valid", _CHALLENGE)
    return user


# The user making the request, from their bearer key.
Owner = Annotated[str, Depends(_owner)]


def _viewer(svc: Svc,
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str | None:
    if credentials is None:
        return None  # anonymous: allowed where a route says so
    return _owner(svc, credentials)


# The user making the request, or None without an Authorization header (a wrong key is still a 401).
Viewer = Annotated[str | None, Depends(_viewer)]
