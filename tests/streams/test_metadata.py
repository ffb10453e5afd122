"""The metadata stage as ops run it (`python -m streams metadata`), on the
real engines: photos uploaded through the API come back, field by field,
from GET /v1/images/{id}/metadata and on darkroom.image.metadata.extracted;
GPS only with opt-in; hostile metadata, redelivery, a lost original."""

from __future__ import annotations

import time

import pytest

from schemas import topics
from schemas.events import DeadLetter, ImageFailed, ImageUploaded, MetadataExtracted
from tests.ingest_api import conftest as api
from tests.ingest_api.conftest import KEYS, bearer, events_for, upload
from tests.streams import photos
from tests.streams.photos import EXPECTED, full_exif, full_iptc, full_jpeg, photo, rational
from tests.streams.stages import DEADLINE_S, publish, seed_upload, start_worker, stop

pytestmark = pytest.mark.integration

client = api.client  # the API on the session's stack, as its own tests use it


@pytest.fixture(scope="module")
def worker(stack):
    process = start_worker("metadata")
    yield process
    stop(process)


def _upload(client, user: str, data: bytes, **fields: str) -> str:
    response = upload(client, user, data, **fields)
    assert response.status_code == 202, response.text
    return response.json()["id"]


def _metadata(client, user: str, image_id: str) -> dict:
    """The metadata once the stage has written it (409 not_ready until then)."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        response = client.get(f"/v1/images/{image_id}/metadata", headers=bearer(KEYS[user]))
        if response.status_code == 200:
            return response.json()
        assert response.status_code == 409 and response.json()["error"]["code"] == "not_ready", response.text
        time.sleep(0.3)
    raise AssertionError(f"no metadata for {image_id} after {DEADLINE_S} s")


def _skipped(body: dict) -> dict[str, str]:
    return {s["field"]: s["reason"] for s in body["skipped"]}


def test_every_field_comes_back_through_the_api_and_the_event(client, worker):
    data = full_jpeg(seed=1)
    image_id = _upload(client, "alice", data, gps="true")
    body = _metadata(client, "alice", image_id)
    facts = body["metadata"]
    for field, value in EXPECTED.items():
        assert facts[field] == value, field
    assert (facts["width"], facts["height"], facts["orientation"]) == (64, 48, 1)
    assert (facts["mime_type"], facts["byte_size"], facts["frames"]) == ("image/jpeg", len(data), 1)
    assert facts["gps"]["latitude"] == pytest.approx(photos.LATITUDE, abs=1e-6)
    assert facts["gps"]["longitude"] == pytest.approx(photos.LONGITUDE, abs=1e-6)
    assert facts["gps"]["altitude_m"] == pytest.approx(photos.ALTITUDE_M)
    assert body["skipped"] == []

    [value] = events_for(topics.IMAGE_METADATA_EXTRACTED.name, image_id, timeout_s=30)
    event = MetadataExtracted.parse(value)
    assert event.metadata.model_dump(mode="json") == facts and event.skipped == []

    # Whoever may see the image may read its metadata, but the location only those who may edit it;
    # a private image's does not exist for others.
    without_location = {**body, "metadata": {**facts, "gps": None}}
    theirs = client.get(f"/v1/images/{image_id}/metadata", headers=bearer(KEYS["bob"]))
    assert theirs.json() == without_location
    assert client.get(f"/v1/images/{image_id}/metadata").json() == without_location  # anonymous: public
    private = _upload(client, "alice", full_jpeg(seed=2), visibility="private")
    _metadata(client, "alice", private)
    hidden = client.get(f"/v1/images/{private}/metadata", headers=bearer(KEYS["bob"]))
    assert (hidden.status_code, hidden.json()["error"]["code"]) == (404, "not_found")
    unknown = client.get("/v1/images/01J00000000000000000000000/metadata", headers=bearer(KEYS["bob"]))
    assert unknown.status_code == 404


def test_without_opt_in_the_location_is_nowhere(client, images, worker):
    image_id = _upload(client, "bob", full_jpeg(seed=1))  # the same photo, no gps=true
    body = _metadata(client, "bob", image_id)
    assert body["metadata"]["gps"] is None and body["skipped"] == []
    assert body["metadata"]["camera_make"] == EXPECTED["camera_make"]
    [value] = events_for(topics.IMAGE_METADATA_EXTRACTED.name, image_id, timeout_s=30)
    assert b"latitude" not in value
    assert images.get_metadata(image_id).metadata.gps is None


def test_orientations_give_upright_sizes(client, worker):
    ids = {o: _upload(client, "alice", full_jpeg(o, size=(80, 60), seed=10 + o)) for o in range(1, 9)}
    for orientation, image_id in ids.items():
        facts = _metadata(client, "alice", image_id)["metadata"]
        upright = (60, 80) if orientation >= 5 else (80, 60)
        assert (facts["orientation"], facts["width"], facts["height"]) == (orientation, *upright)


def test_heic(client, worker):
    data = photo("HEIF", exif=full_exif(), seed=3)
    image_id = _upload(client, "alice", data, filename="p.heic", gps="true")
    facts = _metadata(client, "alice", image_id)["metadata"]
    assert (facts["mime_type"], facts["byte_size"]) == ("image/heic", len(data))
    assert (facts["camera_model"], facts["iso"], facts["taken_at"]) == ("X-T5", 400, EXPECTED["taken_at"])
    assert facts["icc_profile"] == EXPECTED["icc_profile"]
    assert facts["gps"]["latitude"] == pytest.approx(photos.LATITUDE, abs=1e-6)


def test_hostile_metadata_is_skipped_and_the_stage_keeps_going(client, worker):
    exif = full_exif()
    ifd = exif.get_ifd(photos.EXIF_IFD)
    ifd[photos.ISO], ifd[photos.EXPOSURE], ifd[photos.TAKEN] = -5, rational(10**9), "0000:00:00 00:00:00"
    exif.get_ifd(photos.GPS_IFD)[photos.LAT] = (rational(200), rational(0), rational(0))
    hostile = photo(exif=exif, iptc=full_iptc(caption="word " * 6_000), seed=4)
    cut = photos.with_segments(photo(seed=5), photos.app1(full_exif().tobytes()[:60]))

    hostile_id = _upload(client, "alice", hostile, gps="true")
    cut_id = _upload(client, "alice", cut)
    after_id = _upload(client, "alice", full_jpeg(seed=6))

    body = _metadata(client, "alice", hostile_id)
    assert set(_skipped(body)) == {"iso", "exposure_time_s", "taken_at", "gps", "caption"}
    facts = body["metadata"]
    assert [facts[f] for f in ("iso", "exposure_time_s", "taken_at", "gps", "caption")] == [None] * 5
    assert (facts["camera_make"], facts["keywords"], facts["width"]) == ("Fujifilm", EXPECTED["keywords"], 64)
    [value] = events_for(topics.IMAGE_METADATA_EXTRACTED.name, hostile_id, timeout_s=30)
    assert {s.field for s in MetadataExtracted.parse(value).skipped} == set(_skipped(body))

    cut_body = _metadata(client, "alice", cut_id)
    assert cut_body["skipped"] and all("cut short" in r for r in _skipped(cut_body).values())
    assert _metadata(client, "alice", after_id)["metadata"]["camera_make"] == "Fujifilm"
    assert worker.poll() is None, "the worker must still be running"


def test_a_redelivered_event_rewrites_the_same_row_and_republishes_the_same_facts(client, worker):
    image_id = _upload(client, "alice", full_jpeg(seed=7), gps="true")
    first = _metadata(client, "alice", image_id)
    [uploaded] = events_for(topics.IMAGE_UPLOADED.name, image_id, timeout_s=30)
    publish(ImageUploaded.parse(uploaded))  # as after a lost commit

    values = events_for(topics.IMAGE_METADATA_EXTRACTED.name, image_id, count=2, timeout_s=DEADLINE_S)
    assert len(values) == 2
    one, two = (MetadataExtracted.parse(v) for v in values)
    assert (one.event_id, one.metadata, one.skipped) == (two.event_id, two.metadata, two.skipped)
    again = _metadata(client, "alice", image_id)
    assert (again["metadata"], again["skipped"]) == (first["metadata"], first["skipped"])
    assert again["extracted_at"] >= first["extracted_at"]


def test_bytes_that_are_no_image_still_publish_what_is_known(images, worker):
    event = seed_upload(images, b"these bytes are no image at all" * 4)
    publish(event)
    [value] = events_for(topics.IMAGE_METADATA_EXTRACTED.name, event.image_id, timeout_s=DEADLINE_S)
    extracted = MetadataExtracted.parse(value)
    assert (extracted.metadata.byte_size, extracted.metadata.mime_type) == (event.byte_size, None)
    assert [s.field for s in extracted.skipped] == ["image"]


def test_a_lost_original_is_dead_lettered(images, worker):
    event = seed_upload(images, None)
    publish(event)
    [letter] = events_for(topics.dead_letter("metadata").name, event.image_id, timeout_s=DEADLINE_S)
    letter = DeadLetter.model_validate_json(letter)
    assert (letter.stage, letter.code) == ("metadata", "original_missing")
    [failed] = events_for(topics.IMAGE_FAILED.name, event.image_id, timeout_s=30)
    assert ImageFailed.parse(failed).stage == "metadata"
    assert images.get(event.image_id).failure_code == "original_missing"
    assert images.get_metadata(event.image_id) is None
    assert worker.poll() is None
