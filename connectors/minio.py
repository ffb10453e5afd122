"""MinIO through the minio client: buckets, their policies, objects."""

from __future__ import annotations

import io
import json
import time
from datetime import UTC, datetime, timedelta
from typing import BinaryIO
from urllib.parse import urlsplit

import urllib3
from minio import Minio
from minio.commonconfig import REPLACE, CopySource
from minio.error import S3Error, ServerError

from connectors.settings import MinioSettings

# Content-addressed keys never change meaning, so caches may keep them forever.
IMMUTABLE = "public, max-age=31536000, immutable"


def client(settings: MinioSettings, endpoint: str | None = None) -> Minio:
    """A client for MinIO, or for another address that forwards to it (nginx),
    which presigned URLs must be signed for: S3 signatures cover the host."""
    return Minio(
        endpoint or settings.endpoint,
        access_key=settings.access_key,
        secret_key=settings.secret_key.get_secret_value(),
        secure=settings.secure,
        region=settings.region,
    )


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


def _public_read(bucket: str) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": ["*"]},
            "Action": ["s3:GetObject"],
            "Resource": [f"arn:aws:s3:::{bucket}/public/*"],
        }],
    })


def ensure_buckets(settings: MinioSettings) -> list[str]:
    """Both buckets serve anonymous reads under `public/` only (what nginx
    caches); everything else needs a signed URL. Returns the buckets created."""
    mc = client(settings)
    created = []
    for bucket in (settings.originals_bucket, settings.variants_bucket):
        try:
            mc.make_bucket(bucket)
            created.append(bucket)
        except S3Error as exc:
            if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
        mc.set_bucket_policy(bucket, _public_read(bucket))
    return created


def get_bytes(mc: Minio, bucket: str, key: str) -> bytes:
    response = mc.get_object(bucket, key)
    try:
        return response.read()
    finally:
        response.close()
        response.release_conn()


def get_bytes_if_present(mc: Minio, bucket: str, key: str) -> bytes | None:
    """The object's bytes, None when there is no such object (other errors raise)."""
    try:
        return get_bytes(mc, bucket, key)
    except S3Error as exc:
        if exc.code != "NoSuchKey":
            raise
    return None


def put_immutable(mc: Minio, bucket: str, key: str, data: bytes, content_type: str) -> bool:
    """Store a content-addressed object unless it is there already (a
    redelivered event rewrites nothing). Returns True if it was written."""
    try:
        mc.stat_object(bucket, key)
        return False
    except S3Error as exc:
        if exc.code != "NoSuchKey":
            raise
    mc.put_object(bucket, key, io.BytesIO(data), len(data), content_type=content_type,
                  metadata={"Cache-Control": IMMUTABLE})
    return True


# -- used by the ingest API -------------------------------------------------

# What a caller may treat as "MinIO is away for now" (answer 503, retry later).
UNAVAILABLE: tuple[type[Exception], ...] = (urllib3.exceptions.HTTPError, ServerError)


def put_stream(mc: Minio, bucket: str, key: str, reader: BinaryIO, part_size: int) -> None:
    """Upload a stream of unknown length; the client holds one part in memory
    at a time and aborts its multipart upload if `reader` raises."""
    mc.put_object(bucket, key, reader, length=-1, part_size=part_size)


def read_range(mc: Minio, bucket: str, key: str, offset: int, length: int) -> bytes:
    response = mc.get_object(bucket, key, offset=offset, length=length)
    try:
        return response.read()
    finally:
        response.close()
        response.release_conn()


def copy(mc: Minio, bucket: str, source: str, target: str, content_type: str | None = None) -> None:
    """Server-side copy within a bucket; the bytes never come through us.
    With `content_type` the metadata is replaced, else it is kept."""
    if content_type:
        mc.copy_object(bucket, target, CopySource(bucket, source),
                       metadata={"Content-Type": content_type}, metadata_directive=REPLACE)
    else:
        mc.copy_object(bucket, target, CopySource(bucket, source))


def remove(mc: Minio, bucket: str, key: str) -> None:
    """Removing a key that is not there succeeds (S3 semantics): safe to repeat."""
    mc.remove_object(bucket, key)


def keys_older_than(mc: Minio, bucket: str, prefix: str, age: timedelta) -> list[str]:
    cutoff = datetime.now(UTC) - age
    return [o.object_name for o in mc.list_objects(bucket, prefix=prefix, recursive=True)
            if o.last_modified is not None and o.last_modified < cutoff]


def presigner(settings: MinioSettings, base_url: str) -> Minio:
    """A client that only signs URLs for `base_url` (scheme://host[:port], no
    path), the address viewers dial, e.g. the nginx cache. Signing is local:
    the region is fixed, so no request is made."""
    url = urlsplit(base_url)
    return Minio(url.netloc, access_key=settings.access_key,
                 secret_key=settings.secret_key.get_secret_value(),
                 secure=url.scheme == "https", region=settings.region)


def presigned_get(signer: Minio, bucket: str, key: str, expires_s: int) -> str:
    return signer.presigned_get_object(bucket, key, expires=timedelta(seconds=expires_s))
