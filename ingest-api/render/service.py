"""The render service's core: a transform URL's path in, its result's bytes
out, or a refusal with the status and code nginx would give.

    verify the signature (403)  ->  parse the options (400)  ->  the image
    is there and where the URL says (404)  ->  the stored result, if any
    ->  else the original (and a watermark image) from MinIO, rendered in
    the pool  ->  stored under the placement  ->  the image still there?

nginx verified the signature already; this verifies again, so a request
that reaches the service directly is never rendered unsigned. Results are
stored with put_immutable (the same options of the same original always
make the same bytes), and taken back if the image changed placement while
it rendered, so a change of visibility racing a render leaves nothing
where it must not be (the propagation's sweep removes what is left behind).
"""

from __future__ import annotations

import asyncio
import logging
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from connectors import minio
from connectors.minio import Bucket
from connectors.nginx import InvalidSignature, UrlSigner
from connectors.records import ImageRecord, ImageRepository
from schemas import transforms
from schemas.media import ImageLimits
from schemas.transforms import InvalidOptions, TransformLimits
from streams import imaging
from streams.imaging.model import CONTENT_TYPES

log = logging.getLogger(__name__)

_PATH = re.compile(r"/t/(?P<options>[^/]+)/(?P<placement>public|private)/"
                   r"(?P<image>[A-Za-z0-9][A-Za-z0-9_-]{0,127})")


class Refused(Exception):
    """What the service answers instead of an image."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


@dataclass(frozen=True)
class Result:
    data: bytes
    content_type: str
    rendered: bool  # False: it was stored already


def placement_of(record: ImageRecord) -> str:
    return record.placement or minio.placement(record.visibility, record.deleted)


class Renderer:
    def __init__(self, *, signer: UrlSigner, images: ImageRepository, originals: Bucket, variants: Bucket,
                 pool: ProcessPoolExecutor, workers: int, queue: int, limits: TransformLimits,
                 image_limits: ImageLimits) -> None:
        self._signer, self._images, self._originals, self._variants = signer, images, originals, variants
        self._pool, self._limits, self._image_limits = pool, limits, image_limits
        self._slots = asyncio.Semaphore(workers)
        self._room = workers + queue  # renders running or waiting, at most
        self._in_work = 0

    async def answer(self, path: str) -> Result:
        try:
            unsigned, _ = self._signer.verify_transform(path)
        except InvalidSignature as exc:
            raise Refused(403, exc.code, str(exc)) from None
        found = _PATH.fullmatch(unsigned)
        if found is None:
            raise Refused(404, "not_found", "not a transform URL")
        try:
            options = transforms.parse(found["options"], self._limits)
        except InvalidOptions as exc:
            raise Refused(400, "invalid_transform", str(exc)) from None
        placement, image_id = found["placement"] + "/", found["image"]
        record = await self._located(image_id, placement)
        key = transforms.key(placement, image_id, found["options"])
        content_type = CONTENT_TYPES[options.f]
        stored = await asyncio.to_thread(self._variants.get_if_present, key)
        if stored is not None:
            return Result(stored, content_type, rendered=False)
        data = await self._render(record, options)
        written = await asyncio.to_thread(self._variants.put_immutable, key, data, content_type)
        await self._located(image_id, placement, taking_back=key if written else None)
        log.info("rendered image_id=%s options=%s bytes=%d", image_id, found["options"], len(data))
        return Result(data, content_type, rendered=True)

    async def _located(self, image_id: str, placement: str, taking_back: str | None = None) -> ImageRecord:
        """The live record, if its variants live where the URL says; else 404
        (after removing `taking_back`, what this render stored meanwhile)."""
        record = await asyncio.to_thread(self._images.get, image_id)
        if record is None or record.deleted or placement_of(record) != placement:
            if taking_back is not None:
                await asyncio.to_thread(self._variants.remove, taking_back)
            raise Refused(404, "not_found", f"no image {image_id}")
        return record

    async def _render(self, record: ImageRecord, options: transforms.Options) -> bytes:
        if self._in_work >= self._room:
            raise Refused(503, "busy", "too many renders waiting; retry in a moment", {"Retry-After": "1"})
        original = await asyncio.to_thread(self._originals.get_if_present, record.original_key)
        if original is None:
            raise Refused(404, "not_found", f"no image {record.id}")
        mark = await self._watermark(options)
        self._in_work += 1
        try:
            async with self._slots:
                rendition = await imaging.run_in(self._pool, imaging.render_options, original, options, mark,
                                                 self._limits, self._image_limits)
        except InvalidOptions as exc:
            raise Refused(400, "invalid_transform", str(exc)) from None
        except imaging.UndecodableImage as exc:
            raise Refused(422, exc.code, f"the original cannot be rendered: {exc.message}") from None
        finally:
            self._in_work -= 1
        return rendition.data

    async def _watermark(self, options: transforms.Options) -> bytes | None:
        image_id = options.watermark_image
        if image_id is None:
            return None
        record = await asyncio.to_thread(self._images.get, image_id)
        data = None
        if record is not None and not record.deleted:
            data = await asyncio.to_thread(self._originals.get_if_present, record.original_key)
        if data is None:
            raise Refused(400, "invalid_transform", f"the watermark image {image_id} is not available")
        return data
