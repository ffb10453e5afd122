"""Where viewers fetch an image's bytes: always through the nginx cache.

Variants under `public/` (public and unlisted images) are plain nginx URLs,
which nginx caches for everyone. Variants under `private/` get a URL signed
with Darkroom's delivery key (connectors/nginx.UrlSigner), which nginx
verifies on every request, cached copy or not. Originals are never public
(they keep their EXIF, location included): their owners get an S3 URL
signed for the nginx host (S3 signatures cover the Host header), which
nginx passes through uncached.
"""

from __future__ import annotations

from connectors import minio
from connectors.minio import ObjectStore
from connectors.nginx import UrlSigner
from connectors.records import ImageRecord
from ingest_api.models import ImageOut, VariantOut
from schemas.events import Variant

SRCSET_FORMAT = "jpeg"  # every browser decodes JPEG; WebP/AVIF belong in <picture> sources


def largest(variants: list[Variant], fmt: str = SRCSET_FORMAT) -> Variant | None:
    candidates = [v for v in variants if v.format == fmt] or variants
    return max(candidates, key=lambda v: v.width, default=None)


class Delivery:
    """Builds viewers' URLs and the image answers that carry them."""

    def __init__(self, store: ObjectStore, signer: UrlSigner, public_url: str, expiry_s: int) -> None:
        self._store, self._signer, self._expiry_s = store, signer, expiry_s
        self.public_url = public_url.rstrip("/")

    def variant_url(self, key: str) -> str:
        if minio.is_public(key):
            return f"{self.public_url}{self.variant_path(key)}"
        return self._signer.sign(self.public_url, self.variant_path(key), self._expiry_s)

    def original_url(self, record: ImageRecord) -> str:
        return self._store.originals.presigned_get(record.original_key, self._expiry_s)

    def variant_path(self, key: str) -> str:
        """The path nginx caches a variant under (what a purge names)."""
        return f"/{self._store.variants.name}/{key}"

    def image_out(self, record: ImageRecord, *, duplicate: bool = False) -> ImageOut:
        variants = sorted(record.variants, key=lambda v: (v.format, v.width))
        urls = {v.key: self.variant_url(v.key) for v in variants}
        srcset = ", ".join(f"{urls[v.key]} {v.width}w" for v in variants if v.format == SRCSET_FORMAT)
        return ImageOut(
            id=record.id, owner=record.owner, title=record.title, description=record.description,
            tags=record.tags, visibility=record.visibility, status=record.status, reason=record.reason,
            failure_code=record.failure_code, width=record.width, height=record.height,
            frames=record.frames, mime_type=record.mime_type, byte_size=record.byte_size,
            created_at=record.created_at,
            variants=[VariantOut(width=v.width, height=v.height, format=v.format, url=urls[v.key])
                      for v in variants],
            srcset=srcset or None, placeholder=record.placeholder, dominant_color=record.dominant_color,
            file_url=f"/v1/images/{record.id}/file", duplicate=duplicate,
        )
