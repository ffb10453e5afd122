"""Organizations, their members, and their quota. Thin: parse, call the
repositories in a worker thread, shape the answer."""

from __future__ import annotations

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from connectors.usage import org_account
from ingest_api.access import MANAGING_ROLES, Viewer
from ingest_api.deps import AccountsRepo, Admin, Editor, OrgsRepo, QuotasDep
from ingest_api.errors import Forbidden, InvalidField, NotFound, UsernameTaken
from ingest_api.models import ErrorBody, MemberIn, OrgIn, OrgOut, QuotaIn, Usage

router = APIRouter(prefix="/v1", tags=["organizations"])
_ERRORS = {code: {"model": ErrorBody} for code in (401, 403, 404, 409, 422, 429, 503)}


def _out(orgs: OrgsRepo, quotas: QuotasDep, org_id: str) -> OrgOut:
    org = orgs.get(org_id)
    if org is None:
        raise NotFound(f"no organization {org_id}")
    account = org_account(org_id)
    return OrgOut(id=org.id, name=org.name, members=orgs.members(org_id),
                  usage=Usage(used_bytes=quotas.used(account), quota_bytes=quotas.limit(account)))


def _member_of(viewer: Viewer, org_id: str, manage: bool = False) -> None:
    role = viewer.orgs.get(org_id)
    if role is None:
        raise NotFound(f"no organization {org_id}")  # nobody sees across organizations
    if manage and role not in MANAGING_ROLES:
        raise Forbidden("only the organization's owners and admins can do that")


@router.post("/orgs", summary="Create an organization", status_code=201, response_model=OrgOut,
             responses=_ERRORS)
async def create_org(body: OrgIn, viewer: Editor, orgs: OrgsRepo, quotas: QuotasDep) -> OrgOut:
    """You become its owner. 409 `org_taken` when the id is in use."""
    assert viewer.username is not None
    if not await run_in_threadpool(orgs.create, body.id, body.name, viewer.username):
        raise UsernameTaken(f"the organization id {body.id!r} is taken", code="org_taken")
    return await run_in_threadpool(_out, orgs, quotas, body.id)


@router.get("/orgs/{org_id}", summary="Read an organization", response_model=OrgOut, responses=_ERRORS)
async def get_org(org_id: str, viewer: Editor, orgs: OrgsRepo, quotas: QuotasDep) -> OrgOut:
    _member_of(viewer, org_id)
    return await run_in_threadpool(_out, orgs, quotas, org_id)


@router.put("/orgs/{org_id}/members", summary="Add a member or change a role", response_model=OrgOut,
            responses=_ERRORS)
async def set_member(org_id: str, body: MemberIn, viewer: Editor, orgs: OrgsRepo, accounts: AccountsRepo,
                     quotas: QuotasDep) -> OrgOut:
    """Owners and admins; only an owner makes another owner."""
    _member_of(viewer, org_id, manage=True)
    if body.role == "owner" and viewer.orgs[org_id] != "owner":
        raise Forbidden("only an owner makes another owner")

    def change() -> OrgOut:
        if accounts.get_user(body.username) is None:
            raise InvalidField(f"no user {body.username}", code="unknown_user")
        orgs.set_member(org_id, body.username, body.role)
        return _out(orgs, quotas, org_id)
    return await run_in_threadpool(change)


@router.delete("/orgs/{org_id}/members/{username}", summary="Remove a member", status_code=204,
               response_class=Response, responses=_ERRORS)
async def remove_member(org_id: str, username: str, viewer: Editor, orgs: OrgsRepo) -> Response:
    """Owners and admins; an organization keeps at least one owner."""
    _member_of(viewer, org_id, manage=True)

    def remove() -> None:
        members = orgs.members(org_id)
        if members.get(username) == "owner" and list(members.values()).count("owner") == 1:
            raise InvalidField("an organization keeps at least one owner", code="last_owner")
        orgs.remove_member(org_id, username)
    await run_in_threadpool(remove)
    return Response(status_code=204)


@router.put("/admin/orgs/{org_id}/quota", summary="Set an organization's storage quota", status_code=204,
            response_class=Response, responses=_ERRORS, tags=["admin"])
async def set_org_quota(org_id: str, body: QuotaIn, _: Admin, orgs: OrgsRepo) -> Response:
    if not await run_in_threadpool(orgs.set_quota, org_id, body.bytes):
        raise NotFound(f"no organization {org_id}")
    return Response(status_code=204)
