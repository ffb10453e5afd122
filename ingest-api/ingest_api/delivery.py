"""Where viewers fetch an image's bytes: always through the nginx cache.

Variants under `public/` (public and unlisted images) are plain nginx URLs,
which nginx caches for everyone. Variants under `private/` get a URL signed
with Darkroom's delivery key (connectors/nginx.UrlSigner), which nginx
verifies on every request, cached copy or not. A transform's (a rung
rendered on demand, a preset's output, any /t/ URL) is a transform URL,
signed in its path: for a public image it never expires, for a private one
it lasts as long as a signed variant URL. Originals are never public
(they keep their EXIF, location included): their owners get an S3 URL
signed for the nginx host (S3 signatures cover the Host header), which
nginx passes through uncached.
"""

from __future__ import annotations

import time

from connectors import minio
from connectors.minio import ObjectStore
from connectors.nginx import NEVER, UrlSigner, transform_path
from connectors.records import ImageRecord
from ingest_api.models import ImageOut, PresetOutputOut, VariantOut
from schemas import transforms
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

    @property
    def expiry_s(self) -> int:
        """Lifetime of the signed URLs of private images."""
        return self._expiry_s

    def variant_url(self, key: str) -> str:
        transform = transforms.parse_key(key)
        if transform is not None:
            return self.transform_url(*transform)
        if minio.is_public(key):
            return f"{self.public_url}{self.variant_path(key)}"
        return self._signer.sign(self.public_url, self.variant_path(key), self._expiry_s)

    def transform_url(self, placement: str, image_id: str, options: str,
                      lifetime_s: int | None = None) -> str:
        """The signed URL of a transform of an image under `placement`: for a
        public image it never expires unless `lifetime_s` is given."""
        path = transform_path(options, placement, image_id)
        if placement == minio.PUBLIC and lifetime_s is None:
            expires = NEVER
        else:
            expires = int(time.time()) + (lifetime_s or self._expiry_s)
        return self._signer.sign_transform(self.public_url, path, expires)

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
            variants=[VariantOut(width=v.width, height=v.height, format=v.format, url=urls[v.key],
                                 on_demand=v.on_demand) for v in variants],
            presets=self._presets(record),
            srcset=srcset or None, placeholder=record.placeholder, dominant_color=record.dominant_color,
            file_url=f"/v1/images/{record.id}/file", duplicate=duplicate,
        )

    def _presets(self, record: ImageRecord) -> list[PresetOutputOut]:
        """Each preset named at upload: its output (where the record's placement
        puts it: a visibility change renders it again there on demand), or why not."""
        where = record.placement or minio.placement(record.visibility, record.deleted)
        made = {v.preset: v for v in record.preset_variants}
        out = []
        for name in record.presets:
            v = made.get(name)
            if v is not None:
                out.append(PresetOutputOut(name=name, width=v.width, height=v.height, format=v.format,
                                           url=self.variant_url(minio.placed(v.key, where))))
            elif name in record.preset_problems or record.variants:
                problem = record.preset_problems.get(name, "not rendered")
                out.append(PresetOutputOut(name=name, problem=problem))
        return out
