"""MinIO through the minio client: the object store and its two buckets.

Callers hold a `Bucket` (one bucket, the calls Darkroom makes on it) or the
`ObjectStore` that has both; the Minio client never leaves this module.

Where an image's variants live (their placement) is decided here, next to
the bucket policy that gives the prefixes their meaning: anonymous reads
(and so the nginx cache) under `public/` (public and unlisted images);
`private/` only through nginx, which verifies Darkroom's signed URLs and
proves itself to MinIO with the origin secret; `trash/` (soft-deleted
images) never.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Generator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import BinaryIO
from urllib.parse import urlsplit

import urllib3
from minio import Minio
from minio.commonconfig import REPLACE, CopySource
from minio.datatypes import Part
from minio.error import S3Error, ServerError

from connectors.settings import MinioSettings

# Content-addressed keys never change meaning, so caches may keep them forever.
IMMUTABLE = "public, max-age=31536000, immutable"

# What a caller may treat as "MinIO is away for now" (answer 503, retry later).
UNAVAILABLE: tuple[type[Exception], ...] = (urllib3.exceptions.HTTPError, ServerError)

PUBLIC, PRIVATE, TRASH = "public/", "private/", "trash/"
PLACEMENTS = (PUBLIC, PRIVATE, TRASH)


def placement(visibility: str, deleted: bool = False) -> str:
    """The key prefix the variants of an image with this visibility live under."""
    if deleted:
        return TRASH
    return PRIVATE if visibility == "private" else PUBLIC


def placed(key: str, where: str) -> str:
    """`key` moved under the prefix `where` (keys outside the placements stay)."""
    for prefix in PLACEMENTS:
        if key.startswith(prefix):
            return where + key[len(prefix):]
    return key


def is_public(key: str) -> bool:
    return key.startswith(PUBLIC)


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    content_type: str | None
    last_modified: datetime | None
    etag: str | None


class Bucket:
    """One bucket. Every method blocks; async callers use threads."""

    def __init__(self, client: Minio, signer: Minio, name: str) -> None:
        self._client, self._signer, self.name = client, signer, name

    def get(self, key: str) -> bytes:
        response = self._client.get_object(self.name, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def get_if_present(self, key: str) -> bytes | None:
        """The object's bytes, None when there is no such object (other errors raise)."""
        try:
            return self.get(key)
        except S3Error as exc:
            if exc.code != "NoSuchKey":
                raise
        return None

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        response = self._client.get_object(self.name, key, offset=offset, length=length)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def stat(self, key: str) -> ObjectInfo | None:
        try:
            found = self._client.stat_object(self.name, key)
        except S3Error as exc:
            if exc.code not in ("NoSuchKey", "NoSuchObject"):
                raise
            return None
        return ObjectInfo(found.size or 0, found.content_type, found.last_modified, found.etag)

    def put(self, key: str, data: bytes, content_type: str, cache_control: str | None = None) -> None:
        metadata = {"Cache-Control": cache_control} if cache_control else None
        self._client.put_object(self.name, key, io.BytesIO(data), len(data), content_type=content_type,
                                metadata=metadata)  # type: ignore[arg-type]

    def put_immutable(self, key: str, data: bytes, content_type: str) -> bool:
        """Store a content-addressed object unless it is there already (a
        redelivered event rewrites nothing). Returns True if it was written."""
        if self.stat(key) is not None:
            return False
        self.put(key, data, content_type, IMMUTABLE)
        return True

    def put_stream(self, key: str, reader: BinaryIO, part_size: int) -> None:
        """Upload a stream of unknown length; the client holds one part in memory
        at a time and aborts its multipart upload if `reader` raises."""
        self._client.put_object(self.name, key, reader, length=-1, part_size=part_size)

    def copy(self, source: str, target: str, content_type: str | None = None) -> None:
        """Server-side copy within the bucket; the bytes never come through us.
        With `content_type` the metadata is replaced, else it is kept."""
        if content_type:
            self._client.copy_object(self.name, target, CopySource(self.name, source),
                                     metadata={"Content-Type": content_type}, metadata_directive=REPLACE)
        else:
            self._client.copy_object(self.name, target, CopySource(self.name, source))

    def remove(self, key: str) -> None:
        """Removing a key that is not there succeeds (S3 semantics): safe to repeat."""
        self._client.remove_object(self.name, key)

    def keys(self, prefix: str) -> list[str]:
        return [o.object_name for o in self._client.list_objects(self.name, prefix=prefix, recursive=True)
                if o.object_name is not None]

    def keys_older_than(self, prefix: str, age: timedelta) -> list[str]:
        cutoff = datetime.now(UTC) - age
        return [o.object_name for o in self._client.list_objects(self.name, prefix=prefix, recursive=True)
                if o.object_name is not None and o.last_modified is not None and o.last_modified < cutoff]

    def presigned_get(self, key: str, expires_s: int) -> str:
        """A GET URL signed for the address viewers dial (signing is local: no request)."""
        return self._signer.presigned_get_object(self.name, key, expires=timedelta(seconds=expires_s))

    # -- what the upload doors need (ingest_api/direct.py, ingest_api/tus.py) ------

    def stream(self, key: str, chunk_bytes: int) -> Generator[bytes, None, None]:
        """The object's bytes a chunk at a time, never the whole object in memory."""
        response = self._client.get_object(self.name, key)
        try:
            yield from response.stream(chunk_bytes)
        finally:
            response.close()
            response.release_conn()

    def presigned_put(self, key: str, expires_s: int, multipart_id: str | None = None,
                      part: int | None = None) -> str:
        """A PUT URL signed for the address clients dial: of the object, or of
        one part of the multipart upload `multipart_id`."""
        params: dict[str, str | list[str] | tuple[str]] | None = (
            {"uploadId": multipart_id, "partNumber": str(part)} if multipart_id else None)
        return self._signer.get_presigned_url("PUT", self.name, key, timedelta(seconds=expires_s),
                                              extra_query_params=params)

    # The minio client drives multipart uploads itself inside put_object and
    # keeps these S3 calls protected; a client that PUTs the parts through
    # presigned URLs needs them one by one. Stable S3 operations, kept here.

    def start_multipart(self, key: str, content_type: str) -> str:
        """Open a multipart upload of `key`; returns its S3 upload id."""
        return self._client._create_multipart_upload(self.name, key, {"Content-Type": content_type})

    def complete_multipart(self, key: str, multipart_id: str) -> int:
        """Join the parts uploaded so far, in order, into the object; returns how
        many (none: nothing is joined and the upload stays open)."""
        parts: list[Part] = []
        marker: str | None = None
        while True:
            found = self._client._list_parts(self.name, key, multipart_id, part_number_marker=marker)
            parts += found.parts
            if not found.is_truncated or not found.parts:
                break
            marker = str(found.parts[-1].part_number)
        if parts:
            self._client._complete_multipart_upload(self.name, key, multipart_id,
                                                    sorted(parts, key=lambda p: p.part_number))
        return len(parts)

    def abort_multipart(self, key: str) -> int:
        """Abort every multipart upload in progress of exactly `key` (their parts
        go); returns how many. Safe to repeat."""
        found = self._client._list_multipart_uploads(self.name, prefix=key)
        aborted = 0
        for upload in found.uploads:
            if upload.object_name == key and upload.upload_id:
                self._client._abort_multipart_upload(self.name, key, upload.upload_id)
                aborted += 1
        return aborted


def client(settings: MinioSettings, endpoint: str | None = None) -> Minio:
    """A client for MinIO, or for another address that forwards to it (nginx),
    which presigned URLs must be signed for: S3 signatures cover the host."""
    return Minio(
        endpoint or settings.endpoint,
        access_key=settings.access_key,
        secret_key=settings.secret_key.get_secret_value(),
        secure=settings.secure,
        region=settings.region,  # fixed, so presigning never asks the server for it
        # The SDK's own client waits up to 5 minutes to connect and retries 5 times, so
        # MinIO away stalled a worker for a minute per attempt, out of sight. Fail fast
        # and let the caller's retry (the runner's backoff, the client's 503) be the one.
        http_client=urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=5, read=120), maxsize=16,
            retries=urllib3.Retry(total=1, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504))),
    )


class ObjectStore:
    """The originals and the variants. URLs are signed for `public_url`
    (scheme://host[:port], the nginx cache viewers dial); MinIO's own
    address when there is none."""

    def __init__(self, settings: MinioSettings, public_url: str | None = None) -> None:
        self.settings = settings
        direct = client(settings)
        if public_url:
            url = urlsplit(public_url)
            signer = Minio(url.netloc, access_key=settings.access_key,
                           secret_key=settings.secret_key.get_secret_value(),
                           secure=url.scheme == "https", region=settings.region)
        else:
            signer = direct
        self.originals = Bucket(direct, signer, settings.originals_bucket)
        self.variants = Bucket(direct, signer, settings.variants_bucket)


def _read_policy(bucket: str, origin_secret: str) -> str:
    anyone = {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["s3:GetObject"]}
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {**anyone, "Resource": [f"arn:aws:s3:::{bucket}/{PUBLIC}*"]},
            # nginx sends the origin secret as Referer only after it has verified a
            # signed URL (deploy/images/nginx): a request without it is refused.
            {**anyone, "Resource": [f"arn:aws:s3:::{bucket}/{PRIVATE}*"],
             "Condition": {"StringEquals": {"aws:Referer": [origin_secret]}}},
        ],
    })


def ensure_buckets(settings: MinioSettings, origin_secret: str) -> list[str]:
    """Both buckets serve anonymous reads under `public/` (what nginx caches)
    and, to nginx alone, under `private/`; everything else needs MinIO's own
    credentials or a signed URL. Returns the buckets created."""
    mc = client(settings)
    created = []
    for bucket in (settings.originals_bucket, settings.variants_bucket):
        try:
            mc.make_bucket(bucket)
            created.append(bucket)
        except S3Error as exc:
            if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
        mc.set_bucket_policy(bucket, _read_policy(bucket, origin_secret))
    return created


def wait_ready(settings: MinioSettings, timeout_s: float = 60) -> None:
    scheme = "https" if settings.secure else "http"
    url = f"{scheme}://{settings.endpoint}/minio/health/ready"
    http = urllib3.PoolManager(timeout=2, retries=False)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if http.request("GET", url).status == 200:
                return
        except urllib3.exceptions.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"MinIO at {settings.endpoint} not ready")
        time.sleep(0.3)
