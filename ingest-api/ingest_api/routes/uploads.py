"""The other doors in: resumable uploads (tus, through tusd and its hooks),
direct-to-storage uploads (presigned PUT, then complete), their status, and
the batch uploaders' bulk check. All end in the commit path POST /v1/images
uses (ingest_api/handoff.py). Thin: parse, call the core in a worker thread,
shape the answer."""

from __future__ import annotations

import functools
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from connectors import tus as tus_connector
from connectors.uploads import COMMITTED, CREATED, FINISHED, Upload
from ingest_api import direct, tus
from ingest_api.admission import check_sha256
from ingest_api.deps import DoorsDep, Editor, Images, SignedIn, TusConfig, TusGate, Urls
from ingest_api.errors import InvalidField, NotFound
from ingest_api.models import Accepted, ErrorBody, ErrorDetail, ImageOut
from ingest_api.problems import ApiError
from ingest_api.upload_models import (
    CheckIn,
    CheckOut,
    DirectUploadIn,
    DirectUploadOut,
    TusOut,
    UploadStatusOut,
)

log = logging.getLogger(__name__)

router = APIRouter(tags=["uploads"])
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (400, 401, 403, 404, 409, 410, 413, 415, 422, 429, 503)}


def _status(row: Upload) -> UploadStatusOut:
    state = "uploading" if row.state in (CREATED, FINISHED) else row.state
    error = ErrorDetail(code=row.error_code, message=row.error_message or "") if row.error_code else None
    return UploadStatusOut(id=row.id, door=row.door, status=state, image_id=row.image_id,
                           duplicate=row.duplicate, error=error, size=row.size, expires_at=row.expires_at)


# -- tus ----------------------------------------------------------------------

@router.get("/v1/uploads/tus", summary="Where and how to send resumable uploads", response_model=TusOut)
def tus_info(tus_settings: TusConfig, doors: DoorsDep) -> TusOut:
    """tus 1.0 (https://tus.io) with creation, creation-with-upload, termination and concatenation
    (parallel parts). Send `Authorization: Bearer <API key or access token>` with every request and
    the size up front (`Upload-Length`). Upload-Metadata: `filename`, `filetype`, `sha256` (hex: the
    stored bytes must hash to it), `title`, `description`, `tags` (comma-separated), `visibility`,
    `gps`, `album`. A refused creation answers the API's error body. Once the last PATCH is in, the
    upload is checked and committed like POST /v1/images: follow it at
    `GET /v1/uploads/tus/{upload id}` (the last segment of the upload URL)."""
    return TusOut(endpoint=tus_connector.endpoint(tus_settings), max_file_bytes=doors.settings.max_file_bytes,
                  expiry_s=doors.settings.upload_expiry_s, metadata=list(tus.METADATA))


@router.get("/v1/uploads/tus/{upload_id}", summary="What became of a resumable upload",
            response_model=UploadStatusOut, responses=_ERRORS)
async def tus_status(upload_id: str, viewer: SignedIn, doors: DoorsDep) -> UploadStatusOut:
    """`committed` with the `image_id` (`duplicate` when you had those bytes already), `refused` with
    the error, or still `uploading`/`committing`. The upload's owner only."""
    row = await run_in_threadpool(doors.uploads.get, tus.our_id(upload_id))
    if row is None or row.owner != viewer.username or not tus.is_tus(row):
        raise NotFound(f"no upload {upload_id}")
    return _status(row)


@router.post("/v1/uploads/tus/hooks", summary="tusd's hooks", include_in_schema=False)
async def tus_hooks(request: Request, gate: TusGate, doors: DoorsDep) -> JSONResponse:
    """Called by tusd (-hooks-http), never by clients: pre-create, post-finish, pre-terminate and
    post-terminate (ingest_api/tus.py). Refusals are answers (HTTP 200 with RejectUpload); an
    engine that is away during post-finish answers 503, and tusd tries again."""
    try:
        hook = await request.json()
        kind, event = hook["Type"], hook["Event"]
    except (ValueError, KeyError, TypeError):
        raise ApiError("invalid_request", "not a tusd hook request") from None
    handlers = {
        "pre-create": functools.partial(tus.pre_create, event, gate),
        "post-finish": functools.partial(tus.post_finish, event, doors),
        "pre-terminate": functools.partial(tus.pre_terminate, event, gate),
        "post-terminate": functools.partial(tus.post_terminate, event, doors.uploads),
    }
    if kind not in handlers:
        return JSONResponse({})  # an event Darkroom does not use
    return JSONResponse(await run_in_threadpool(handlers[kind]))


# -- direct (presigned PUT) ---------------------------------------------------

@router.post("/v1/uploads", summary="Start a direct-to-storage upload", status_code=201,
             response_model=DirectUploadOut, responses=_ERRORS)
async def create_direct(wanted: DirectUploadIn, viewer: Editor, doors: DoorsDep) -> DirectUploadOut:
    """Declare the file (size, type, optionally its SHA-256, and the fields of an upload form) and get
    a presigned PUT URL for it, or, above DARKROOM_API_DIRECT_MULTIPART_BYTES, one URL per part of
    `part_bytes`. PUT the bytes there (to the delivery address; nothing passes through the API),
    then POST `complete_url`. Size, type, quota and album are checked now against what you declare,
    and again at `complete` against what was stored."""
    return await run_in_threadpool(functools.partial(direct.create, viewer=viewer, wanted=wanted,
                                                     doors=doors))


@router.post("/v1/uploads/{upload_id}/complete", summary="Commit a direct upload", status_code=202,
             responses={200: {"model": ImageOut, "description": "The same bytes were already uploaded by "
                                                                "this owner: that image (`duplicate`)."},
                        202: {"model": Accepted, "description": "Stored; the variants are being made."},
                        **_ERRORS})
async def complete_direct(upload_id: str, viewer: Editor, doors: DoorsDep, images: Images,
                          urls: Urls) -> JSONResponse:
    """Joins the parts (a multipart upload), then checks the stored object from storage (its real
    size, type, pixels and SHA-256 against what was declared: 422 `size_mismatch` or
    `checksum_mismatch`, 415 `type_mismatch`, and every refusal POST /v1/images has) and commits it:
    the same record and `image.uploaded` event. A refused object is removed. 409
    `upload_incomplete` until the bytes are stored; 410 `upload_expired` after
    DARKROOM_API_UPLOAD_EXPIRY_S. Asking again answers the same."""
    row = await run_in_threadpool(functools.partial(direct.complete, viewer=viewer, upload_id=upload_id,
                                                    doors=doors))
    assert row.state == COMMITTED and row.image_id is not None
    if row.duplicate:
        record = await run_in_threadpool(images.get, row.image_id)
        if record is not None:
            return JSONResponse(urls.image_out(record, duplicate=True).model_dump(mode="json"), 200)
    accepted = Accepted(id=row.image_id, status_url=f"/v1/images/{row.image_id}")
    return JSONResponse(accepted.model_dump(mode="json"), 202)


@router.get("/v1/uploads/{upload_id}", summary="What became of an upload", response_model=UploadStatusOut,
            responses=_ERRORS)
async def upload_status(upload_id: str, viewer: SignedIn, doors: DoorsDep) -> UploadStatusOut:
    """Any door's upload by Darkroom's id (for tus, the start of the upload URL's id)."""
    row = await run_in_threadpool(doors.uploads.get, tus.our_id(upload_id))
    if row is None or row.owner != viewer.username:
        raise NotFound(f"no upload {upload_id}")
    return _status(row)


# -- the bulk check -------------------------------------------------------------

@router.post("/v1/images/check", summary="Which of these files do I have already?", response_model=CheckOut,
             tags=["images"], responses=_ERRORS)
async def check_hashes(wanted: CheckIn, viewer: Editor, doors: DoorsDep) -> CheckOut:
    """Send the SHA-256 of up to DARKROOM_API_CHECK_MAX_HASHES files; `found` names your image of each
    one you have (uploading it again would answer that image as a duplicate), so a batch uploader
    skips those without sending a byte."""
    limit = doors.settings.check_max_hashes
    if len(wanted.sha256) > limit:
        raise InvalidField(f"sha256: at most {limit} hashes per request")
    hashes = [check_sha256(h) or "" for h in wanted.sha256]
    assert viewer.username is not None
    found = await run_in_threadpool(doors.images.holders, viewer.username, hashes)
    return CheckOut(found=found, missing=[h for h in dict.fromkeys(hashes) if h not in found])
