"""Sharing an image: collaborators, share links, and what a share link
opens. Thin: parse, call the core in a worker thread, shape the answer."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from connectors.records import ImageRecord
from ingest_api import catalog
from ingest_api.access import ANONYMOUS, Permission
from ingest_api.deps import AccountsRepo, Anyone, Changes, Editor, Images, Settings, SharingRepo, Urls
from ingest_api.errors import InvalidField
from ingest_api.models import (
    CollaboratorIn,
    CollaboratorsOut,
    ErrorBody,
    ImageOut,
    ImagePatch,
    ShareIn,
    ShareOut,
)

router = APIRouter(prefix="/v1", tags=["sharing"])
_ERRORS = {code: {"model": ErrorBody} for code in (401, 403, 404, 422, 429, 503)}


@router.post("/images/{image_id}/collaborators", summary="Add, change or remove a collaborator",
             response_model=CollaboratorsOut, responses=_ERRORS)
async def set_collaborator(image_id: str, body: CollaboratorIn, viewer: Editor, images: Images,
                           sharing: SharingRepo, accounts: AccountsRepo,
                           changes: Changes) -> CollaboratorsOut:
    """Owners only. `view` lets them see a private image (and find it in search); `edit` also lets them
    change its title, description, tags and albums and see its location. `null` takes them away."""
    def change() -> CollaboratorsOut:
        record, _ = catalog.access(images=images, sharing=sharing, viewer=viewer, image_id=image_id,
                                   need=Permission.OWN)
        if body.permission is not None and accounts.get_user(body.username) is None:
            raise InvalidField(f"no user {body.username}", code="unknown_user")
        return CollaboratorsOut(collaborators=catalog.set_collaborator(
            sharing=sharing, changes_out=changes, record=record, username=body.username,
            permission_=body.permission))
    return await run_in_threadpool(change)


@router.post("/images/{image_id}/shares", summary="Make a share link", status_code=201,
             response_model=ShareOut, responses=_ERRORS)
async def create_share(image_id: str, body: ShareIn, request: Request, viewer: Editor, images: Images,
                       sharing: SharingRepo, settings: Settings) -> ShareOut:
    """Owners only. Anyone holding the link sees the image (and with `edit` may change its words)
    until it expires, whatever its visibility."""
    if body.expires_in_s > settings.share_max_lifetime_s:
        raise InvalidField(f"expires_in_s: at most {settings.share_max_lifetime_s}")

    def make() -> ShareOut:
        assert viewer.username is not None
        record, _ = catalog.access(images=images, sharing=sharing, viewer=viewer, image_id=image_id,
                                   need=Permission.OWN)
        token, expires = catalog.create_share(sharing=sharing, record=record, created_by=viewer.username,
                                              permission_=body.permission, lifetime_s=body.expires_in_s)
        return ShareOut(url=str(request.url_for("open_share", token=token)), token=token, expires_at=expires)
    return await run_in_threadpool(make)


def _opened(images: Images, sharing: SharingRepo, token: str,
            need: Permission = Permission.VIEW) -> tuple[ImageRecord, Permission]:
    share = catalog.shared(sharing=sharing, token=token)
    return catalog.access(images=images, sharing=sharing, viewer=ANONYMOUS, image_id=share.image_id,
                          need=need, shared=share.permission)


@router.get("/shared/{token}", summary="Open a share link", response_model=ImageOut, responses=_ERRORS)
async def open_share(token: str, _: Anyone, images: Images, sharing: SharingRepo, urls: Urls) -> ImageOut:
    """No account needed: the link is the permission. 404 once it has expired."""
    record, _ = await run_in_threadpool(_opened, images, sharing, token)
    return urls.image_out(record)


@router.get("/shared/{token}/file", summary="The shared image's bytes", status_code=302,
            response_class=RedirectResponse, responses=_ERRORS)
async def open_share_file(token: str, _: Anyone, images: Images, sharing: SharingRepo,
                          urls: Urls) -> RedirectResponse:
    def locate() -> str:
        record, level = _opened(images, sharing, token)
        return catalog.file_url(record=record, level=level, delivery=urls)
    return RedirectResponse(await run_in_threadpool(locate), status_code=302)


@router.patch("/shared/{token}", summary="Change a shared image's words (an `edit` link)",
              response_model=ImageOut, responses=_ERRORS)
async def patch_share(token: str, patch: ImagePatch, _: Anyone, images: Images, sharing: SharingRepo,
                      urls: Urls, changes: Changes) -> ImageOut:
    def change() -> ImageRecord:
        record, level = _opened(images, sharing, token, Permission.EDIT)
        return catalog.update(images=images, changes_out=changes, record=record, level=level,
                              changes=patch.model_dump(include=patch.model_fields_set))
    return urls.image_out(await run_in_threadpool(change))
