"""Accounts, sessions, API keys and quotas. Thin: parse, call the core in a
worker thread, shape the answer."""

from __future__ import annotations

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from connectors.usage import user_account
from ingest_api.auth import Tokens
from ingest_api.deps import AccountsRepo, Admin, Auth, OrgsRepo, QuotasDep, SignedIn
from ingest_api.errors import NotFound
from ingest_api.models import (
    Credentials,
    ErrorBody,
    KeyIn,
    KeyOut,
    MeOut,
    NewKeyOut,
    OrgMembership,
    QuotaIn,
    RefreshIn,
    TokensOut,
    Usage,
)

router = APIRouter(prefix="/v1", tags=["accounts"])
_ERRORS = {code: {"model": ErrorBody} for code in (401, 403, 409, 422, 429, 503)}


def _tokens(tokens: Tokens) -> TokensOut:
    return TokensOut(access_token=tokens.access_token, refresh_token=tokens.refresh_token,
                     expires_in=tokens.expires_in)


@router.post("/auth/signup", summary="Create an account", status_code=201, response_class=Response,
             responses=_ERRORS)
async def signup(body: Credentials, auth: Auth) -> Response:
    """User names: 1-64 of a-z, 0-9, _ and -. 409 `username_taken`, 422 `weak_password`."""
    await run_in_threadpool(auth.signup, body.username, body.password)
    return Response(status_code=201)


@router.post("/auth/login", summary="Sign in", response_model=TokensOut, responses=_ERRORS)
async def login(body: Credentials, auth: Auth) -> TokensOut:
    """A short-lived access token and a refresh token. 401 `invalid_credentials`."""
    return _tokens(await run_in_threadpool(auth.login, body.username, body.password))


@router.post("/auth/refresh", summary="Trade a refresh token for new tokens", response_model=TokensOut,
             responses=_ERRORS)
async def refresh(body: RefreshIn, auth: Auth) -> TokensOut:
    """A refresh token works once. Presenting a spent one (401 `token_reused`) ends the login on every
    device: someone else may hold a copy."""
    return _tokens(await run_in_threadpool(auth.refresh, body.refresh_token))


@router.post("/auth/logout", summary="Sign out", status_code=204, response_class=Response,
             responses=_ERRORS)
async def logout(body: RefreshIn, auth: Auth) -> Response:
    """Ends the login the refresh token belongs to: its refresh and access tokens stop working."""
    await run_in_threadpool(auth.logout, body.refresh_token)
    return Response(status_code=204)


@router.get("/me", summary="Who am I", response_model=MeOut, responses=_ERRORS)
async def me(caller: SignedIn, accounts: AccountsRepo, orgs: OrgsRepo, quotas: QuotasDep) -> MeOut:
    def read() -> MeOut:
        user = accounts.get_user(caller.username)
        account = user_account(caller.username)
        return MeOut(username=caller.username, scopes=sorted(caller.scopes),
                     is_admin=bool(user and user.is_admin),
                     usage=Usage(used_bytes=quotas.used(account), quota_bytes=quotas.limit(account)),
                     orgs=[OrgMembership(id=org, role=role)
                           for org, role in orgs.of_user(caller.username).items()])
    return await run_in_threadpool(read)


@router.post("/keys", summary="Create an API key", status_code=201, response_model=NewKeyOut,
             responses=_ERRORS)
async def create_key(body: KeyIn, caller: SignedIn, auth: Auth) -> NewKeyOut:
    """For batch uploaders and services. The key is in this answer only; it has at most your own
    scopes (403 `insufficient_scope`)."""
    created, secret = await run_in_threadpool(auth.create_key, caller, body.name, frozenset(body.scopes))
    return NewKeyOut(**_key(created).model_dump(), key=secret)


@router.get("/keys", summary="List your API keys", response_model=list[KeyOut], responses=_ERRORS)
async def list_keys(caller: SignedIn, accounts: AccountsRepo) -> list[KeyOut]:
    return [_key(k) for k in await run_in_threadpool(accounts.list_keys, caller.username)]


@router.delete("/keys/{key_id}", summary="Revoke an API key", status_code=204, response_class=Response,
               responses={**_ERRORS, 404: {"model": ErrorBody}})
async def revoke_key(key_id: str, caller: SignedIn, accounts: AccountsRepo) -> Response:
    if not await run_in_threadpool(accounts.revoke_key, caller.username, key_id):
        raise NotFound(f"no key {key_id}")
    return Response(status_code=204)


def _key(key) -> KeyOut:
    return KeyOut(id=key.id, name=key.name, prefix=key.prefix, scopes=sorted(key.scopes),
                  created_at=key.created_at, last_used_at=key.last_used_at, revoked=key.revoked)


@router.put("/admin/users/{username}/quota", summary="Set a user's storage quota", status_code=204,
            response_class=Response, responses={**_ERRORS, 404: {"model": ErrorBody}}, tags=["admin"])
async def set_user_quota(username: str, body: QuotaIn, _: Admin, accounts: AccountsRepo) -> Response:
    if not await run_in_threadpool(accounts.set_quota, username, body.bytes):
        raise NotFound(f"no user {username}")
    return Response(status_code=204)
