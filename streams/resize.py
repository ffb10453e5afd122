"""The resize stage: the variant ladder of every uploaded image.

Input: `darkroom.image.uploaded` (ImageUploaded), consumer group
`darkroom-resize`. Output: `darkroom.image.variants.ready` (VariantsReady),
after the variants are in MinIO and the record lists them (its status stays
`processing`: the indexing stage makes it `ready` once every stage is done).

Eager and on demand: it renders what pages need at once, the rungs up to
EAGER_EDGE in every ladder format, the placeholder and the dominant colour,
and lists the larger rungs as `on_demand`, keyed by the transform that
renders them on their first request (the render service, behind nginx).
The presets named at upload are rendered here too (streams/presets.py);
one that cannot apply is reported on the image, never failing it.
Variants go under the placement the image's record has when they are
written (public/, private/ or trash/, connectors/minio.placement), and are
recorded only if the record still has it: a visibility change or a delete
racing the render never leaves a variant where it must not be, and a
deleted image publishes nothing.
On failure: an image that cannot be decoded goes to `darkroom.dlq.resize`,
its record becomes `failed` with the reason and `darkroom.image.failed` is
published; an engine that is briefly away is retried with backoff (runner.py).

Variants are content-addressed (streams.imaging.keys), the other outputs
addressed by their transform options (schemas.transforms.key), so a
redelivered event writes nothing new and publishes the same keys.
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
from connectors.presets import PresetRepository
from connectors.records import ImageRepository
from connectors.settings import CassandraSettings, MinioSettings
from schemas import transforms
from schemas.events import ImageUploaded, Variant, VariantsReady
from schemas.media import ImageLimits
from streams import imaging, originals, presets
from streams.errors import Poison
from streams.runner import stage_app

# The rungs rendered at upload: what a page shows at once (thumbnails, grids,
# a phone's screen). For a 12 MP JPEG they cost 82 ms of CPU against about
# 1,000 ms for the seeds' whole ladder (bench/ladder.py); WebP encodes of the
# 1280 and 2048 rungs were most of the rest, and most images are never shown
# that large.
EAGER_EDGE = 640
EAGER_RUNGS = tuple(r for r in imaging.RUNGS if r <= EAGER_EDGE)


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
    presets: PresetRepository
    pool: ProcessPoolExecutor
    options: imaging.LadderOptions  # rungs: EAGER_RUNGS


PLACEMENT_ATTEMPTS = 5  # each a visibility change or delete racing this very image: a few at most


async def process(event: ImageUploaded, deps: Deps) -> VariantsReady | None:
    original = await originals.read(event, deps.originals, deps.images)
    if original is None:
        return None  # deleted: nothing to do
    try:
        ladder = await imaging.render_in(deps.pool, original, deps.options)
    except imaging.UndecodableImage as exc:
        raise Poison(exc.code, exc.message) from exc
    asked = await presets.render(event.presets, event.owner, original, (ladder.width, ladder.height),
                                 presets=deps.presets, images=deps.images, originals=deps.originals,
                                 pool=deps.pool)
    # Where the variants go is the record's word at write time, not the event's (a
    # PATCH or a delete may have come since): stored there, then recorded only if the
    # record still says so; otherwise what was written is taken back and placed again.
    for _ in range(PLACEMENT_ATTEMPTS):
        record = await asyncio.to_thread(deps.images.get, event.image_id)
        if record is None:
            return None  # purged while it rendered
        where = record.placement or minio.placement(record.visibility, record.deleted)
        variants, outputs, written = await asyncio.to_thread(_store, deps.variants, event.image_id, ladder,
                                                            asked.outputs, where)
        variants += on_demand(event.image_id, ladder, deps.options, where)
        if await asyncio.to_thread(deps.images.set_variants, event.image_id, variants, ladder.placeholder,
                                   ladder.dominant_color, record.placement, outputs, asked.problems):
            return VariantsReady(image_id=event.image_id, variants=variants, placeholder=ladder.placeholder,
                                 dominant_color=ladder.dominant_color, preset_variants=outputs,
                                 preset_problems=asked.problems)
        for key in written:
            await asyncio.to_thread(deps.variants.remove, key)
    raise RuntimeError(f"{event.image_id}: its placement kept changing while its variants were stored")


def on_demand(image_id: str, ladder: imaging.Ladder, options: imaging.LadderOptions,
              where: str) -> list[Variant]:
    """The rungs of the whole ladder that were not rendered now, in each ladder
    format: keyed by the transform that renders them (a square box of the rung's
    edge, which fits the image to exactly the rung's size), nothing stored yet."""
    rendered = {(r.width, r.height) for r in ladder.renditions}
    return [Variant(width=w, height=h, format=fmt, byte_size=0, on_demand=True,
                    key=transforms.key(where, image_id, transforms.ladder_rung(max(w, h), fmt).text()))
            for w, h in reversed(imaging.plan_sizes(ladder.width, ladder.height)) if (w, h) not in rendered
            for fmt in options.formats]


def _store(bucket: Bucket, image_id: str, ladder: imaging.Ladder, outputs: list[presets.Output],
           where: str) -> tuple[list[Variant], list[Variant], list[str]]:
    """Put every rendition and preset output under `where`; the variants, the
    presets' and the keys written now (keys already there, from a redelivery,
    are left as they are: the same key always holds the same bytes)."""
    written: list[str] = []

    def put(key: str, rendered: imaging.Rendition, preset: str | None = None) -> Variant:
        if bucket.put_immutable(key, rendered.data, rendered.content_type):
            written.append(key)
        return Variant(width=rendered.width, height=rendered.height, format=rendered.format, key=key,
                       byte_size=len(rendered.data), preset=preset)

    variants = [put(where + imaging.variant_key(image_id, r), r) for r in ladder.renditions]
    made = [put(transforms.key(where, image_id, o.options), o.rendition, o.name) for o in outputs]
    return variants, made, written


def make_deps() -> Deps:
    store, own = ObjectStore(MinioSettings()), ResizeSettings()
    db = Cassandra(CassandraSettings())
    return Deps(originals=store.originals, variants=store.variants, images=ImageRepository(db),
                presets=PresetRepository(db), pool=imaging.new_pool(own.workers or None),
                options=imaging.LadderOptions(rungs=EAGER_RUNGS, avif=own.avif,
                                              jpeg_progressive=own.jpeg_progressive,
                                              max_pixels=ImageLimits().max_pixels))


# One image in work per pool process, so every core of the pool has one to render.
app = stage_app("resize", [ImageUploaded], make_deps, process,
                concurrency=ResizeSettings().workers or os.cpu_count() or 1)
