"""MinIO through the minio client: buckets, their policies, objects."""

from __future__ import annotations

import json
import time

import urllib3
from minio import Minio
from minio.error import S3Error

from connectors.settings import MinioSettings


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
