"""The resize stage as ops run it (`python -m streams resize`), on the real
engines: variants through nginx, redelivery, poison, a killed worker."""

from __future__ import annotations

import io
import time

import httpx
import pytest
from PIL import Image

from connectors import records
from connectors.minio import Bucket
from connectors.settings import NginxSettings
from schemas import topics
from schemas.events import DeadLetter, ImageFailed, VariantsReady
from tests.ingest_api.conftest import events_for
from tests.streams.stages import DEADLINE_S, log_tail, publish, seed_upload, start_worker, stop

pytestmark = pytest.mark.integration


def _jpeg(width: int, height: int, orientation: int = 1) -> bytes:
    image = Image.radial_gradient("L").resize((width, height)).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "TestCam"  # Make: must not survive into variants
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def _objects(bucket: Bucket, prefix: str) -> set[tuple]:
    """Each object under `prefix` with its etag and write time: a rewrite changes them."""
    return {(key, info.etag, info.last_modified)
            for key in bucket.keys(prefix) if (info := bucket.stat(key)) is not None}


@pytest.fixture(scope="module")
def worker():
    process = start_worker("resize")
    yield process
    stop(process)


def test_variants_are_made_oriented_stripped_and_served_through_the_cache(images, store, worker):
    event = seed_upload(images, _jpeg(1600, 1200, orientation=6))  # stored sideways: upright it is 1200x1600
    publish(event)
    [value] = events_for(topics.IMAGE_VARIANTS_READY.name, event.image_id, 1, DEADLINE_S)
    ready = VariantsReady.parse(value)

    # Every rung is listed; only those up to 640 are made now, the rest on their first request.
    sizes = sorted({(v.width, v.height, v.on_demand) for v in ready.variants})
    assert sizes == [(113, 150, False), (240, 320, False), (480, 640, False), (960, 1280, True),
                     (1200, 1600, True)]
    assert {v.format for v in ready.variants} == {"jpeg", "webp"}
    assert all(v.byte_size == 0 and v.key.startswith(f"public/v/{event.image_id}/t/")
               for v in ready.variants if v.on_demand)
    assert not store.variants.keys(f"public/v/{event.image_id}/t/")  # nothing rendered ahead
    assert ready.dominant_color.startswith("#") and ready.placeholder

    record = images.get(event.image_id)
    assert record.status == records.PROCESSING  # ready is the indexing stage's call, once every stage is done
    assert sorted(v.key for v in record.variants) == sorted(v.key for v in ready.variants)

    cache = NginxSettings()
    bucket = store.variants.name
    for variant in (v for v in ready.variants if not v.on_demand):  # on demand: tests/render
        url = f"{cache.url}/{bucket}/{variant.key}"
        first, second = httpx.get(url), httpx.get(url)
        assert (first.status_code, second.status_code) == (200, 200)
        assert (first.headers["x-cache-status"], second.headers["x-cache-status"]) == ("MISS", "HIT")
        assert first.headers["content-type"] == f"image/{variant.format}"
        assert "immutable" in first.headers["cache-control"]
        image = Image.open(io.BytesIO(second.content))
        assert image.size == (variant.width, variant.height)
        assert not image.getexif(), "EXIF must be stripped from variants"


def test_redelivered_event_writes_nothing_new(images, store, worker):
    event = seed_upload(images, _jpeg(700, 500))
    publish(event)
    [first] = events_for(topics.IMAGE_VARIANTS_READY.name, event.image_id, 1, DEADLINE_S)
    prefix = f"public/v/{event.image_id}/"
    before = _objects(store.variants, prefix)

    publish(event)  # the same event again, as after a lost commit
    values = events_for(topics.IMAGE_VARIANTS_READY.name, event.image_id, 2, DEADLINE_S)
    assert len(values) == 2
    assert VariantsReady.parse(values[1]).variants == VariantsReady.parse(first).variants
    after = _objects(store.variants, prefix)
    assert after == before  # not one object rewritten


def test_poison_goes_to_dead_letters_and_the_worker_keeps_going(images, worker):
    whole = _jpeg(800, 600)
    bad = seed_upload(images, whole[: len(whole) // 3])  # the header is fine, the pixels end early
    good = seed_upload(images, _jpeg(640, 480))
    publish(bad, good)

    [letter] = events_for(topics.dead_letter("resize").name, bad.image_id, 1, DEADLINE_S)
    letter = DeadLetter.model_validate_json(letter)
    assert letter.stage == "resize" and letter.code == "truncated"
    assert letter.source_topic == topics.IMAGE_UPLOADED.name and letter.offset >= 0
    [failed] = events_for(topics.IMAGE_FAILED.name, bad.image_id, 1, DEADLINE_S)
    assert ImageFailed.parse(failed).code == "truncated"
    record = images.get(bad.image_id)
    assert (record.status, record.failure_code) == (records.FAILED, "truncated")
    assert record.reason

    assert events_for(topics.IMAGE_VARIANTS_READY.name, good.image_id, 1, DEADLINE_S)
    assert worker.poll() is None, "the worker must still be running"


def test_a_worker_killed_mid_batch_loses_no_image(images, worker):
    # Last in this module: the shared worker leaves the group cleanly first, so
    # the victim alone holds the partitions (a paused member would keep them
    # until the broker gives up on it).
    stop(worker)
    events = [seed_upload(images, _jpeg(1400 + i, 1000)) for i in range(6)]
    victim = start_worker("resize")
    publish(*events)
    ids = {e.image_id for e in events}
    assert events_for(topics.IMAGE_VARIANTS_READY.name, ids, 1, DEADLINE_S), log_tail(victim)
    victim.kill()  # SIGKILL: no clean shutdown, no final commit
    victim.wait(30)
    survivor = start_worker("resize")
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if all(images.get(i).variants for i in ids):
                break
            time.sleep(1)
        assert {i: bool(images.get(i).variants) for i in ids} == dict.fromkeys(ids, True), \
            log_tail(survivor)
    finally:
        stop(survivor)
