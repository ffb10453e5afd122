"""Uploads through the real app against the real engines: what is stored,
recorded and published, and that a refused file leaves nothing anywhere."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from datetime import timedelta

import pytest
from ingest_api import ingest

from schemas import topics
from schemas.events import ImageUploaded, Variant
from tests.ingest_api import samples
from tests.ingest_api.conftest import KEYS, bearer, events_for, upload

pytestmark = pytest.mark.integration


def _keys(state, prefix: str) -> list[str]:
    return state.store.originals.keys(prefix)


def test_upload_is_stored_recorded_and_announced(client, state):
    data = samples.noisy_jpeg((640, 480), seed=1)
    response = upload(client, "alice", data, title="Harbour", tags="sea, boat,sea", visibility="unlisted")
    assert response.status_code == 202, response.text
    body = response.json()
    assert body == {"id": body["id"], "status": "processing", "status_url": f"/v1/images/{body['id']}"}

    sha = hashlib.sha256(data).hexdigest()
    record = state.images.get(body["id"])
    assert (record.owner, record.status, record.sha256, record.visibility) == (
        "alice", "processing", sha, "unlisted")
    assert (record.mime_type, record.width, record.height, record.byte_size) == (
        "image/jpeg", 640, 480, len(data))
    assert (record.title, record.tags, record.keep_gps) == ("Harbour", ["sea", "boat"], False)

    stored = state.store.originals.get(f"originals/alice/{sha}")
    assert hashlib.sha256(stored).hexdigest() == sha
    stat = state.store.originals.stat(f"originals/alice/{sha}")
    assert stat.content_type == "image/jpeg"
    assert _keys(state, "staging/") == []

    [value] = events_for(topics.IMAGE_UPLOADED.name, body["id"])
    event = ImageUploaded.parse(value)
    assert (event.owner, event.sha256, event.original_key, event.mime_type) == (
        "alice", sha, f"originals/alice/{sha}", "image/jpeg")
    assert (event.width, event.height, event.byte_size, event.visibility) == (640, 480, len(data), "unlisted")


def test_same_bytes_same_owner_is_the_same_image(client):
    data = samples.noisy_jpeg(seed=2)
    first = upload(client, "alice", data, filename="one.jpg")
    again = upload(client, "alice", data, filename="renamed.jpeg")
    assert first.status_code == 202 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["duplicate"] is True
    other = upload(client, "bob", data)  # dedup is per owner
    assert other.status_code == 202 and other.json()["id"] != first.json()["id"]


@pytest.mark.parametrize(("data", "filename", "ctype", "mime"), [
    (samples.encoded("PNG", color=(1, 2, 3)), "picture.jpg", "image/jpeg", "image/png"),
    (samples.animated_gif(3), "animation.jpg", "image/jpeg", "image/gif"),
    (samples.encoded("WEBP", color=(4, 5, 6)), "noext", "application/octet-stream", "image/webp"),
    (samples.encoded("HEIF", color=(7, 8, 9)), "photo.png", "image/png", "image/heic"),
    (samples.encoded("AVIF", color=(10, 11, 12)), "photo.gif", "text/plain", "image/avif"),
], ids=["png-named-jpg", "gif-named-jpg", "webp-no-ext", "heic-named-png", "avif-as-text"])
def test_the_format_comes_from_the_bytes_not_the_name_or_type(client, state, data, filename, ctype,
                                                              mime):
    response = upload(client, "alice", data, filename=filename, content_type=ctype)
    assert response.status_code == 202, response.text
    assert state.images.get(response.json()["id"]).mime_type == mime


def test_a_big_file_streams_through_staging_in_parts(client, state):
    # A JPEG whose header is fine and whose data is not is accepted here:
    # the resize stage refuses it later through its dead-letter topic.
    data = samples.noisy_jpeg(seed=3) + os.urandom(12 * 1024 * 1024)
    response = upload(client, "alice", data)
    assert response.status_code == 202, response.text
    record = state.images.get(response.json()["id"])
    assert record.byte_size == len(data)
    stat = state.store.originals.stat(record.original_key)
    assert stat.size == len(data)
    stored = state.store.originals.get(record.original_key)
    assert hashlib.sha256(stored).hexdigest() == record.sha256 == hashlib.sha256(data).hexdigest()
    assert _keys(state, "staging/") == []


def test_a_long_animation_is_counted_beyond_the_in_memory_head(client, state):
    data = samples.animated_gif(40, size=(160, 160), noise=True)
    assert len(data) > 2 * ingest.HEAD_BYTES  # the frame count needs ranged reads from staging
    response = upload(client, "alice", data, filename="long.gif")
    assert response.status_code == 202, response.text
    assert state.images.get(response.json()["id"]).frames == 40


REFUSED = [
    ("empty", b"", 400, "empty_file"),
    ("text", b"hello, I am a text file pretending to be a photo\n" * 50, 415, "unsupported_format"),
    ("png-bomb", samples.png_header_only(100_000, 100_000), 422, "too_many_pixels"),
    ("gif-bomb", samples.gif_header_only(12_000, 10_000), 422, "too_many_pixels"),
    ("frames", samples.animated_gif(6), 422, "too_many_frames"),
    ("too-large", samples.noisy_jpeg((500, 400), seed=4), 413, "too_large"),
    ("corrupt", b"\x89PNG\r\n\x1a\n" + b"\0\0\0\x0dIHDR" + b"nope" * 40, 422, "corrupt_image"),
]


@pytest.mark.parametrize(("name", "data", "status", "code"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_refused_file_leaves_nothing_anywhere(client, state, monkeypatch, name, data, status, code):
    monkeypatch.setattr(state.settings, "max_file_bytes", 20_000)
    monkeypatch.setattr(state.limits, "max_frames", 5)
    response = upload(client, "carol", data, filename=f"{name}.jpg")
    assert (response.status_code, response.json()["error"]["code"]) == (status, code), response.text
    assert _keys(state, "staging/") == []
    assert _keys(state, "originals/carol/") == []
    assert state.images.list_by_owner("carol", None, 10) == ([], None)


def test_a_batch_reports_each_file_and_one_bad_file_sinks_nothing(client, state):
    good = samples.noisy_jpeg(seed=5)
    files = [("files", ("good.jpg", good, "image/jpeg")),
             ("files", ("notes.jpg", b"plain text " * 40, "image/jpeg")),
             ("files", ("empty.png", b"", "image/png")),
             ("files", ("png.gif", samples.encoded("PNG", color=(9, 9, 9)), "image/gif")),
             ("files", ("again.jpg", good, "image/jpeg"))]
    response = client.post("/v1/images/batch", headers=bearer(KEYS["bob"]), files=files,
                           data={"visibility": "private", "tags": "batch"})
    assert response.status_code == 200, response.text
    body = response.json()
    results = [(f["filename"], f["status"], (f.get("error") or {}).get("code")) for f in body["files"]]
    assert results == [("good.jpg", "accepted", None), ("notes.jpg", "rejected", "unsupported_format"),
                       ("empty.png", "rejected", "empty_file"), ("png.gif", "accepted", None),
                       ("again.jpg", "duplicate", None)]
    assert (body["accepted"], body["duplicate"], body["rejected"]) == (2, 1, 2)
    files_out = body["files"]
    assert files_out[0]["id"] == files_out[4]["id"]
    for result in (files_out[0], files_out[3]):
        record = state.images.get(result["id"])
        assert (record.owner, record.visibility, record.tags) == ("bob", "private", ["batch"])
    assert _keys(state, "staging/") == []


def _mark_when_recorded(state, owner: str, since: set[str], outcome: str) -> threading.Thread:
    """Stands in for the resize worker, built separately (the lead's end-to-end
    test covers the real one): waits until a new record of `owner` appears,
    then stores made-up variants (as resize does), or marks it failed."""

    def run() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            found, _ = state.images.list_by_owner(owner, None, 50)
            new = [r for r in found if r.id not in since]
            if new:
                if outcome == "ready":
                    variants = [Variant(width=w, height=w * 3 // 4, format="jpeg", key=f"public/t/{w}.jpg",
                                        byte_size=w) for w in (320, 150)]
                    state.images.set_variants(new[0].id, variants, "PH", "#abcdef", new[0].placement)
                else:
                    state.images.set_failed(new[0].id, "truncated", "the data ends early")
                return
            time.sleep(0.1)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _ids_of(state, owner: str) -> set[str]:
    return {r.id for r in state.images.list_by_owner(owner, None, 200)[0]}


def test_wait_true_answers_201_once_the_variants_exist(client, state):
    worker = _mark_when_recorded(state, "dev", _ids_of(state, "dev"), "ready")
    response = client.post("/v1/images", params={"wait": "true"}, headers=_dev(state),
                           files={"file": ("w.jpg", samples.noisy_jpeg(seed=6), "image/jpeg")})
    worker.join(5)
    assert response.status_code == 201, response.text
    body = response.json()
    # Variants are there; `ready` waits for metadata and tags too (the indexing stage's call).
    assert body["status"] == "processing" and [v["width"] for v in body["variants"]] == [150, 320]
    nginx = state.delivery.public_url
    bucket = state.store.variants.name
    assert body["srcset"] == f"{nginx}/{bucket}/public/t/150.jpg 150w, {nginx}/{bucket}/public/t/320.jpg 320w"
    assert (body["placeholder"], body["dominant_color"]) == ("PH", "#abcdef")


def test_wait_true_reports_a_failure_with_the_stage_code(client, state):
    worker = _mark_when_recorded(state, "dev", _ids_of(state, "dev"), "failed")
    response = client.post("/v1/images", params={"wait": "true"}, headers=_dev(state),
                           files={"file": ("f.jpg", samples.noisy_jpeg(seed=7), "image/jpeg")})
    worker.join(5)
    assert (response.status_code, response.json()["error"]["code"]) == (422, "truncated")


def test_wait_true_times_out_into_a_202(client, state, monkeypatch):
    monkeypatch.setattr(state.settings, "wait_timeout_s", 0.5)
    response = client.post("/v1/images", params={"wait": "true"}, headers=_dev(state),
                           files={"file": ("t.jpg", samples.noisy_jpeg(seed=8), "image/jpeg")})
    assert response.status_code == 202 and response.json()["status"] == "processing"


def _dev(state) -> dict[str, str]:
    return bearer(os.environ["DARKROOM_API_DEV_API_KEY"])  # the bootstrap made it the user dev's key


def test_sweep_removes_only_stale_staging_objects(state):
    originals = state.store.originals
    originals.put("staging/left-behind", b"x", "application/octet-stream")
    max_age = timedelta(seconds=state.settings.staging_max_age_s)
    assert ingest.sweep_staging(originals=originals, older_than=max_age) == []  # younger than that
    assert ingest.sweep_staging(originals=originals, older_than=timedelta(0)) == ["staging/left-behind"]
    assert _keys(state, "staging/") == []


def test_a_claim_without_a_record_is_in_progress_until_it_is_stale(client, state, monkeypatch):
    data = samples.noisy_jpeg(seed=9)
    sha = hashlib.sha256(data).hexdigest()
    # As if another upload of these bytes had claimed them and not yet recorded (or crashed).
    assert state.images.claim_hash("alice", sha, "01J00000000000000000000000") is None
    busy = upload(client, "alice", data)
    assert (busy.status_code, busy.json()["error"]["code"]) == (409, "upload_in_progress")
    assert _keys(state, "staging/") == []
    monkeypatch.setattr(state.settings, "stale_claim_s", 0.001)
    taken = upload(client, "alice", data)
    assert taken.status_code == 202, taken.text
    assert upload(client, "alice", data).json()["id"] == taken.json()["id"]
