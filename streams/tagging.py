"""The tagging stage: what is in the picture, by an image classifier.

Input: `darkroom.image.variants.ready` (VariantsReady), consumer group
`darkroom-tagging`. Output: `darkroom.image.tags.detected` (TagsDetected):
the model's labels above the confidence threshold and the readable tags they
map to, each with its source and confidence, apart from the uploader's tags.
On failure: a variant that cannot be decoded goes to `darkroom.dlq.tagging`,
the record becomes `failed` and `darkroom.image.failed` is published; MinIO briefly away is retried with
backoff (runner.py). A variant already gone (the image was deleted) is skipped.

It classifies a variant the resize stage made, not the original: the smallest
one whose short side is at least the model's 224 px (the 320 px JPEG), so it
reads a few kilobytes. The model is deterministic, so a redelivered event
publishes the same tags.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from connectors.cassandra import Cassandra
from connectors.minio import Bucket, ObjectStore
from connectors.records import ImageRepository
from connectors.settings import CassandraSettings, MinioSettings
from schemas.events import DetectedTag, TagsDetected, Variant, VariantsReady
from streams.classify import MODEL_NAME, Classifier, TaggingSettings, UndecodableVariant
from streams.classify.model import INPUT_SIZE
from streams.errors import Poison
from streams.runner import stage_app

log = logging.getLogger(__name__)


@dataclass
class Deps:
    """Just what this stage talks to."""

    variants: Bucket
    images: ImageRepository  # for the runner: poison marks the image failed
    classifier: Classifier
    options: TaggingSettings
    pool: ThreadPoolExecutor  # one thread: inference is CPU-bound and onnxruntime releases the GIL


def pick_variant(variants: list[Variant]) -> Variant | None:
    """The smallest variant that still fills the model's input; the largest when none does.
    JPEG first: every ladder has it and it decodes fastest. Rungs rendered on demand
    are not there yet (and are larger than the ones made at upload anyway)."""
    variants = [v for v in variants if not v.on_demand]
    if not variants:
        return None
    jpegs = [v for v in variants if v.format == "jpeg"] or list(variants)
    big_enough = [v for v in jpegs if min(v.width, v.height) >= INPUT_SIZE]
    if big_enough:
        return min(big_enough, key=lambda v: v.width * v.height)
    return max(jpegs, key=lambda v: v.width * v.height)


async def process(event: VariantsReady, deps: Deps) -> TagsDetected | None:
    # The record's keys, not the event's: a visibility change since may have moved the objects.
    record = await asyncio.to_thread(deps.images.get, event.image_id)
    if record is None:
        log.info("tagging: %s is gone, skipping", event.image_id)
        return None
    variant = pick_variant(record.variants or event.variants)
    if variant is None:
        raise Poison("no_variant", "the event lists no variant to classify")
    data = await asyncio.to_thread(deps.variants.get_if_present, variant.key)
    if data is None:
        log.info("tagging: %s is gone (image deleted?), skipping %s", variant.key, event.image_id)
        return None
    loop = asyncio.get_running_loop()
    try:
        labels, tags = await loop.run_in_executor(
            deps.pool, deps.classifier.classify, data, deps.options.min_confidence, deps.options.max_labels)
    except UndecodableVariant as exc:
        raise Poison(exc.code, str(exc)) from exc
    return TagsDetected(
        image_id=event.image_id, model=MODEL_NAME,
        tags=[DetectedTag(tag=t.tag, confidence=t.confidence, source=MODEL_NAME) for t in tags],
        labels=[DetectedTag(tag=label.name, confidence=label.confidence, source=MODEL_NAME)
                for label in labels],
    )


def make_deps() -> Deps:
    """Loads the model: a moment, so in the worker, not at import."""
    own = TaggingSettings()
    return Deps(variants=ObjectStore(MinioSettings()).variants,
                images=ImageRepository(Cassandra(CassandraSettings())),
                classifier=Classifier(own.model_path, own.threads), options=own,
                pool=ThreadPoolExecutor(max_workers=1, thread_name_prefix="classify"))


app = stage_app("tagging", [VariantsReady], make_deps, process)
