"""The ingest path: one streaming pass with a cleanup guard.

    bounded read -> SHA-256 while streaming to a staging object -> validate
    from the header -> dedup claim (LWT) -> server-side copy to the final
    key -> record (status processing) -> ImageUploaded, confirmed by Kafka

`stage` does the first half as the bytes arrive; `commit` the rest once the
request's fields are known. Each half undoes itself if it fails part way.
The other doors (tus, presigned PUT) find their bytes already in storage:
`stage_stored` reads them back through the same reader (size, hash, sniff,
header limits) and they go through the same `commit`.
These functions block (drivers are synchronous): the API runs them in
worker threads. Errors are typed (ingest_api.errors), never HTTP.
"""

from __future__ import annotations

import contextlib
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
from ingest_api.errors import (
    ChecksumMismatch,
    DarkroomError,
    EmptyFile,
    SizeMismatch,
    TooLarge,
    TypeMismatch,
    UploadIncomplete,
    UploadInProgress,
)
from ingest_api.guard import Guard
from ingest_api.limits import Quotas
from schemas.events import ImageUploaded
from schemas.media import ImageLimits

log = logging.getLogger(__name__)

STAGING = "staging/"
# Where the other doors keep an upload's object while its client sends it, which
# may take hours and resume: their own rows expire them (ingest_api/reconcile.py),
# not the age-based sweep of what a crashed POST left.
RESUMABLE = f"{STAGING}tus/"  # tusd's -s3-object-prefix (devstack/engines.py)
DIRECT = f"{STAGING}direct/"
DOORS = (RESUMABLE, DIRECT)
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
    presets: tuple[str, ...] = ()  # the owner's presets to render with the variants


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


def stage_stored(*, originals: Bucket, key: str, max_bytes: int, limits: ImageLimits,
                 expect_size: int | None = None, expect_sha256: str | None = None,
                 expect_mime: str | None = None) -> Staged:
    """Validate an object a door already put in storage, as `stage` validates
    a stream: its real size, hash, sniffed format and header limits, read
    back from storage; what the client declared is only compared with them.
    A refused object is removed; an engine that is away leaves it in place
    for a retry (the client will not send it again)."""
    found = originals.stat(key)
    if found is None:
        raise UploadIncomplete("the upload's bytes are not in storage (not sent, or not finished)")
    try:
        if found.size > max_bytes:
            raise TooLarge(f"the file is over the limit of {max_bytes} bytes")
        if expect_size is not None and found.size != expect_size:
            raise SizeMismatch(f"{found.size} bytes arrived where {expect_size} were declared")
        with contextlib.closing(originals.stream(key, PART_SIZE)) as chunks:
            reader = UploadReader(chunks, max_bytes)
            while reader.read(PART_SIZE):
                pass
        source = formats.spliced(reader.head, reader.size,
                                 lambda offset, n: originals.read_range(key, offset, n))
        info = formats.inspect(source, reader.head, limits)
        if expect_mime is not None and info.format.mime_type != expect_mime:
            raise TypeMismatch(f"the bytes are {info.format.mime_type}, {expect_mime} was declared")
        if expect_sha256 is not None and reader.sha256 != expect_sha256.lower():
            raise ChecksumMismatch(f"the bytes hash to {reader.sha256}, {expect_sha256} was declared")
    except DarkroomError:
        originals.remove(key)
        raise
    log.info("checked stored key=%s bytes=%d format=%s size=%dx%d frames=%d", key, reader.size,
             info.format.name, info.width, info.height, info.frames)
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
           owner: str, org: str | None, meta: Meta, stale_claim_s: float,
           keep_staged_on_error: bool = False) -> Outcome:
    """Dedup, check the quota, move to the final key, record, count and
    announce a staged file. The staging object is gone afterwards whatever
    happens; a duplicate costs no storage. With `keep_staged_on_error` (a
    door's object, which its client will not send again) a failure or a
    duplicate leaves the staging object to the caller."""
    with Guard("commit") as guard:
        if not keep_staged_on_error:
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
            placement=minio.placement(meta.visibility), presets=list(meta.presets))
        images.create(record)
        guard.add("delete record", lambda: images.delete(image_id))
        warnings = quotas.add(account, staged.size, image_id)
        guard.add("uncount", lambda: quotas.remove(account, staged.size))

        bus.publish(ImageUploaded(
            image_id=image_id, owner=owner, sha256=staged.sha256, original_key=final,
            mime_type=info.format.mime_type, byte_size=staged.size, width=info.width, height=info.height,
            frames=info.frames, visibility=meta.visibility, keep_gps=meta.keep_gps, org=org,
            presets=list(meta.presets),
        ))
        guard.disarm()
    for warning in warnings:  # the upload is in; a lost warning must not undo it
        try:
            bus.publish(warning)
        except UNAVAILABLE:
            log.warning("quota warning not published account=%s threshold=%s", account, warning.threshold)
    log.info("accepted image_id=%s owner=%s bytes=%d", image_id, owner, staged.size)
    return Outcome(record, duplicate=False)


def sweep_staging(*, originals: Bucket, older_than: timedelta, prefix: str = STAGING,
                  skip: tuple[str, ...] = DOORS) -> list[str]:
    """Remove staging objects under `prefix` older than `older_than`, left by
    uploads whose process died before its guard ran, except under `skip` (the
    doors' uploads, which their rows expire). Returns the keys removed. Meant
    for a periodic job."""
    stale = [key for key in originals.keys_older_than(prefix, older_than) if not key.startswith(skip)]
    for key in stale:
        originals.remove(key)
    if stale:
        log.info("swept staging objects=%d older_than=%s", len(stale), older_than)
    return stale
