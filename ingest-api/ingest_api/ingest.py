"""The ingest path: one streaming pass with a cleanup guard.

    bounded read -> SHA-256 while streaming to a staging object -> validate
    from the header -> dedup claim (LWT) -> server-side copy to the final
    key -> record (status processing) -> ImageUploaded, confirmed by Kafka

`stage` does the first half as the bytes arrive; `commit` the rest once the
request's fields are known. Each half undoes itself if it fails part way.
These functions block (drivers are synchronous): the API runs them in
worker threads. Errors are typed (ingest_api.errors), never HTTP.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from connectors import minio, records
from connectors.records import ImageRecord
from ingest_api import events, formats, ids
from ingest_api.errors import EmptyFile, TooLarge, UploadInProgress
from ingest_api.guard import Guard
from schemas.events import ImageUploaded

if TYPE_CHECKING:
    from ingest_api.services import Services

log = logging.getLogger(__name__)

STAGING = "staging/"
PART_SIZE = 5 * 1024 * 1024  # MinIO's smallest part: the most the client holds in memory per upload
HEAD_BYTES = 256 * 1024  # kept in memory for sniffing; covers the header of nearly every file


class UploadReader:
    """The file-like the MinIO client reads an upload from: it hashes and
    counts as it goes, refuses to read past the byte limit, keeps the first
    HEAD_BYTES, and refuses a non-image as soon as its magic number is in."""

    def __init__(self, chunks: Iterable[bytes], max_bytes: int) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._max = max_bytes
        self._pending = memoryview(b"")
        self._sha = hashlib.sha256()
        self._head = bytearray()
        self.size = 0
        self.format: formats.Format | None = None

    @property
    def head(self) -> bytes:
        return bytes(self._head)

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()

    def read(self, size: int = -1) -> bytes:
        out = bytearray()
        while size < 0 or len(out) < size:
            if not self._pending:
                chunk = next(self._chunks, b"")
                if not chunk:
                    self._at_end()
                    break
                self._take(chunk)
                self._pending = memoryview(chunk)
            n = len(self._pending) if size < 0 else min(size - len(out), len(self._pending))
            out += self._pending[:n]
            self._pending = self._pending[n:]
        return bytes(out)

    def _take(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self._max:
            raise TooLarge(f"the file is over the limit of {self._max} bytes")
        self._sha.update(chunk)
        if len(self._head) < HEAD_BYTES:
            self._head += chunk[:HEAD_BYTES - len(self._head)]
        if self.format is None and len(self._head) >= formats.SNIFF_BYTES:
            self.format = formats.sniff(self._head)

    def _at_end(self) -> None:
        if self.size == 0:
            raise EmptyFile("the file is empty")
        if self.format is None:  # shorter than SNIFF_BYTES
            self.format = formats.sniff(self._head)


@dataclass(frozen=True)
class Staged:
    key: str
    sha256: str
    size: int
    info: formats.ImageInfo


@dataclass(frozen=True)
class Meta:
    title: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    visibility: str = "public"
    keep_gps: bool = False


@dataclass(frozen=True)
class Outcome:
    record: ImageRecord
    duplicate: bool


def original_key(owner: str, sha256: str) -> str:
    # Never under public/ (the bucket's anonymous prefix): originals keep their
    # EXIF, location included, so they are only handed out through signed URLs.
    return f"originals/{owner}/{sha256}"


def stage(svc: Services, chunks: Iterable[bytes]) -> Staged:
    """Stream one file to a staging object and validate it. On any failure
    nothing is left behind (a refused file is often never stored at all)."""
    bucket, key = svc.minio.originals_bucket, f"{STAGING}{uuid.uuid4().hex}"
    reader = UploadReader(chunks, svc.api.max_file_bytes)
    with Guard("stage") as guard:
        guard.add("remove staging object", lambda: minio.remove(svc.store, bucket, key))
        minio.put_stream(svc.store, bucket, key, reader, PART_SIZE)
        source = formats.spliced(reader.head, reader.size,
                                 lambda offset, n: minio.read_range(svc.store, bucket, key, offset, n))
        info = formats.inspect(source, reader.head, svc.limits)
        guard.disarm()
    log.info("staged key=%s bytes=%d format=%s size=%dx%d frames=%d", key, reader.size, info.format.name,
             info.width, info.height, info.frames)
    return Staged(key, reader.sha256, reader.size, info)


def discard(svc: Services, staged: Staged) -> None:
    minio.remove(svc.store, svc.minio.originals_bucket, staged.key)


def _claim(svc: Services, owner: str, sha256: str, image_id: str) -> ImageRecord | None:
    """Claim the bytes for `image_id`: None if ours now, else the image that has them."""
    for _ in range(2):  # a second round only after a claim vanished under us
        holder = records.claim_hash(svc.db, owner, sha256, image_id)
        if holder is None:
            return None
        existing = records.get(svc.db, holder)
        if existing is not None:
            return existing
        # A claim without a record: an upload of these bytes in flight, or one that crashed.
        since = records.claimed_at(svc.db, owner, sha256)
        if since is None:
            continue
        if datetime.now(UTC) - since < timedelta(seconds=svc.api.stale_claim_s):
            raise UploadInProgress("the same file is being uploaded right now; retry in a moment")
        if records.take_over_hash(svc.db, owner, sha256, holder, image_id):
            log.warning("took over stale claim owner=%s sha256=%s from=%s", owner, sha256, holder)
            return None
    raise UploadInProgress("the same file is being uploaded right now; retry in a moment")


def commit(svc: Services, staged: Staged, owner: str, meta: Meta) -> Outcome:
    """Dedup, move to the final key, record and announce a staged file. The
    staging object is gone afterwards whatever happens."""
    bucket, db = svc.minio.originals_bucket, svc.db
    with Guard("commit") as guard:
        guard.add("remove staging object", lambda: discard(svc, staged))
        image_id = ids.new_id()
        existing = _claim(svc, owner, staged.sha256, image_id)
        if existing is not None:
            log.info("duplicate owner=%s sha256=%s image_id=%s", owner, staged.sha256, existing.id)
            return Outcome(existing, duplicate=True)  # the guard removes the staging object
        guard.add("release claim", lambda: records.release_hash(db, owner, staged.sha256, image_id))

        final = original_key(owner, staged.sha256)
        minio.copy(svc.store, bucket, staged.key, final, staged.info.format.mime_type)
        guard.add("remove original", lambda: minio.remove(svc.store, bucket, final))
        discard(svc, staged)

        info = staged.info
        record = ImageRecord(
            id=image_id, owner=owner, sha256=staged.sha256, original_key=final,
            mime_type=info.format.mime_type, byte_size=staged.size, width=info.width, height=info.height,
            frames=info.frames, visibility=meta.visibility, keep_gps=meta.keep_gps, title=meta.title,
            description=meta.description, tags=list(meta.tags))
        records.create(db, record)
        guard.add("delete record", lambda: records.delete(db, image_id))

        events.emit(svc.producer, ImageUploaded(
            image_id=image_id, owner=owner, sha256=staged.sha256, original_key=final,
            mime_type=info.format.mime_type, byte_size=staged.size, width=info.width, height=info.height,
            frames=info.frames, visibility=meta.visibility, keep_gps=meta.keep_gps,
        ), svc.api.publish_timeout_s)
        guard.disarm()
    log.info("accepted image_id=%s owner=%s bytes=%d", image_id, owner, staged.size)
    return Outcome(record, duplicate=False)


def sweep_staging(svc: Services, older_than: timedelta | None = None) -> list[str]:
    """Remove staging objects older than `older_than` (default: the
    staging_max_age_s setting), left by uploads whose process died before
    its guard ran. Returns the keys removed. Meant for a periodic job."""
    age = older_than if older_than is not None else timedelta(seconds=svc.api.staging_max_age_s)
    bucket = svc.minio.originals_bucket
    stale = minio.keys_older_than(svc.store, bucket, STAGING, age)
    for key in stale:
        minio.remove(svc.store, bucket, key)
    if stale:
        log.info("swept staging objects=%d older_than=%s", len(stale), age)
    return stale
