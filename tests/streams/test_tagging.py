"""The tagging stage as ops run it (`python -m streams tagging`), on the real
engines: a real variant in MinIO, tags on Kafka, redelivery, poison."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image
from skimage import data as samples

from connectors.minio import ObjectStore
from connectors.records import ImageRepository
from schemas import topics
from schemas.events import DeadLetter, ImageFailed, TagsDetected, Variant, VariantsReady
from tests.ingest_api.conftest import events_for
from tests.streams.stages import DEADLINE_S, log_tail, publish, seed_upload, start_worker, stop

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def worker():
    process = start_worker("tagging")
    yield process
    stop(process)


def _jpeg(pixels, size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).resize(size).save(out, "JPEG", quality=85)
    return out.getvalue()


def _seed(images: ImageRepository, store: ObjectStore, *variants: tuple[int, int, bytes]) -> VariantsReady:
    """What the resize stage leaves behind: the upload's record (poison marks
    it failed), variants in the bucket, then the event."""
    width, height, largest = variants[-1]
    image_id = seed_upload(images, largest, size=(width, height)).image_id
    listed = []
    for width, height, data in variants:
        key = f"public/v/{image_id}/{uuid.uuid4().hex}-{width}.jpg"
        store.variants.put(key, data, "image/jpeg")
        listed.append(Variant(width=width, height=height, format="jpeg", key=key, byte_size=len(data)))
    return VariantsReady(image_id=image_id, variants=listed, placeholder="x", dominant_color="#808080")


def test_a_cat_is_tagged_from_its_variant_and_a_redelivery_says_the_same(images, store, worker):
    # The small variant is noise: tagging must read the 320 px one, which is the cat.
    noise = Image.effect_noise((150, 113), 64).convert("RGB")
    small = io.BytesIO()
    noise.save(small, "JPEG")
    event = _seed(images, store, (150, 113, small.getvalue()),
                  (320, 240, _jpeg(samples.chelsea(), (320, 240))))
    publish(event)
    values = events_for(topics.IMAGE_TAGS_DETECTED.name, event.image_id, 1, DEADLINE_S)
    assert values, log_tail(worker)
    detected = TagsDetected.parse(values[0])
    assert detected.model == "efficientnet-lite0"
    by_tag = {t.tag: t for t in detected.tags}
    assert by_tag["cat"].confidence > 0.5 and by_tag["cat"].source == "efficientnet-lite0"
    assert detected.labels and detected.labels[0].tag in {"tabby", "tiger cat", "Egyptian cat"}

    publish(event)  # the same event again, as after a lost commit
    values = events_for(topics.IMAGE_TAGS_DETECTED.name, event.image_id, 2, DEADLINE_S)
    assert len(values) == 2
    again = TagsDetected.parse(values[1])
    assert (again.event_id, again.tags, again.labels) == (detected.event_id, detected.tags, detected.labels)


def test_an_unreadable_variant_is_dead_lettered_and_the_worker_keeps_going(images, store, worker):
    bad = _seed(images, store, (320, 240, b"\xff\xd8\xff\xe0 this is not a jpeg"))
    good = _seed(images, store, (320, 240, _jpeg(samples.coffee(), (320, 240))))
    publish(bad, good)

    letters = events_for(topics.dead_letter("tagging").name, bad.image_id, 1, DEADLINE_S)
    assert letters, log_tail(worker)
    letter = DeadLetter.model_validate_json(letters[0])
    assert (letter.stage, letter.code) == ("tagging", "undecodable_variant")
    assert letter.source_topic == topics.IMAGE_VARIANTS_READY.name and letter.offset >= 0
    [failed] = events_for(topics.IMAGE_FAILED.name, bad.image_id, 1, DEADLINE_S)
    assert ImageFailed.parse(failed).code == "undecodable_variant"

    [tags] = events_for(topics.IMAGE_TAGS_DETECTED.name, good.image_id, 1, DEADLINE_S)
    assert "coffee" in {t.tag for t in TagsDetected.parse(tags).tags}
    assert worker.poll() is None, "the worker must still be running"
