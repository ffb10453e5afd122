"""The resize stage as ops run it (`python -m streams resize`), on the real
engines: variants through nginx, redelivery, poison, a killed worker."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import time
import uuid

import httpx
import pytest
from PIL import Image

from connectors import cassandra, kafka, minio, records
from connectors.settings import CassandraSettings, KafkaSettings, MinioSettings, NginxSettings
from schemas import topics
from schemas.events import DeadLetter, ImageFailed, ImageUploaded, VariantsReady

pytestmark = pytest.mark.integration


def _jpeg(width: int, height: int, orientation: int = 1) -> bytes:
    image = Image.radial_gradient("L").resize((width, height)).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "TestCam"  # Make: must not survive into variants
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


@pytest.fixture(scope="module")
def db():
    settings = CassandraSettings()
    session = cassandra.connect(settings, settings.keyspace)
    yield session
    session.cluster.shutdown()


def _start_worker() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "streams", "resize"], env={**os.environ},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


@pytest.fixture(scope="module")
def worker():
    process = _start_worker()
    yield process
    process.terminate()
    process.wait(30)


def _seed(db, data: bytes, visibility: str = "public") -> ImageUploaded:
    """What the API does before it publishes: original stored, record written."""
    settings = MinioSettings()
    digest = hashlib.sha256(data).hexdigest()
    image_id = uuid.uuid4().hex
    key = f"originals/test/{digest}-{image_id}"
    minio.client(settings).put_object(settings.originals_bucket, key, io.BytesIO(data), len(data))
    record = records.ImageRecord(id=image_id, owner="test", sha256=digest, original_key=key,
                                 mime_type="image/jpeg", byte_size=len(data), width=1, height=1,
                                 visibility=visibility)
    records.create(db, record)
    return ImageUploaded(image_id=image_id, owner="test", sha256=digest, original_key=key,
                         mime_type="image/jpeg", byte_size=len(data), width=1, height=1,
                         visibility=visibility)


def _publish(*events: ImageUploaded) -> None:
    producer = kafka.producer(KafkaSettings())
    for event in events:
        producer.produce(topics.IMAGE_UPLOADED.name, key=event.key(), value=event.value())
    assert producer.flush(15) == 0


def _collect(topic: topics.Topic, image_ids: set[str], count: int, timeout_s: float = 180) -> list[bytes]:
    """Values of `topic` keyed by one of `image_ids`, until `count` are seen."""
    consumer = kafka.consumer(KafkaSettings(), group=f"test-{uuid.uuid4().hex[:8]}")
    consumer.subscribe([topic.name])
    found: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(found) < count and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message and not message.error() and message.key().decode() in image_ids:
                found.append(message.value())
    finally:
        consumer.close()
    return found


def test_variants_are_made_oriented_stripped_and_served_through_the_cache(db, worker):
    event = _seed(db, _jpeg(1600, 1200, orientation=6))  # stored sideways: upright it is 1200x1600
    _publish(event)
    [value] = _collect(topics.IMAGE_VARIANTS_READY, {event.image_id}, 1)
    ready = VariantsReady.parse(value)

    sizes = sorted({(v.width, v.height) for v in ready.variants})
    assert sizes == [(113, 150), (240, 320), (480, 640), (960, 1280), (1200, 1600)]
    assert {v.format for v in ready.variants} == {"jpeg", "webp"}
    assert ready.dominant_color.startswith("#") and ready.placeholder

    record = records.get(db, event.image_id)
    assert record.status == records.READY
    assert sorted(v.key for v in record.variants) == sorted(v.key for v in ready.variants)

    cache = NginxSettings()
    bucket = MinioSettings().variants_bucket
    for variant in ready.variants:
        url = f"{cache.url}/{bucket}/{variant.key}"
        first, second = httpx.get(url), httpx.get(url)
        assert (first.status_code, second.status_code) == (200, 200)
        assert (first.headers["x-cache-status"], second.headers["x-cache-status"]) == ("MISS", "HIT")
        assert first.headers["content-type"] == f"image/{variant.format}"
        assert "immutable" in first.headers["cache-control"]
        image = Image.open(io.BytesIO(second.content))
        assert image.size == (variant.width, variant.height)
        assert not image.getexif(), "EXIF must be stripped from variants"


def test_redelivered_event_writes_nothing_new(db, worker):
    event = _seed(db, _jpeg(700, 500))
    _publish(event)
    [first] = _collect(topics.IMAGE_VARIANTS_READY, {event.image_id}, 1)
    settings = MinioSettings()
    store = minio.client(settings)
    prefix = f"public/v/{event.image_id}/"
    before = {(o.object_name, o.etag, o.last_modified)
              for o in store.list_objects(settings.variants_bucket, prefix=prefix, recursive=True)}

    _publish(event)  # the same event again, as after a lost commit
    values = _collect(topics.IMAGE_VARIANTS_READY, {event.image_id}, 2)
    assert len(values) == 2
    assert VariantsReady.parse(values[1]).variants == VariantsReady.parse(first).variants
    after = {(o.object_name, o.etag, o.last_modified)
             for o in store.list_objects(settings.variants_bucket, prefix=prefix, recursive=True)}
    assert after == before  # not one object rewritten


def test_poison_goes_to_dead_letters_and_the_worker_keeps_going(db, worker):
    whole = _jpeg(800, 600)
    bad = _seed(db, whole[: len(whole) // 3])  # the header is fine, the pixels end early
    good = _seed(db, _jpeg(640, 480))
    _publish(bad, good)

    [letter] = _collect(topics.DLQ_RESIZE, {bad.image_id}, 1)
    letter = DeadLetter.model_validate_json(letter)
    assert letter.stage == "resize" and letter.code == "truncated"
    assert letter.source_topic == topics.IMAGE_UPLOADED.name and letter.offset >= 0
    [failed] = _collect(topics.IMAGE_FAILED, {bad.image_id}, 1)
    assert ImageFailed.parse(failed).code == "truncated"
    record = records.get(db, bad.image_id)
    assert (record.status, record.failure_code) == (records.FAILED, "truncated")
    assert record.reason

    assert _collect(topics.IMAGE_VARIANTS_READY, {good.image_id}, 1)
    assert worker.poll() is None, "the worker must still be running"


def test_a_worker_killed_mid_batch_loses_no_image(db, worker):
    worker.send_signal(signal.SIGSTOP)  # the shared worker steps aside for this test
    try:
        events = [_seed(db, _jpeg(1400 + i, 1000)) for i in range(6)]
        victim = _start_worker()
        _publish(*events)
        ids = {e.image_id for e in events}
        assert _collect(topics.IMAGE_VARIANTS_READY, ids, 1)
        victim.kill()  # SIGKILL: no clean shutdown, no final commit
        victim.wait(30)
        survivor = _start_worker()
        try:
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline:
                if all(records.get(db, i).status == records.READY for i in ids):
                    break
                time.sleep(1)
            assert {i: records.get(db, i).status for i in ids} == dict.fromkeys(ids, records.READY)
        finally:
            survivor.terminate()
            survivor.wait(30)
    finally:
        worker.send_signal(signal.SIGCONT)
