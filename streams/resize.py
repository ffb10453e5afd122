"""The resize stage: the variant ladder of every uploaded image.

Input: `darkroom.image.uploaded` (ImageUploaded), consumer group
`darkroom-resize`. Output: `darkroom.image.variants.ready` (VariantsReady),
after the variants are in MinIO and the record lists them (its status stays
`processing`: the indexing stage makes it `ready` once every stage is done).
Variants go under the placement the image's record has when they are
written (public/, private/ or trash/, connectors/minio.placement), and are
recorded only if the record still has it: a visibility change or a delete
racing the render never leaves a variant where it must not be, and a
deleted image publishes nothing.
On failure: an image that cannot be decoded goes to `darkroom.dlq.resize`,
its record becomes `failed` with the reason and `darkroom.image.failed` is
published; an engine that is briefly away is retried with backoff (runner.py).

Variants are content-addressed (streams.imaging.keys), so a redelivered
event writes nothing new and publishes the same keys.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors import minio
from connectors.cassandra import Cassandra
from connectors.minio import Bucket, ObjectStore
from connectors.records import ImageRepository
from connectors.settings import CassandraSettings, MinioSettings
from schemas.events import ImageUploaded, Variant, VariantsReady
from schemas.media import ImageLimits
from streams import imaging, originals
from streams.errors import Poison
from streams.runner import stage_app


class ResizeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DARKROOM_RESIZE_", extra="ignore")
    avif: bool = False  # AVIF costs about 10 WebP encodes: off unless asked for
    workers: int = 0  # encoding processes, and images in work at once; 0 means one per core
    jpeg_progressive: bool = False  # ~6% fewer bytes for ~6x the JPEG encode time


@dataclass
class Deps:
    """Just what this stage talks to."""

    originals: Bucket
    variants: Bucket
    images: ImageRepository
    pool: ProcessPoolExecutor
    options: imaging.LadderOptions


PLACEMENT_ATTEMPTS = 5  # each a visibility change or delete racing this very image: a few at most


async def process(event: ImageUploaded, deps: Deps) -> VariantsReady | None:
    original = await originals.read(event, deps.originals, deps.images)
    if original is None:
        return None  # deleted: nothing to do
    try:
        ladder = await imaging.render_in(deps.pool, original, deps.options)
    except imaging.UndecodableImage as exc:
        raise Poison(exc.code, exc.message) from exc
    # Where the variants go is the record's word at write time, not the event's (a
    # PATCH or a delete may have come since): stored there, then recorded only if the
    # record still says so; otherwise what was written is taken back and placed again.
    for _ in range(PLACEMENT_ATTEMPTS):
        record = await asyncio.to_thread(deps.images.get, event.image_id)
        if record is None:
            return None  # purged while it rendered
        where = record.placement or minio.placement(record.visibility, record.deleted)
        variants, written = await asyncio.to_thread(_store, deps.variants, event.image_id, ladder, where)
        if await asyncio.to_thread(deps.images.set_variants, event.image_id, variants, ladder.placeholder,
                                   ladder.dominant_color, record.placement):
            return VariantsReady(image_id=event.image_id, variants=variants, placeholder=ladder.placeholder,
                                 dominant_color=ladder.dominant_color)
        for key in written:
            await asyncio.to_thread(deps.variants.remove, key)
    raise RuntimeError(f"{event.image_id}: its placement kept changing while its variants were stored")


def _store(bucket: Bucket, image_id: str, ladder: imaging.Ladder,
           where: str) -> tuple[list[Variant], list[str]]:
    """Put every rendition under `where`; the variants, and the keys written now
    (content-addressed keys already there, from a redelivery, are left as they are)."""
    variants, written = [], []
    for rendered in ladder.renditions:
        key = where + imaging.variant_key(image_id, rendered)
        if bucket.put_immutable(key, rendered.data, rendered.content_type):
            written.append(key)
        variants.append(Variant(width=rendered.width, height=rendered.height, format=rendered.format,
                                key=key, byte_size=len(rendered.data)))
    return variants, written


def make_deps() -> Deps:
    store, own = ObjectStore(MinioSettings()), ResizeSettings()
    return Deps(originals=store.originals, variants=store.variants,
                images=ImageRepository(Cassandra(CassandraSettings())),
                pool=imaging.new_pool(own.workers or None),
                options=imaging.LadderOptions(avif=own.avif, jpeg_progressive=own.jpeg_progressive,
                                              max_pixels=ImageLimits().max_pixels))


# One image in work per pool process, so every core of the pool has one to render.
app = stage_app("resize", [ImageUploaded], make_deps, process,
                concurrency=ResizeSettings().workers or os.cpu_count() or 1)
