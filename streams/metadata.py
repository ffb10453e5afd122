"""The metadata stage: EXIF, IPTC and ICC facts of every uploaded image.

Input: `darkroom.image.uploaded` (ImageUploaded), consumer group
`darkroom-metadata`. Output: `darkroom.image.metadata.extracted`
(MetadataExtracted), after the facts are in Cassandra (`image_metadata`).
GPS is kept only when the uploader opted in (`keep_gps`); otherwise it is
dropped before anything is written or published.

On failure: broken or hostile metadata never fails the stage; each
unreadable field is listed in `skipped` and the event is still published,
so the image can still become ready. Bytes that are no image publish what is
known (the byte size). Only an original that is gone while its record
remains is poison: it goes to `darkroom.dlq.metadata` and the image is
marked failed. An engine that is briefly away is retried (runner.py).

Idempotent: a redelivered event rewrites the same row and publishes the
same facts under the same event id.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.cassandra import Cassandra
from connectors.minio import Bucket, ObjectStore
from connectors.records import ImageRepository
from connectors.settings import CassandraSettings, MinioSettings
from schemas.events import ImageUploaded, MetadataExtracted
from streams import extract, originals
from streams.runner import stage_app


class MetadataSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DARKROOM_METADATA_", extra="ignore")
    max_text_chars: int = extract.TextLimits.max_text_chars  # a longer text field is skipped
    max_keywords: int = extract.TextLimits.max_keywords  # more are cut to this many
    max_keyword_chars: int = extract.TextLimits.max_keyword_chars  # a longer keyword is dropped

    def limits(self) -> extract.TextLimits:
        return extract.TextLimits(max_text_chars=self.max_text_chars, max_keywords=self.max_keywords,
                              max_keyword_chars=self.max_keyword_chars)


@dataclass
class Deps:
    """Just what this stage talks to."""

    originals: Bucket
    images: ImageRepository
    limits: extract.TextLimits


def extracted_event(event: ImageUploaded, data: bytes, limits: extract.TextLimits) -> MetadataExtracted:
    """The facts of `data` as the event to publish (GPS only with opt-in)."""
    metadata, skipped = extract.extract(data, event.keep_gps, limits)
    return MetadataExtracted(image_id=event.image_id, metadata=metadata, skipped=skipped)


async def process(event: ImageUploaded, deps: Deps) -> MetadataExtracted | None:
    data = await originals.read(event, deps.originals, deps.images)
    if data is None:
        return None  # deleted: nothing to do
    extracted = await asyncio.to_thread(extracted_event, event, data, deps.limits)
    await asyncio.to_thread(deps.images.save_metadata, event.image_id, extracted.metadata, extracted.skipped)
    return extracted


def make_deps() -> Deps:
    return Deps(originals=ObjectStore(MinioSettings()).originals,
                images=ImageRepository(Cassandra(CassandraSettings())), limits=MetadataSettings().limits())


app = stage_app("metadata", [ImageUploaded], make_deps, process)
