"""The images resource: upload, read, list, edit, delete. Thin: parse,
call the core in a worker thread, shape the answer."""

from __future__ import annotations

import asyncio
import functools
import time
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from connectors.records import FAILED, ImageRecord, ImageRepository
from ingest_api import catalog, uploads
from ingest_api.deps import Bus, Cache, Images, Limits, Owner, Settings, Store, UploadPool, Urls
from ingest_api.errors import DarkroomError, NotReady
from ingest_api.models import (
    Accepted,
    BatchOut,
    ErrorBody,
    ErrorDetail,
    FileResult,
    ImageOut,
    ImagePage,
    ImagePatch,
    MetadataOut,
)
from ingest_api.problems import error_response

router = APIRouter(prefix="/v1/images", tags=["images"])

POLL_S = 0.2
_FIELDS = {
    "title": {"type": "string", "maxLength": 200},
    "description": {"type": "string", "maxLength": 5000},
    "tags": {"type": "string", "description": "comma-separated"},
    "visibility": {"type": "string", "enum": ["public", "unlisted", "private"], "default": "public"},
    "gps": {"type": "boolean", "default": False, "description": "keep the location in the variants"},
}


def _form(file_field: dict) -> dict:
    # The body is parsed by a streaming reader, not by FastAPI: describe it by hand for /docs.
    schema = {"type": "object", "properties": {**file_field, **_FIELDS}}
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


@router.post(
    "", summary="Upload one image", status_code=202,
    openapi_extra=_form({"file": {"type": "string", "format": "binary"}}),
    responses={200: {"model": ImageOut, "description": "The same bytes were already uploaded by "
                                                       "this owner: that image (`duplicate: true`)."},
               201: {"model": ImageOut, "description": "With `wait=true`: processed, variants included."},
               202: {"model": Accepted, "description": "Stored; the variants are being made."},
               **_ERRORS},
)
async def upload(request: Request, owner: Owner, settings: Settings, limits: Limits, store: Store,
                 images: Images, bus: Bus, pool: UploadPool, urls: Urls,
                 wait: Annotated[bool, Query(description="Wait for the variants (up to "
                                                         "DARKROOM_API_WAIT_TIMEOUT_S).")] = False):
    """The format is recognised from the bytes (JPEG, PNG, GIF, WebP, HEIC/HEIF, AVIF), never from
    the file name or declared type. Answers once the original is stored and the upload event is in
    Kafka."""
    [(_, outcome)] = await uploads.upload(request, owner=owner, settings=settings, originals=store.originals,
                                          images=images, bus=bus, pool=pool, limits=limits, batch=False)
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
    responses={**_ERRORS},
)
async def upload_batch(request: Request, owner: Owner, settings: Settings, limits: Limits, store: Store,
                       images: Images, bus: Bus, pool: UploadPool) -> BatchOut:
    """Each file is checked on its own: one bad file is reported and the others go in. The text
    fields apply to every file. The whole request is refused only when it is over the batch limits
    (DARKROOM_API_MAX_FILES_PER_BATCH, DARKROOM_API_MAX_BATCH_BYTES)."""
    results = []
    for filename, outcome in await uploads.upload(request, owner=owner, settings=settings,
                                                  originals=store.originals, images=images, bus=bus,
                                                  pool=pool, limits=limits, batch=True):
        if isinstance(outcome, DarkroomError):
            results.append(FileResult(filename=filename, status="rejected",
                                      error=ErrorDetail(code=outcome.code, message=outcome.message)))
        else:
            results.append(FileResult(filename=filename, id=outcome.record.id,
                                      status="duplicate" if outcome.duplicate else "accepted"))
    counts = {s: sum(r.status == s for r in results) for s in ("accepted", "duplicate", "rejected")}
    return BatchOut(files=results, **counts)


@router.get("", summary="List an owner's images, newest first", response_model=ImagePage,
            responses={400: {"model": ErrorBody}, 401: {"model": ErrorBody}})
async def list_images(
    images: Images, urls: Urls, viewer: Owner,
    owner: Annotated[str | None, Query(description="Whose images; yours by default.")] = None,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ImagePage:
    """Someone else's listing holds their public images only."""
    found, next_cursor = await run_in_threadpool(functools.partial(
        catalog.list_images, images=images, viewer=viewer, owner=owner or viewer, cursor=cursor, limit=limit))
    return ImagePage(items=[urls.image_out(r) for r in found], next_cursor=next_cursor)


@router.get("/{image_id}", summary="Read an image", response_model=ImageOut,
            responses={401: {"model": ErrorBody}, 404: {"model": ErrorBody}})
async def get_image(image_id: str, images: Images, urls: Urls, viewer: Owner) -> ImageOut:
    record = await run_in_threadpool(functools.partial(catalog.get_visible, images=images, viewer=viewer,
                                                       image_id=image_id))
    return urls.image_out(record)


def _metadata(*, images: ImageRepository, viewer: str, image_id: str) -> MetadataOut:
    catalog.get_visible(images=images, viewer=viewer, image_id=image_id)
    found = images.get_metadata(image_id)
    if found is None:
        raise NotReady("the metadata has not been read yet")
    return MetadataOut(id=image_id, metadata=found.metadata, skipped=found.skipped,
                       extracted_at=found.extracted_at)


@router.get("/{image_id}/metadata", summary="Read what the original's metadata says",
            response_model=MetadataOut,
            responses={401: {"model": ErrorBody}, 404: {"model": ErrorBody},
                       409: {"model": ErrorBody, "description": "`not_ready`: the metadata stage has "
                                                                "not read the original yet; retry."}})
async def get_metadata(image_id: str, images: Images, viewer: Owner) -> MetadataOut:
    """EXIF (camera, lens, exposure, date taken, orientation, software), IPTC (caption, keywords,
    copyright, creator), the ICC profile's name, the true MIME type, upright size, byte size and
    frame count. Whoever may read the image may read this. The location is there only when the
    owner uploaded with `gps=true`. Fields the file has but that are broken or implausible are left
    out and listed in `skipped`. 409 `not_ready` until the metadata stage has run."""
    return await run_in_threadpool(functools.partial(_metadata, images=images, viewer=viewer,
                                                     image_id=image_id))


@router.get("/{image_id}/file", summary="Redirect to the image's bytes", status_code=302,
            response_class=RedirectResponse,
            responses={401: {"model": ErrorBody}, 404: {"model": ErrorBody}, 409: {"model": ErrorBody}})
async def get_file(image_id: str, images: Images, urls: Urls, viewer: Owner) -> RedirectResponse:
    """The owner gets the original (a signed URL through the cache); anyone else the largest
    JPEG variant, which carries no location unless the owner kept it."""
    url = await run_in_threadpool(functools.partial(catalog.file_url, images=images, delivery=urls,
                                                    viewer=viewer, image_id=image_id))
    return RedirectResponse(url, status_code=302)


@router.patch("/{image_id}", summary="Change title, description, tags or visibility",
              response_model=ImageOut,
              responses={code: {"model": ErrorBody} for code in (401, 403, 404, 422, 503)})
async def patch_image(image_id: str, patch: ImagePatch, viewer: Owner, images: Images, store: Store,
                      cache: Cache, urls: Urls, bus: Bus) -> ImageOut:
    """Owner only. Emits `darkroom.image.updated`. Making an image private moves its variants out of
    the public prefix and purges them from the cache."""
    changes = patch.model_dump(include=patch.model_fields_set)
    record = await run_in_threadpool(functools.partial(
        catalog.update, images=images, store=store, cache=cache, delivery=urls, bus=bus, viewer=viewer,
        image_id=image_id, changes=changes))
    return urls.image_out(record)


@router.delete("/{image_id}", summary="Delete an image and everything made from it", status_code=204,
               response_class=Response,
               responses={code: {"model": ErrorBody} for code in (401, 403, 404, 503)})
async def delete_image(image_id: str, viewer: Owner, images: Images, store: Store, cache: Cache, urls: Urls,
                       bus: Bus) -> Response:
    """Owner only. Removes the original, the variants (and their cached copies), the record and
    the dedup claim; emits `darkroom.image.deleted`."""
    await run_in_threadpool(functools.partial(catalog.delete, images=images, store=store, cache=cache,
                                              delivery=urls, bus=bus, viewer=viewer, image_id=image_id))
    return Response(status_code=204)
