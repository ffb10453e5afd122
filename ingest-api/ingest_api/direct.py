"""The direct door: the client PUTs the bytes to storage itself, through
URLs the API presigns, then asks for the commit.

    POST /v1/uploads             admit what is declared (admission.py), and
                                 answer a presigned PUT of staging/direct/<id>
                                 or, above DARKROOM_API_DIRECT_MULTIPART_BYTES,
                                 a multipart upload with a URL per part
    PUT <url> (to nginx)         the bytes go to MinIO; nginx passes signed
                                 requests through uncached, Host kept, so the
                                 signature (made for nginx's host) verifies
    POST /v1/uploads/{id}/complete
                                 join the parts, then hand the object to the
                                 commit path (handoff.py): size, type, pixels
                                 and hash are read from storage, never taken
                                 from the client

Completing again answers the same outcome. An upload never completed
expires (the reconciler removes its object or parts). Blocking.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from minio.error import S3Error

from connectors.uploads import COMMITTING, CREATED, DIRECT, EXPIRED, REFUSED, Upload
from ingest_api import ingest
from ingest_api.access import Viewer
from ingest_api.admission import Declared, admit
from ingest_api.errors import DarkroomError, NotFound, SizeMismatch, UploadExpired, UploadInProgress
from ingest_api.handoff import Doors, hand_off
from ingest_api.upload_models import DirectUploadIn, DirectUploadOut, PartUrl

_FIELDS = ("title", "description", "tags", "visibility", "gps")


def create(*, viewer: Viewer, wanted: DirectUploadIn, doors: Doors) -> DirectUploadOut:
    settings = doors.settings
    declared = Declared(size=wanted.size, mime_type=wanted.type, sha256=wanted.sha256,
                        fields=wanted.model_dump(include=set(_FIELDS)), album=wanted.album)
    upload = admit(viewer=viewer, declared=declared, door=DIRECT, key_prefix=ingest.DIRECT,
                   settings=settings, quotas=doors.quotas, albums=doors.albums, uploads=doors.uploads)
    expires_s = min(wanted.expires_in_s or settings.upload_url_expiry_s, settings.upload_url_expiry_s)
    out = DirectUploadOut(id=upload.id, headers={"Content-Type": wanted.type},
                          expires_at=datetime.now(UTC) + timedelta(seconds=expires_s),
                          complete_url=f"/v1/uploads/{upload.id}/complete")
    originals = doors.originals
    if upload.size <= settings.direct_multipart_bytes:
        out.url = originals.presigned_put(upload.key, expires_s)
        return out
    multipart_id = originals.start_multipart(upload.key, wanted.type)
    doors.uploads.set_multipart(upload.id, multipart_id)
    out.part_bytes = settings.direct_part_bytes
    out.parts = [PartUrl(part_number=n, url=originals.presigned_put(upload.key, expires_s, multipart_id, n))
                 for n in range(1, math.ceil(upload.size / settings.direct_part_bytes) + 1)]
    return out


def owned(doors: Doors, viewer: Viewer, upload_id: str) -> Upload:
    row = doors.uploads.get(upload_id) if len(upload_id) <= 64 else None
    if row is None or row.owner != viewer.username:
        raise NotFound(f"no upload {upload_id}")
    return row


def complete(*, viewer: Viewer, upload_id: str, doors: Doors) -> Upload:
    """Commit the stored object: the upload at its end (committed or refused).
    A refusal raises its error, now and on every later call."""
    row = owned(doors, viewer, upload_id)
    if row.door != DIRECT:
        raise NotFound(f"no direct upload {upload_id}: tus uploads are committed by their last PATCH")
    if row.state == CREATED and row.expires_at <= datetime.now(UTC):
        raise UploadExpired("the upload was not completed in time; start again")
    if row.state == CREATED and row.multipart_id is not None:
        _join(doors, row)
    done = hand_off(row.id, doors) or row
    if done.state == COMMITTING:
        raise UploadInProgress("the upload is being committed right now; ask again in a moment")
    if done.state in (REFUSED, EXPIRED):
        raise _refusal(done)
    return done


def _join(doors: Doors, row: Upload) -> None:
    """Join the parts sent so far into the object (none sent: nothing yet)."""
    assert row.multipart_id is not None
    try:
        doors.originals.complete_multipart(row.key, row.multipart_id)
    except S3Error as exc:
        if exc.code == "NoSuchUpload":
            return  # joined by an earlier call: the hand-off reads the object
        if exc.code not in ("InvalidPart", "InvalidPartOrder", "EntityTooSmall"):
            raise
        # Parts that cannot make one object (a part under S3's 5 MiB least, say): it never will.
        doors.originals.abort_multipart(row.key)
        error = SizeMismatch(f"the parts sent do not make the declared file ({exc.code})")
        doors.uploads.close(row.id, REFUSED, error.code, error.message)
        raise error from None


def _refusal(row: Upload) -> DarkroomError:
    if row.state == EXPIRED:
        return UploadExpired("the upload was not completed in time; start again")
    error = DarkroomError(row.error_message or "refused", code=row.error_code or "internal")
    return error
