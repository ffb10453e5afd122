"""Letting an upload in at a door (tus pre-create, POST /v1/uploads) before
a byte of it arrives: the same checks POST /v1/images makes before it reads
a body, on what the client declares.

    size: more than 0, at most DARKROOM_API_MAX_FILE_BYTES
    type: one Darkroom takes (when declared: a tus client may leave it out)
    SHA-256: 64 hex digits (when declared; the stored bytes must match it)
    fields: title, description, tags, visibility, gps as an upload form's
    album: one the caller may upload into (an organization's makes the
           image the organization's, and its quota pays)
    quota: the declared size must fit

The bytes are checked again from storage at the hand-off (handoff.py):
nothing declared here is trusted there. Blocking.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError

from connectors.albums import Albums
from connectors.uploads import Upload, UploadRepository
from connectors.usage import account_of
from ingest_api import albums as album_rules
from ingest_api.access import Viewer
from ingest_api.config import ApiSettings
from ingest_api.errors import EmptyFile, InvalidField, TooLarge, UnsupportedFormat
from ingest_api.limits import Quotas
from ingest_api.models import UploadFields
from schemas.media import DESCRIPTION, FORMATS

MIME_TYPES = frozenset(f.mime_type for f in FORMATS)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Declared:
    size: int
    mime_type: str | None = None
    sha256: str | None = None
    fields: dict[str, object] = field(default_factory=dict)  # an upload form's text fields
    album: str | None = None


def check_sha256(value: str | None) -> str | None:
    if value is not None and not _SHA256.match(value.lower()):
        raise InvalidField("sha256: 64 hexadecimal digits")
    return value.lower() if value is not None else None


def admit(*, viewer: Viewer, declared: Declared, door: str, key_prefix: str, settings: ApiSettings,
          quotas: Quotas, albums: Albums, uploads: UploadRepository, part: bool = False,
          parts: tuple[str, ...] = ()) -> Upload:
    """Check a declared upload and record it (state `created`); the typed
    error of the first check it fails. A `part` of a concatenation is
    checked for its size only: the upload that joins the parts is the one."""
    assert viewer.username is not None
    if declared.size <= 0:
        raise EmptyFile("the file is empty")
    if declared.size > settings.max_file_bytes:
        raise TooLarge(f"{declared.size} bytes is over the limit of {settings.max_file_bytes} bytes")
    meta: dict[str, object] = {}
    org = album = None
    if not part:
        if declared.mime_type is not None and declared.mime_type not in MIME_TYPES:
            raise UnsupportedFormat(f"{declared.mime_type} is not a type Darkroom takes ({DESCRIPTION})")
        try:
            meta = UploadFields.model_validate(declared.fields).model_dump()
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "fields"
            raise InvalidField(f"{where}: {first['msg']}") from None
        if declared.album is not None:
            found = album_rules.get(albums=albums, viewer=viewer, album_id=declared.album,
                                    need=album_rules.ADD)
            album, org = found.id, album_rules.org_of(found)
        quotas.check(account_of(viewer.username, org), declared.size)
    upload_id = uuid.uuid4().hex
    now = datetime.now(UTC)
    upload = Upload(id=upload_id, door=door, owner=viewer.username, key=f"{key_prefix}{upload_id}",
                    size=declared.size, created_at=now,
                    expires_at=now + timedelta(seconds=settings.upload_expiry_s), org=org, album=album,
                    mime_type=declared.mime_type, sha256=check_sha256(declared.sha256), meta=meta,
                    parts=list(parts))
    uploads.create(upload)
    return upload
