"""Where viewers fetch an image's bytes: always through the nginx cache.

Variants under `public/` (public and unlisted images) are plain nginx URLs,
which nginx caches; anything else gets a URL signed for the nginx host
(S3 signatures cover the Host header), which nginx passes through uncached.
Originals are never public (they keep their EXIF, location included).
"""

from __future__ import annotations

from connectors import minio
from connectors.records import ImageRecord
from ingest_api.models import ImageOut, VariantOut
from ingest_api.services import Services
from schemas.events import Variant

SRCSET_FORMAT = "jpeg"  # every browser decodes JPEG; WebP/AVIF belong in <picture> sources


def is_public_key(key: str) -> bool:
    return key.startswith("public/")


def variant_url(svc: Services, key: str) -> str:
    bucket = svc.minio.variants_bucket
    if is_public_key(key):
        return f"{svc.nginx.url.rstrip('/')}/{bucket}/{key}"
    return minio.presigned_get(svc.signer, bucket, key, svc.api.presign_expiry_s)


def original_url(svc: Services, record: ImageRecord) -> str:
    return minio.presigned_get(svc.signer, svc.minio.originals_bucket, record.original_key,
                               svc.api.presign_expiry_s)


def largest(variants: list[Variant], fmt: str = SRCSET_FORMAT) -> Variant | None:
    candidates = [v for v in variants if v.format == fmt] or variants
    return max(candidates, key=lambda v: v.width, default=None)


def image_out(svc: Services, record: ImageRecord, *, duplicate: bool = False) -> ImageOut:
    variants = sorted(record.variants, key=lambda v: (v.format, v.width))
    urls = {v.key: variant_url(svc, v.key) for v in variants}
    srcset = ", ".join(f"{urls[v.key]} {v.width}w" for v in variants if v.format == SRCSET_FORMAT)
    return ImageOut(
        id=record.id, owner=record.owner, title=record.title, description=record.description,
        tags=record.tags, visibility=record.visibility, status=record.status, reason=record.reason,
        failure_code=record.failure_code, width=record.width, height=record.height, frames=record.frames,
        mime_type=record.mime_type, byte_size=record.byte_size, created_at=record.created_at,
        variants=[VariantOut(width=v.width, height=v.height, format=v.format, url=urls[v.key])
                  for v in variants],
        srcset=srcset or None, placeholder=record.placeholder, dominant_color=record.dominant_color,
        file_url=f"/v1/images/{record.id}/file", duplicate=duplicate,
    )
