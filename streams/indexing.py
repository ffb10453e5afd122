"""The indexing stage: one search document per image, and the readiness rule.

Input: every event that owns a section of the document (documents.SECTIONS:
`darkroom.image.uploaded`, `.variants.ready`, `.metadata.extracted`,
`.tags.detected`, `.updated`, `.deleted`, `.restored` and `.purged`), consumer group
`darkroom-indexing`, in whatever order they arrive. Output: the image's
document in Elasticsearch (streams.documents assembles it) and, once the
variants, metadata and tags sections are all there, `darkroom.image.ready`
(ImageReady) with the record's status set to `ready`.
On failure: a document Elasticsearch refuses goes to `darkroom.dlq.indexing`
(poison); an engine that is briefly away is retried with backoff (runner.py).

Writes are read-merge-write with optimistic concurrency (the stored
document's seq_no): a concurrent writer makes us read again, never lose its
section. Readiness publishes ImageReady *before* setting the status, so a
crash in between republishes it on redelivery and never loses it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from connectors import elasticsearch
from connectors.cassandra import Cassandra
from connectors.elasticsearch import SearchIndex
from connectors.records import PROCESSING, ImageRepository
from connectors.settings import CassandraSettings, ElasticsearchSettings
from schemas.events import Event, ImageReady, ImageUploaded
from streams import documents
from streams.errors import Poison
from streams.runner import derived_id, stage_app

log = logging.getLogger(__name__)

CONFLICT_RETRIES = 10  # concurrent writers of one image are few; more means something is wrong


@dataclass
class Deps:
    index: SearchIndex
    images: ImageRepository
    publish: Callable[[Event], Awaitable[None]]  # returns once Kafka has the event


def _user_section(event: ImageUploaded, images: ImageRepository) -> dict | None:
    """The upload form's text lives in the record, not in the event."""
    record = images.get(event.image_id)
    if record is None:
        return None
    return documents.user_fields(record.owner, record.visibility, record.title, record.description,
                                 record.tags, record.org)


def write(deps: Deps, event: Event, user: dict | None = None) -> dict:
    """Fold the event's section into the stored document; returns the
    document as it now stands (unchanged when the event was old news)."""
    name, fields = documents.section(event, user)
    for _ in range(CONFLICT_RETRIES):
        doc, version = deps.index.get_versioned(event.image_id)
        new = documents.merge(doc, event.image_id, name, fields, event.occurred_at)
        if new is None:
            return doc
        try:
            deps.index.put_versioned(event.image_id, new, version)
            return new
        except elasticsearch.Conflict:
            continue
        except elasticsearch.Refused as exc:
            raise Poison("unindexable", str(exc)) from exc
    raise RuntimeError(f"{event.image_id}: {CONFLICT_RETRIES} write conflicts in a row")


async def ready_if_complete(deps: Deps, image_id: str, doc: dict) -> bool:
    """Publish ImageReady and mark the record ready when every section is
    in and the record is still processing. True if it did."""
    if not documents.is_complete(doc):
        return False
    record = await asyncio.to_thread(deps.images.get, image_id)
    if record is None or record.status != PROCESSING:
        return False  # deleted, failed, or already ready: nothing to announce
    # One ready per image, whichever event completed it: a redelivery repeats the id.
    await deps.publish(ImageReady(event_id=derived_id("indexing", "ready", image_id), image_id=image_id,
                                  owner=record.owner))
    await asyncio.to_thread(deps.images.mark_ready, image_id)
    log.info("ready image_id=%s", image_id)
    return True


async def process(event: Event, deps: Deps) -> None:
    user = None
    if isinstance(event, ImageUploaded):
        user = await asyncio.to_thread(_user_section, event, deps.images)
        if user is None:
            return None  # purged before we got to it: its purge event tombstones it
    doc = await asyncio.to_thread(write, deps, event, user)
    # Checked even when the write changed nothing: a redelivery after a crash
    # between publishing and marking ready must finish the job.
    await ready_if_complete(deps, event.image_id, doc)
    return None


async def _publish_now(event: Event) -> None:
    # force: not attached to the record being processed (faust would send it only at the ack).
    sent = await app.topic(event.TOPIC.name).send(key=event.key(), value=event.value(), force=True)
    await sent


def make_deps() -> Deps:
    return Deps(index=SearchIndex(ElasticsearchSettings()),
                images=ImageRepository(Cassandra(CassandraSettings())), publish=_publish_now)


app = stage_app("indexing", tuple(documents.SECTIONS), make_deps, process)
