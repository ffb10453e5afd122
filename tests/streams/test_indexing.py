"""The indexing stage as ops run it (`python -m streams indexing`), on the
real engines: events published straight to its input topics, in any order
and twice; the document it builds; readiness; deletes that stay deleted."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from connectors import kafka, records
from connectors.elasticsearch import SearchIndex
from connectors.records import ImageRecord
from connectors.settings import ElasticsearchSettings, KafkaSettings
from schemas import topics
from schemas.events import (
    DeadLetter,
    DetectedTag,
    Event,
    ImageMetadata,
    ImagePurged,
    ImageReady,
    ImageUpdated,
    ImageUploaded,
    MetadataExtracted,
    TagsDetected,
    Variant,
    VariantsReady,
)
from tests.ingest_api.conftest import events_for
from tests.streams.stages import publish, start_worker, stop

pytestmark = pytest.mark.integration

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def index(stack):
    found = SearchIndex(ElasticsearchSettings())
    yield found
    found.close()


@pytest.fixture(scope="module")
def worker():
    process = start_worker("indexing")
    yield process
    stop(process)


def _events(images, title: str = "Foggy bridge") -> list[Event]:
    """A recorded image and the events every stage would publish about it, oldest first."""
    image_id = uuid.uuid4().hex
    images.create(ImageRecord(
        id=image_id, owner="ivy", sha256=uuid.uuid4().hex, original_key="k", mime_type="image/jpeg",
        byte_size=10, width=600, height=400, title=title, tags=["bridge"]))
    at = [T0 + timedelta(seconds=s) for s in range(5)]
    return [
        ImageUploaded(image_id=image_id, occurred_at=at[0], owner="ivy", sha256="s", original_key="k",
                      mime_type="image/jpeg", byte_size=10, width=600, height=400),
        VariantsReady(image_id=image_id, occurred_at=at[1], placeholder="PH", dominant_color="#808080",
                      variants=[Variant(width=320, height=213, format="jpeg", key=f"public/v/{image_id}.jpg",
                                        byte_size=5)]),
        MetadataExtracted(image_id=image_id, occurred_at=at[2],
                          metadata=ImageMetadata(camera_make="Fujifilm", camera_model="X100V", width=600,
                                                 height=400, taken_at="2023-11-02T08:15:00")),
        TagsDetected(image_id=image_id, occurred_at=at[3], model="m1",
                     tags=[DetectedTag(tag="bridge", confidence=0.7),
                           DetectedTag(tag="fog", confidence=0.6)]),
        ImageUpdated(image_id=image_id, occurred_at=at[4], owner="ivy", title="Bridge in fog",
                     tags=["bridge", "fog"], visibility="public"),
    ]


def _doc(index: SearchIndex, image_id: str, until, timeout_s: float = 120) -> dict:
    deadline = time.monotonic() + timeout_s
    doc: dict = {}
    while time.monotonic() < deadline:
        doc, _ = index.get_versioned(image_id)
        if until(doc):
            break
        time.sleep(0.2)
    return doc


def _processed_up_to(topic: topics.Topic, image_id: str) -> None:
    """Returns once the stage has handled what was published before on `topic`
    for `image_id`: a malformed record behind them in every partition (so in
    theirs too) reaches the dead-letter topic only after them. The markers'
    keys are no image's: a malformed record keyed by an image marks it failed."""
    settings = KafkaSettings()
    partitions = kafka.admin(settings).list_topics(topic.name, timeout=10).topics[topic.name].partitions
    markers = {f"marker-{uuid.uuid4().hex}": partition for partition in partitions}
    producer = kafka.producer(settings)
    for marker, partition in markers.items():
        producer.produce(topic.name, key=marker.encode(), value=f"not json {image_id}".encode(),
                         partition=partition)
    assert producer.flush(15) == 0
    letters = events_for(topics.dead_letter("indexing").name, list(markers), len(markers), 120)
    assert [DeadLetter.model_validate_json(letter).code for letter in letters] == \
        ["malformed_event"] * len(markers)


def _comparable(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k not in ("id",)}


def test_any_order_and_redelivery_build_the_same_document(images, index, worker):
    in_order, shuffled = _events(images), _events(images)
    publish(*in_order)
    # The other image: newest first, every event twice, an older edit redelivered last.
    older_edit = shuffled[4].model_copy(update={"occurred_at": T0, "title": "Old"})
    publish(*reversed(shuffled), *shuffled, older_edit)
    every = {"uploaded", "user", "variants", "metadata", "tags"}
    first = _doc(index, in_order[0].image_id, lambda d: every <= set(d.get("at", {})))
    second = _doc(index, shuffled[0].image_id, lambda d: every <= set(d.get("at", {})))
    _processed_up_to(topics.IMAGE_UPDATED, shuffled[0].image_id)
    second = _doc(index, shuffled[0].image_id, lambda d: True)

    assert first["title"] == "Bridge in fog" and first["camera"] == "Fujifilm X100V"
    assert first["all_tags"] == ["bridge", "fog"] and first["taken_at"] == "2023-11-02T08:15:00"
    expected = {**_comparable(first), "variants": [{**first["variants"][0],
                                                    "key": f"public/v/{shuffled[0].image_id}.jpg"}]}
    assert _comparable(second) == expected


def test_ready_exactly_when_variants_metadata_and_tags_are_in(images, index, worker):
    uploaded, variants, metadata, tags, _ = _events(images)
    image_id = uploaded.image_id
    publish(uploaded, variants, metadata)
    _doc(index, image_id, lambda d: "metadata" in d.get("at", {}) and "variants" in d.get("at", {}))
    _processed_up_to(topics.IMAGE_METADATA_EXTRACTED, image_id)
    assert images.get(image_id).status == records.PROCESSING
    assert events_for(topics.IMAGE_READY.name, image_id, 1, 5) == []  # two of three sections: not yet

    publish(tags)
    [ready] = events_for(topics.IMAGE_READY.name, image_id, 1, 120)
    assert ImageReady.parse(ready).owner == "ivy"
    deadline = time.monotonic() + 30
    while images.get(image_id).status != records.READY and time.monotonic() < deadline:
        time.sleep(0.2)
    assert images.get(image_id).status == records.READY

    publish(tags, variants)  # redelivered: the image is ready already, nothing more to announce
    _processed_up_to(topics.IMAGE_VARIANTS_READY, image_id)
    assert len(events_for(topics.IMAGE_READY.name, image_id, 2, 5)) == 1


def test_a_crash_between_publishing_and_marking_ready_republishes(cassandra, images, index, worker):
    """The document is complete but the record still says processing (the
    worker died after publishing ImageReady): a redelivery announces it again."""
    events = _events(images)
    image_id = events[0].image_id
    publish(*events)
    [_] = events_for(topics.IMAGE_READY.name, image_id, 1, 120)
    cassandra.execute("UPDATE images SET status = 'processing' WHERE id = ?", (image_id,))
    publish(events[3])
    assert len(events_for(topics.IMAGE_READY.name, image_id, 2, 120)) == 2


def test_a_purged_image_stays_purged(images, index, worker):
    events = _events(images)
    image_id = events[0].image_id
    publish(*events)
    _doc(index, image_id, lambda d: "user" in d.get("at", {}))
    publish(ImagePurged(image_id=image_id, owner="ivy", reason="requested",
                        occurred_at=T0 + timedelta(minutes=1)))
    tombstone = _doc(index, image_id, lambda d: "purged" in d.get("at", {}))
    assert set(tombstone) == {"id", "owner", "at"}

    publish(events[0], events[4])  # older events, redelivered after the delete
    _processed_up_to(topics.IMAGE_UPDATED, image_id)
    _processed_up_to(topics.IMAGE_UPLOADED, image_id)
    assert _doc(index, image_id, lambda d: True) == tombstone
    assert worker.poll() is None
