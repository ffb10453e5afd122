"""Handing a door's finished upload to the commit path, once.

tusd's post-finish hook, a client's POST /v1/uploads/{id}/complete and the
reconciler all call `hand_off`; a lightweight transaction on the upload's
row (connectors/uploads.py) lets exactly one of them through at a time:

    claim (LWT) -> stage_stored: real size, hash, type, header limits, and
    the client's declarations compared with them -> note the hash ->
    ingest.commit (dedup, quota, final key, record, image.uploaded) ->
    album -> committed (image id, duplicate)

A refusal (the file's fault, a declaration it breaks, the quota) removes the
object and ends the upload `refused` with the error's code. An engine that
is away releases the claim and re-raises: the hook answers 503 and tusd
tries again, the reconciler tries again on its next pass. A hand-off that
dies after its commit leaves a stale claim and the hash it noted: the next
one takes the claim over and finds the image by that hash. Blocking.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.albums import Albums
from connectors.kafka import EventBus
from connectors.minio import Bucket
from connectors.records import ImageRepository
from connectors.uploads import DIRECT, Upload, UploadRepository
from ingest_api import ingest
from ingest_api.config import ApiSettings
from ingest_api.errors import STORED_ERRORS, UploadIncomplete
from ingest_api.limits import Quotas
from ingest_api.propagation import UPDATED, Propagator
from schemas.media import ImageLimits

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Doors:
    """What a hand-off uses (made once at start: main.lifespan)."""

    settings: ApiSettings
    limits: ImageLimits
    originals: Bucket
    images: ImageRepository
    uploads: UploadRepository
    bus: EventBus
    quotas: Quotas
    albums: Albums
    changes: Propagator


def doors_from(state: Any) -> Doors:
    """The doors' dependencies from what the app made at start (app.state)."""
    return Doors(state.settings, state.limits, state.store.originals, state.images, state.uploads, state.bus,
                 state.quotas, state.albums, state.propagator)


def meta_of(upload: Upload) -> ingest.Meta:
    meta = upload.meta
    return ingest.Meta(title=meta.get("title"), description=meta.get("description"),
                       tags=tuple(meta.get("tags") or ()), visibility=meta.get("visibility") or "public",
                       keep_gps=bool(meta.get("gps")))


def hand_off(upload_id: str, doors: Doors) -> Upload | None:
    """Commit the upload's stored object unless another hand-off holds it or
    it is at an end; the row as it is afterwards."""
    me = uuid.uuid4().hex
    stale_before = datetime.now(UTC) - timedelta(seconds=doors.settings.stale_claim_s)
    upload = doors.uploads.claim(upload_id, me, stale_before)
    if upload is None:
        return doors.uploads.get(upload_id)
    try:
        _commit(upload, me, doors)
    except STORED_ERRORS as exc:
        doors.originals.remove(upload.key)  # stage_stored removed its own refusals; the quota's are commit's
        doors.uploads.refuse(upload.id, me, exc.code, exc.message)
        log.info("upload refused id=%s door=%s code=%s", upload.id, upload.door, exc.code)
    except UploadIncomplete:
        if upload.stored_sha256 is None:
            doors.uploads.release(upload.id, me)
            raise
        _recover(upload, me, doors)
    except BaseException:
        doors.uploads.release(upload.id, me)
        raise
    return doors.uploads.get(upload_id)


def _commit(upload: Upload, me: str, doors: Doors) -> None:
    settings, originals = doors.settings, doors.originals
    staged = ingest.stage_stored(
        originals=originals, key=upload.key, max_bytes=settings.max_file_bytes, limits=doors.limits,
        expect_size=upload.size, expect_sha256=upload.sha256,
        expect_mime=upload.mime_type if upload.door == DIRECT else None)
    doors.uploads.hashed(upload.id, me, staged.sha256)
    outcome = ingest.commit(originals=originals, images=doors.images, bus=doors.bus, quotas=doors.quotas,
                            staged=staged, owner=upload.owner, org=upload.org, meta=meta_of(upload),
                            stale_claim_s=settings.stale_claim_s, keep_staged_on_error=True)
    if outcome.duplicate:
        originals.remove(upload.key)
    elif upload.album is not None:
        change = doors.changes.record(outcome.record.id, UPDATED)  # its album goes to search
        doors.albums.add(upload.album, outcome.record.id)
        doors.changes.run(change)
    doors.uploads.commit(upload.id, me, outcome.record.id, outcome.duplicate)
    log.info("upload committed id=%s door=%s image_id=%s duplicate=%s", upload.id, upload.door,
             outcome.record.id, outcome.duplicate)


def _recover(upload: Upload, me: str, doors: Doors) -> None:
    """The object is gone but a hand-off hashed it: an earlier hand-off that
    died after its commit. The image holds those bytes now."""
    assert upload.stored_sha256 is not None
    image_id = doors.images.holders(upload.owner, [upload.stored_sha256]).get(upload.stored_sha256)
    if image_id is None:
        doors.uploads.refuse(upload.id, me, UploadIncomplete.code, "the upload's bytes were lost")
        log.error("upload lost id=%s sha256=%s", upload.id, upload.stored_sha256)
        return
    doors.uploads.commit(upload.id, me, image_id, False)
    log.warning("upload recovered id=%s image_id=%s", upload.id, image_id)
