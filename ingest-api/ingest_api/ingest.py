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

from connectors import minio
from connectors.errors import UNAVAILABLE
from connectors.kafka import EventBus
from connectors.minio import Bucket
from connectors.records import ImageRecord, ImageRepository
from connectors.usage import account_of
from ingest_api import formats, ids
from ingest_api.errors import EmptyFile, TooLarge, UploadInProgress
from ingest_api.guard import Guard
from ingest_api.limits import Quotas
from schemas.events import ImageUploaded
from schemas.media import ImageLimits

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


def stage(*, originals: Bucket, chunks: Iterable[bytes], max_bytes: int, limits: ImageLimits) -> Staged:
    """Stream one file to a staging object and validate it. On any failure
    nothing is left behind (a refused file is often never stored at all)."""
    key = f"{STAGING}{uuid.uuid4().hex}"
    reader = UploadReader(chunks, max_bytes)
    with Guard("stage") as guard:
        guard.add("remove staging object", lambda: originals.remove(key))
        originals.put_stream(key, reader, PART_SIZE)
        source = formats.spliced(reader.head, reader.size,
                                 lambda offset, n: originals.read_range(key, offset, n))
        info = formats.inspect(source, reader.head, limits)
        guard.disarm()
    log.info("staged key=%s bytes=%d format=%s size=%dx%d frames=%d", key, reader.size, info.format.name,
             info.width, info.height, info.frames)
    return Staged(key, reader.sha256, reader.size, info)


def _claim(images: ImageRepository, owner: str, sha256: str, image_id: str,
           stale_claim_s: float) -> ImageRecord | None:
    """Claim the bytes for `image_id`: None if ours now, else the image that has them."""
    for _ in range(2):  # a second round only after a claim vanished under us
        holder = images.claim_hash(owner, sha256, image_id)
        if holder is None:
            return None
        existing = images.get(holder)
        if existing is not None:
            return existing
        # A claim without a record: an upload of these bytes in flight, or one that crashed.
        since = images.claimed_at(owner, sha256)
        if since is None:
            continue
        if datetime.now(UTC) - since < timedelta(seconds=stale_claim_s):
            raise UploadInProgress("the same file is being uploaded right now; retry in a moment")
        if images.take_over_hash(owner, sha256, holder, image_id):
            log.warning("took over stale claim owner=%s sha256=%s from=%s", owner, sha256, holder)
            return None
    raise UploadInProgress("the same file is being uploaded right now; retry in a moment")


def commit(*, originals: Bucket, images: ImageRepository, bus: EventBus, quotas: Quotas, staged: Staged,
           owner: str, org: str | None, meta: Meta, stale_claim_s: float) -> Outcome:
    """Dedup, check the quota, move to the final key, record, count and
    announce a staged file. The staging object is gone afterwards whatever
    happens; a duplicate costs no storage."""
    with Guard("commit") as guard:
        guard.add("remove staging object", lambda: originals.remove(staged.key))
        image_id = ids.new_id()
        existing = _claim(images, owner, staged.sha256, image_id, stale_claim_s)
        if existing is not None:
            log.info("duplicate owner=%s sha256=%s image_id=%s", owner, staged.sha256, existing.id)
            return Outcome(existing, duplicate=True)  # the guard removes the staging object
        guard.add("release claim", lambda: images.release_hash(owner, staged.sha256, image_id))
        account = account_of(owner, org)
        quotas.check(account, staged.size)

        final = original_key(owner, staged.sha256)
        originals.copy(staged.key, final, staged.info.format.mime_type)
        guard.add("remove original", lambda: originals.remove(final))
        originals.remove(staged.key)

        info = staged.info
        record = ImageRecord(
            id=image_id, owner=owner, sha256=staged.sha256, original_key=final,
            mime_type=info.format.mime_type, byte_size=staged.size, width=info.width, height=info.height,
            frames=info.frames, visibility=meta.visibility, keep_gps=meta.keep_gps, title=meta.title,
            description=meta.description, tags=list(meta.tags), org=org,
            placement=minio.placement(meta.visibility))
        images.create(record)
        guard.add("delete record", lambda: images.delete(image_id))
        warnings = quotas.add(account, staged.size, image_id)
        guard.add("uncount", lambda: quotas.remove(account, staged.size))

        bus.publish(ImageUploaded(
            image_id=image_id, owner=owner, sha256=staged.sha256, original_key=final,
            mime_type=info.format.mime_type, byte_size=staged.size, width=info.width, height=info.height,
            frames=info.frames, visibility=meta.visibility, keep_gps=meta.keep_gps, org=org,
        ))
        guard.disarm()
    for warning in warnings:  # the upload is in; a lost warning must not undo it
        try:
            bus.publish(warning)
        except UNAVAILABLE:
            log.warning("quota warning not published account=%s threshold=%s", account, warning.threshold)
    log.info("accepted image_id=%s owner=%s bytes=%d", image_id, owner, staged.size)
    return Outcome(record, duplicate=False)


def sweep_staging(*, originals: Bucket, older_than: timedelta) -> list[str]:
    """Remove staging objects older than `older_than`, left by uploads whose
    process died before its guard ran. Returns the keys removed. Meant for a
    periodic job."""
    stale = originals.keys_older_than(STAGING, older_than)
    for key in stale:
        originals.remove(key)
    if stale:
        log.info("swept staging objects=%d older_than=%s", len(stale), older_than)
    return stale
