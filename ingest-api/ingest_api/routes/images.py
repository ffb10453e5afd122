"""The images resource: upload, read, list, edit, delete. Thin: parse,
call the core in a worker thread, shape the answer."""

from __future__ import annotations

import asyncio
import functools
import time
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from connectors.records import FAILED, ImageRecord, ImageRepository
from ingest_api import albums as album_rules
from ingest_api import catalog, uploads
from ingest_api.access import Permission, Viewer, sees_location
from ingest_api.deps import (
    AlbumsRepo,
    Anyone,
    Bus,
    Changes,
    Editor,
    Images,
    Index,
    Limits,
    QuotasDep,
    Settings,
    SharingRepo,
    Store,
    UploadPool,
    Urls,
)
from ingest_api.errors import DarkroomError, NotFound, NotReady
from ingest_api.idempotency import BatchKey, KeyFor, UploadKey
from ingest_api.models import (
    NO_ALBUM,
    Accepted,
    AlbumOut,
    BatchOut,
    ErrorBody,
    ErrorDetail,
    FileResult,
    ImageOut,
    ImagePage,
    ImagePatch,
    ImageTagsOut,
    MetadataOut,
    ModelTag,
)
from ingest_api.problems import ApiError, error_response
from ingest_api.propagation import UPDATED
from ingest_api.routes.albums import album_out

router = APIRouter(prefix="/v1/images", tags=["images"])

POLL_S = 0.2
_FIELDS = {
    "title": {"type": "string", "maxLength": 200},
    "description": {"type": "string", "maxLength": 5000},
    "tags": {"type": "string", "description": "comma-separated"},
    "visibility": {"type": "string", "enum": ["public", "unlisted", "private"], "default": "public"},
    "gps": {"type": "boolean", "default": False, "description": "keep the location in the variants"},
    "presets": {"type": "string", "description": "comma-separated names of your presets (/v1/presets), "
                                                 "rendered with the variants"},
}


def _form(file_field: dict) -> dict:
    # The body is parsed by a streaming reader, not by FastAPI: describe it by hand for /docs.
    schema = {"type": "object", "properties": {**file_field, **_FIELDS}, "required": list(file_field)}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}


_ERRORS = {code: {"model": ErrorBody} for code in (400, 401, 409, 413, 415, 422, 503)}


def _json(model, status: int) -> JSONResponse:
    return JSONResponse(model.model_dump(mode="json"), status_code=status)


async def _wait_processed(images: ImageRepository, image_id: str, timeout_s: float) -> ImageRecord | None:
    """The record once its variants exist or it failed (metadata, tags and the
    `ready` status come later, from other stages); None on timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        record = await run_in_threadpool(images.get, image_id)
        if record is not None and (record.variants or record.status == FAILED):
            return record
        await asyncio.sleep(POLL_S)
    return None


AlbumParam = Annotated[str | None, Query(
    max_length=64, description="Upload into this album (yours, or an organization's you are a member of: the "
                               "image then belongs to the organization and counts against its quota).")]


async def _upload(request: Request, viewer: Viewer, album_id: str | None, batch: bool, *, settings: Settings,
                  limits: Limits, store: Store, images: Images, bus: Bus, pool: UploadPool, quotas: QuotasDep,
                  albums: AlbumsRepo, changes: Changes, key: KeyFor):
    assert viewer.username is not None
    album = None
    if album_id is not None:
        album = await run_in_threadpool(functools.partial(album_rules.get, albums=albums, viewer=viewer,
                                                          album_id=album_id, need=album_rules.ADD))
    results = await uploads.upload(request, owner=viewer.username, org=album and album_rules.org_of(album),
                                   settings=settings, originals=store.originals, images=images, bus=bus,
                                   quotas=quotas, pool=pool, limits=limits, batch=batch,
                                   idempotency=key(viewer.username))
    if album is not None:
        def place() -> None:
            for _, outcome in results:
                if not isinstance(outcome, DarkroomError) and not outcome.duplicate:
                    change = changes.record(outcome.record.id, UPDATED)  # its album goes to search
                    albums.add(album.id, outcome.record.id)
                    changes.run(change)
        await run_in_threadpool(place)
    return results


@router.post(
    "", summary="Upload one image", status_code=202,
    openapi_extra=_form({"file": {"type": "string", "format": "binary"}}),
    responses={200: {"model": ImageOut, "description": "The same bytes were already uploaded by "
                                                       "this owner: that image (`duplicate: true`)."},
               201: {"model": ImageOut, "description": "With `wait=true`: processed, variants included."},
               202: {"model": Accepted, "description": "Stored; the variants are being made."},
               **_ERRORS, **NO_ALBUM},
)
async def upload(request: Request, viewer: Editor, settings: Settings, limits: Limits, store: Store,
                 images: Images, bus: Bus, pool: UploadPool, urls: Urls, quotas: QuotasDep,
                 albums: AlbumsRepo, changes: Changes, key: UploadKey, album: AlbumParam = None,
                 wait: Annotated[bool, Query(description="Wait for the variants (up to "
                                                         "DARKROOM_API_WAIT_TIMEOUT_S).")] = False):
    """The format is recognised from the bytes (JPEG, PNG, GIF, WebP, HEIC/HEIF, AVIF), never from
    the file name or declared type. Answers once the original is stored and the upload event is in
    Kafka. Needs the `upload` scope; 413 `quota_exceeded` when the file does not fit the quota."""
    [(_, outcome)] = await _upload(request, viewer, album, False, settings=settings, limits=limits,
                                   store=store, images=images, bus=bus, pool=pool, quotas=quotas,
                                   albums=albums, changes=changes, key=key)
    assert not isinstance(outcome, DarkroomError)  # a single upload raises its refusal
    record = outcome.record
    if outcome.duplicate:
        return _json(urls.image_out(record, duplicate=True), 200)
    if wait:
        done = await _wait_processed(images, record.id, settings.wait_timeout_s)
        if done is not None and done.variants:
            return _json(urls.image_out(done), 201)
        if done is not None:  # failed: the code and reason are the stage's
            return error_response(done.failure_code or "processing_failed",
                                  f"image {done.id}: {done.reason or 'processing failed'}", status=422)
    return _json(Accepted(id=record.id, status_url=f"/v1/images/{record.id}"), 202)


@router.post(
    "/batch", summary="Upload many images in one request", response_model=BatchOut,
    openapi_extra=_form({"files": {"type": "array", "items": {"type": "string", "format": "binary"}}}),
    responses={**_ERRORS, **NO_ALBUM},
)
async def upload_batch(request: Request, viewer: Editor, settings: Settings, limits: Limits, store: Store,
                       images: Images, bus: Bus, pool: UploadPool, quotas: QuotasDep, albums: AlbumsRepo,
                       changes: Changes, key: BatchKey, album: AlbumParam = None) -> BatchOut:
    """Each file is checked on its own: one bad file is reported and the others go in. The text
    fields apply to every file. The whole request is refused only when it is over the batch limits
    (DARKROOM_API_MAX_FILES_PER_BATCH, DARKROOM_API_MAX_BATCH_BYTES) or, by its declared size, over
    the quota."""
    results = []
    for filename, outcome in await _upload(request, viewer, album, True, settings=settings, limits=limits,
                                           store=store, images=images, bus=bus, pool=pool, quotas=quotas,
                                           albums=albums, changes=changes, key=key):
        if isinstance(outcome, DarkroomError):
            results.append(FileResult(filename=filename, status="rejected",
                                      error=ErrorDetail(code=outcome.code, message=outcome.message)))
        else:
            results.append(FileResult(filename=filename, id=outcome.record.id,
                                      status="duplicate" if outcome.duplicate else "accepted"))
    counts = {s: sum(r.status == s for r in results) for s in ("accepted", "duplicate", "rejected")}
    return BatchOut(files=results, **counts)


_READ_ERRORS = {code: {"model": ErrorBody} for code in (401, 403, 404, 429, 503)}


@router.get("", summary="List an owner's images, newest first", response_model=ImagePage,
            responses={400: {"model": ErrorBody}, **_READ_ERRORS})
async def list_images(
    images: Images, urls: Urls, viewer: Anyone,
    owner: Annotated[str | None, Query(max_length=64, description="Whose images; yours by default.")] = None,
    cursor: Annotated[str | None, Query(max_length=200,
                                        description="`next_cursor` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ImagePage:
    """Your own images of every visibility; someone else's listing holds their public images only
    (anonymous callers must name the `owner`)."""
    whose = owner or viewer.username
    if whose is None:
        raise ApiError("invalid_request", "owner: name whose images to list (or sign in)")
    found, next_cursor = await run_in_threadpool(functools.partial(
        catalog.list_images, images=images, viewer=viewer, owner=whose, cursor=cursor, limit=limit))
    return ImagePage(items=[urls.image_out(r) for r in found], next_cursor=next_cursor)


def _seen(images: ImageRepository, sharing, viewer: Viewer, image_id: str,
          need: Permission = Permission.VIEW, deleted: bool | None = False) -> tuple[ImageRecord, Permission]:
    return catalog.access(images=images, sharing=sharing, viewer=viewer, image_id=image_id, need=need,
                          deleted=deleted)


@router.get("/{image_id}", summary="Read an image", response_model=ImageOut, responses=_READ_ERRORS)
async def get_image(image_id: str, images: Images, sharing: SharingRepo, urls: Urls,
                    viewer: Anyone) -> ImageOut:
    record, _ = await run_in_threadpool(_seen, images, sharing, viewer, image_id)
    return urls.image_out(record)


def _metadata(images: ImageRepository, record: ImageRecord, level: Permission) -> MetadataOut:
    found = images.get_metadata(record.id)
    if found is None:
        raise NotReady("the metadata has not been read yet")
    metadata = found.metadata if sees_location(level) else found.metadata.model_copy(update={"gps": None})
    return MetadataOut(id=record.id, metadata=metadata, skipped=found.skipped,
                       extracted_at=found.extracted_at)


@router.get("/{image_id}/metadata", summary="Read what the original's metadata says",
            response_model=MetadataOut,
            responses={**_READ_ERRORS,
                       409: {"model": ErrorBody, "description": "`not_ready`: the metadata stage has "
                                                                "not read the original yet; retry."}})
async def get_metadata(image_id: str, images: Images, sharing: SharingRepo, viewer: Anyone) -> MetadataOut:
    """EXIF (camera, lens, exposure, date taken, orientation, software), IPTC (caption, keywords,
    copyright, creator), the ICC profile's name, the true MIME type, upright size, byte size and
    frame count. Whoever may read the image may read this. The location is there only when the
    owner uploaded with `gps=true`, and only for those who may edit the image. Fields the file has
    but that are broken or implausible are left out and listed in `skipped`. 409 `not_ready` until
    the metadata stage has run."""
    def read() -> MetadataOut:
        record, level = _seen(images, sharing, viewer, image_id)
        return _metadata(images, record, level)
    return await run_in_threadpool(read)


@router.get("/{image_id}/tags", summary="Read an image's tags: the owner's and the classifier's",
            response_model=ImageTagsOut, responses=_READ_ERRORS)
async def get_tags(image_id: str, images: Images, sharing: SharingRepo, index: Index,
                   viewer: Anyone) -> ImageTagsOut:
    """The owner's tags, and what the tagging stage saw with its confidence, told apart. Whoever may
    read the image may read these; `model` is null until the tagging stage has run."""
    def read() -> ImageTagsOut:
        record, _ = _seen(images, sharing, viewer, image_id)
        doc = index.get(record.id) or {}  # the tagging stage's words live in the search document
        return ImageTagsOut(id=record.id, tags=record.tags, model=doc.get("model"),
                            model_tags=[ModelTag(tag=t["tag"], confidence=t["confidence"])
                                        for t in doc.get("model_tags") or []])
    return await run_in_threadpool(read)


@router.get("/{image_id}/albums", summary="The albums an image is in (those you may see)",
            response_model=list[AlbumOut], responses=_READ_ERRORS)
async def get_albums(image_id: str, images: Images, sharing: SharingRepo, albums: AlbumsRepo,
                     viewer: Anyone) -> list[AlbumOut]:
    """Albums you may not see are left out: an image can sit in another account's album."""
    def read() -> list[AlbumOut]:
        record, _ = _seen(images, sharing, viewer, image_id)
        found = (albums.get(album_id) for album_id in albums.of_image(record.id))
        return [album_out(a) for a in found
                if a is not None and album_rules.rights(a, viewer) >= album_rules.SEE]
    return await run_in_threadpool(read)


@router.get("/{image_id}/file", summary="Redirect to the image's bytes", status_code=302,
            response_class=RedirectResponse, responses={**_READ_ERRORS, 409: {"model": ErrorBody}})
async def get_file(image_id: str, images: Images, sharing: SharingRepo, urls: Urls,
                   viewer: Anyone) -> RedirectResponse:
    """Those who may edit the image get the original (a signed URL through the cache); anyone else
    the largest JPEG variant, which carries no metadata."""
    def locate() -> str:
        record, level = _seen(images, sharing, viewer, image_id)
        return catalog.file_url(record=record, level=level, delivery=urls)
    return RedirectResponse(await run_in_threadpool(locate), status_code=302)


@router.patch("/{image_id}", summary="Change title, description, tags or visibility",
              response_model=ImageOut, responses={**_READ_ERRORS, 422: {"model": ErrorBody}})
async def patch_image(image_id: str, patch: ImagePatch, viewer: Editor, images: Images, sharing: SharingRepo,
                      urls: Urls, changes: Changes) -> ImageOut:
    """The owner, organization owners and admins, and collaborators with `edit` (visibility: owners
    only). The change is everywhere at once: the record, the variants' place (making an image private
    takes them out of the public prefix and the cache) and `darkroom.image.updated` for search; what
    an engine that is away delays is finished by the relay."""
    def change() -> ImageRecord:
        record, level = _seen(images, sharing, viewer, image_id, Permission.EDIT)
        return catalog.update(images=images, changes_out=changes, record=record, level=level,
                              changes=patch.model_dump(include=patch.model_fields_set))
    return urls.image_out(await run_in_threadpool(change))


@router.delete("/{image_id}", summary="Delete an image", status_code=204, response_class=Response,
               responses={**_READ_ERRORS, 202: {"description": "Deleted; an engine that is away delays part "
                                                               "of the clean-up, which the relay finishes."}})
async def delete_image(image_id: str, viewer: Editor, images: Images, sharing: SharingRepo,
                       settings: Settings, changes: Changes,
                       purge: Annotated[bool, Query(description="Remove it for good now.")] = False
                       ) -> Response:
    """Owners only. The image answers 404 everywhere at once (API, listings, search, delivery, the
    cache) and can be restored for DARKROOM_API_RETENTION_DAYS; then, or at once with `purge=true`,
    the original, variants, rows, document and cached copies are removed and
    `darkroom.image.purged` is published."""
    def delete() -> bool:
        record, _ = _seen(images, sharing, viewer, image_id, Permission.OWN, deleted=None)
        if record.deleted and not purge:
            raise NotFound(f"no image {image_id}")
        return catalog.delete(images=images, changes_out=changes, record=record,
                              retention=timedelta(days=settings.retention_days), purge=purge)
    return Response(status_code=204 if await run_in_threadpool(delete) else 202)


@router.post("/{image_id}/restore", summary="Restore a deleted image", response_model=ImageOut,
             responses=_READ_ERRORS)
async def restore_image(image_id: str, viewer: Editor, images: Images, sharing: SharingRepo, urls: Urls,
                        changes: Changes) -> ImageOut:
    """Owners only, within the retention window: the image comes back as it was, everywhere."""
    def restore() -> ImageRecord:
        record, _ = _seen(images, sharing, viewer, image_id, Permission.OWN, deleted=True)
        return catalog.restore(images=images, changes_out=changes, record=record)
    return urls.image_out(await run_in_threadpool(restore))
