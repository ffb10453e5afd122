"""The resumable door: tus 1.0 through tusd, which calls these hooks.

tusd (deploy/images/tusd) writes each upload straight into the originals
bucket as an S3 multipart upload of `staging/tus/<id>` (ingest.RESUMABLE),
with `<id>.info` (and `<id>.part`, an unfinished tail) beside it, and POSTs
each event to /v1/uploads/tus/hooks:

    pre-create      blocking: authenticate the forwarded Authorization (API
                    key or access token, `upload` scope, the key's rate
                    limit) and admit what it declares (admission.py); choose
                    the id, so the key. A refusal reaches the client with
                    the problem body and its status.
    post-finish     fire-and-forget in tusd (three tries, then lost): hand
                    the object to the commit path (handoff.py), once per
                    upload id; the reconciler completes what a lost hook
                    left. A part of a concatenation is only marked finished.
    pre-terminate   only the upload's owner may end it.
    post-terminate  the upload ends `terminated` (tusd removed its objects).

Parts (tus-js-client's parallelUploads) are uploads of their own, never
committed: the upload that joins them must belong to the same owner, and
removes them once it has an end. The hook trusts nothing in the event but
the upload id and the forwarded header: the rest is read from Cassandra and
MinIO. tusd's locks are per process, so one tusd serves. Blocking.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from connectors.albums import Albums
from connectors.errors import UNAVAILABLE
from connectors.minio import Bucket
from connectors.orgs import Orgs
from connectors.uploads import ENDS, TERMINATED, TUS, TUS_PART, Upload, UploadRepository
from ingest_api import ingest
from ingest_api.access import Viewer
from ingest_api.admission import Declared, admit
from ingest_api.auth import Authenticator
from ingest_api.config import ApiSettings
from ingest_api.errors import (
    DarkroomError,
    EngineUnavailable,
    InsufficientScope,
    InvalidField,
    NotFound,
    Unauthenticated,
)
from ingest_api.handoff import Doors, hand_off
from ingest_api.limits import Quotas, RateLimiter
from ingest_api.problems import STATUS

log = logging.getLogger(__name__)

# Upload-Metadata keys Darkroom reads (tus clients send filename and filetype on their own).
METADATA = ("filename", "filetype", "sha256", "title", "description", "tags", "visibility", "gps", "album")
_FIELDS = ("title", "description", "tags", "visibility", "gps")
SIDECARS = (".info", ".part")  # what tusd's S3 store keeps beside an upload's object


@dataclass(frozen=True)
class Gate:
    """What pre-create and pre-terminate use to decide."""

    settings: ApiSettings
    auth: Authenticator
    limiter: RateLimiter
    orgs: Orgs
    quotas: Quotas
    albums: Albums
    uploads: UploadRepository


def our_id(tus_id: str) -> str:
    """Darkroom's id of a tus upload: tusd's S3 store names it `<our id>+<S3 upload id>`."""
    return tus_id.partition("+")[0]


def reject(error: DarkroomError, *, terminate: bool = False) -> dict:
    """A hook answer that refuses, with the problem body and status every API error has."""
    headers = {"Content-Type": "application/json", **(error.headers or {})}
    body = json.dumps({"error": {"code": error.code, "message": error.message}})
    return {"RejectTermination" if terminate else "RejectUpload": True,
            "HTTPResponse": {"StatusCode": STATUS.get(error.code, 500), "Body": body, "Header": headers}}


def _caller(event: dict, gate: Gate) -> Viewer:
    header = event.get("HTTPRequest", {}).get("Header", {})
    values = header.get("Authorization") or header.get("authorization") or []
    scheme, _, credential = (values[0] if values else "").partition(" ")
    if scheme.lower() != "bearer" or not credential:
        raise Unauthenticated("send `Authorization: Bearer <API key or access token>`",
                              code="missing_api_key")
    principal = gate.auth.principal(credential.strip())
    if "upload" not in principal.scopes:
        raise InsufficientScope("this needs the `upload` scope")
    gate.limiter.check(principal.limit_bucket, "upload")
    return Viewer(principal, gate.orgs.of_user(principal.username))


def _declared(upload: dict) -> Declared:
    if upload.get("SizeIsDeferred"):
        raise InvalidField("declare the size (Upload-Length): quotas are checked before a byte arrives",
                           code="length_required")
    meta = {k: v for k, v in (upload.get("MetaData") or {}).items() if k in METADATA}
    fields: dict[str, object] = {k: meta[k] for k in _FIELDS if k in meta}
    if "gps" in fields:
        fields["gps"] = str(fields["gps"]).lower() in ("1", "true", "yes")
    return Declared(size=int(upload.get("Size") or 0), mime_type=meta.get("filetype") or None,
                    sha256=meta.get("sha256") or None, fields=fields, album=meta.get("album") or None)


def _parts(upload: dict, owner: str, uploads: UploadRepository) -> tuple[str, ...]:
    """The parts a final upload joins, each a finished part of the same owner."""
    parts = tuple(our_id(p) for p in upload.get("PartialUploads") or ())
    for part_id in parts:
        found = uploads.get(part_id)
        if found is None or found.owner != owner or found.door != TUS_PART or found.state in ENDS:
            raise NotFound(f"no upload {part_id} of yours to join")
    return parts


def pre_create(event: dict, gate: Gate) -> dict:
    upload = event.get("Upload", {})
    try:
        viewer = _caller(event, gate)
        assert viewer.username is not None
        part = bool(upload.get("IsPartial"))
        parts = _parts(upload, viewer.username, gate.uploads) if upload.get("IsFinal") else ()
        declared = _declared(upload)
        row = admit(viewer=viewer, declared=declared, door=TUS_PART if part else TUS,
                    key_prefix=ingest.RESUMABLE, settings=gate.settings, quotas=gate.quotas,
                    albums=gate.albums, uploads=gate.uploads, part=part, parts=parts)
    except DarkroomError as error:
        return reject(error)
    except UNAVAILABLE:
        return reject(EngineUnavailable("a storage engine did not answer; retry"))
    kept = {k: v for k, v in (upload.get("MetaData") or {}).items() if k in ("filename", "filetype")}
    log.info("tus upload admitted id=%s owner=%s bytes=%d part=%s parts=%d", row.id, row.owner, row.size,
             part, len(parts))
    return {"ChangeFileInfo": {"ID": row.id, "MetaData": kept}}


def post_finish(event: dict, doors: Doors) -> dict:
    upload_id = our_id(event.get("Upload", {}).get("ID", ""))
    row = doors.uploads.get(upload_id) if upload_id else None
    if row is None:
        log.warning("post-finish of an unknown upload id=%s", upload_id)
        return {}
    if row.door == TUS_PART:
        doors.uploads.finish_part(row.id)
        return {}
    settle(row.id, doors)
    return {}


def settle(upload_id: str, doors: Doors) -> Upload | None:
    """Hand a finished tus upload off and, once it has an end, remove what
    tusd left beside it and the parts it joined."""
    row = hand_off(upload_id, doors)
    if row is not None and row.state in ENDS:
        clean(row, doors.originals, doors.uploads, end=row.state)
    return row


def clean(row: Upload, originals: Bucket, uploads: UploadRepository, end: str = TERMINATED) -> None:
    """Remove a tus upload's objects (any left: a refusal or an expiry
    removes the object too) and its parts', and end the parts' rows. Safe to
    repeat."""
    for upload_id in (row.id, *row.parts):
        key = f"{ingest.RESUMABLE}{upload_id}"
        originals.abort_multipart(key)
        for name in (key, *(key + s for s in SIDECARS)):
            originals.remove(name)
        if upload_id != row.id:
            uploads.close(upload_id, end)


def pre_terminate(event: dict, gate: Gate) -> dict:
    try:
        viewer = _caller(event, gate)
        row = gate.uploads.get(our_id(event.get("Upload", {}).get("ID", "")))
        if row is None or row.owner != viewer.username:
            raise NotFound("no such upload of yours")
    except DarkroomError as error:
        return reject(error, terminate=True)
    except UNAVAILABLE:
        return reject(EngineUnavailable("a storage engine did not answer; retry"), terminate=True)
    return {}


def post_terminate(event: dict, uploads: UploadRepository) -> dict:
    upload_id = our_id(event.get("Upload", {}).get("ID", ""))
    if upload_id and uploads.close(upload_id, TERMINATED):
        log.info("tus upload terminated id=%s", upload_id)
    return {}


def is_tus(row: Upload) -> bool:
    return row.door in (TUS, TUS_PART)
