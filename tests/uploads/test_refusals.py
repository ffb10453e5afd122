"""Bad input at every door (POST /v1/images, tus, presigned PUT): a clear
error with the API's body and status, and nothing left behind in MinIO,
Cassandra or Kafka."""

from __future__ import annotations

import base64
import contextlib
import json
import uuid

import httpx
import pytest
from ingest_api import ingest

from connectors import kafka
from connectors.settings import KafkaSettings
from schemas import topics
from tests.ingest_api import samples
from tests.uploads import photos
from tests.uploads.conftest import new_user, nothing_under, sha256, wait_for

pytestmark = pytest.mark.integration

MB = 1024 * 1024
TUS = {"Tus-Resumable": "1.0.0"}
JPEG = samples.noisy_jpeg((64, 48), seed=41)
WRONG_KEY = {"Authorization": "Bearer dk_live_nobody_knows_this_key"}


def _meta(**fields: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in fields.items())


def via_tus(api, tusd, headers, size: int, mime: str, data: bytes | None = None) -> httpx.Response:
    return httpx.post(f"{tusd}/files/", timeout=30, headers={
        **TUS, **headers, "Upload-Length": str(size), "Upload-Metadata": _meta(filetype=mime)})


def via_direct(api, tusd, headers, size: int, mime: str, data: bytes | None = None) -> httpx.Response:
    return httpx.post(f"{api.url}/v1/uploads", headers=headers, json={"size": size, "type": mime}, timeout=30)


def via_post(api, tusd, headers, size: int, mime: str, data: bytes | None = None) -> httpx.Response:
    body = data if data is not None else (JPEG if size else b"")
    return httpx.post(f"{api.url}/v1/images", headers=headers, timeout=60,
                      files={"file": ("f", body, mime)})


DOORS = {"tus": via_tus, "direct": via_direct, "post": via_post}
# case id -> (what is sent: size, type, the bytes for POST), the status and the code every door answers
CASES = {
    "wrong-key": ((len(JPEG), "image/jpeg", JPEG), 401, "invalid_api_key"),
    "zero-bytes": ((0, "image/jpeg", b""), 400, "empty_file"),
    "wrong-type": ((30, "text/plain", b"not an image, just some text"), 415, "unsupported_format"),
    "over-size": ((60 * MB, "image/jpeg", None), 413, "too_large"),
    "over-quota": ((len(JPEG), "image/jpeg", JPEG), 413, "quota_exceeded"),
}


@pytest.fixture(scope="module")
def admin(stack) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.api_key}"}


def _nothing_of(api, username: str, staged_before: set[str]) -> None:
    state = api.state
    assert state.images.list_by_owner(username, None, 10)[0] == []
    assert state.store.originals.keys(f"originals/{username}/") == []
    assert set(state.store.originals.keys(ingest.STAGING)) <= staged_before


def _announced_owners(timeout_s: float = 8) -> set[str]:
    """Owners of every image.uploaded event so far."""
    consumer = kafka.consumer(KafkaSettings(), group=f"test-{uuid.uuid4().hex[:8]}")
    consumer.subscribe([topics.IMAGE_UPLOADED.name])
    owners: set[str] = set()
    idle = 0
    try:
        while idle < timeout_s * 2:
            message = consumer.poll(0.5)
            if message is None or message.error():
                idle += 1
                continue
            idle = 0
            with contextlib.suppress(ValueError, KeyError, TypeError):  # the runner tests' poison records
                owners.add(json.loads(message.value())["owner"])
    finally:
        consumer.close()
    return owners


# POST /v1/images refuses a body over the limit as it reads it: tests/ingest_api/test_upload.py (too-large).
DOOR_CASES = [pytest.param(door, case, id=f"{case}-{door}") for case in CASES for door in DOORS
              if (case, door) != ("over-size", "post")]


@pytest.mark.parametrize(("door", "case"), DOOR_CASES)
def test_bad_input_is_refused_clearly_and_leaves_nothing(hook_api, tusd, admin, door, case):
    (size, mime, data), status, code = CASES[case]
    user = new_user(hook_api, "refused")
    headers = WRONG_KEY if case == "wrong-key" else user.headers
    if case == "over-quota":
        quota = httpx.put(f"{hook_api.url}/v1/admin/users/{user.name}/quota", headers=admin,
                          json={"bytes": 100}, timeout=10)
        assert quota.status_code == 204, quota.text
    staged = set(hook_api.state.store.originals.keys(ingest.STAGING))
    answer = DOORS[door](hook_api, tusd, headers, size, mime, data)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code, answer.text
    _nothing_of(hook_api, user.name, staged)
    assert user.name not in _announced_owners(timeout_s=2)


def _tus_upload(tusd, user, data: bytes, **meta: str) -> str:
    created = httpx.post(f"{tusd}/files/", content=data, timeout=60, headers={
        **TUS, **user.headers, "Upload-Length": str(len(data)), "Upload-Metadata": _meta(**meta),
        "Content-Type": "application/offset+octet-stream"})
    assert created.status_code == 201, created.text
    return created.headers["Location"]


def _status(api, user, url: str) -> dict:
    return httpx.get(f"{api.url}/v1/uploads/tus/{url.rsplit('/', 1)[-1]}", headers=user.headers,
                     timeout=10).json()


@pytest.mark.parametrize(("data", "meta", "code"), [
    pytest.param(b"plain text pretending to be a photo" * 10, {"filetype": "image/jpeg"},
                 "unsupported_format", id="actual-type"),
    pytest.param(photos.corrupt_jpeg(7), {}, "corrupt_image", id="corrupt"),
    pytest.param(samples.png_header_only(20000, 20000), {}, "too_many_pixels", id="pixels"),
    pytest.param(JPEG, {"sha256": "f" * 64}, "checksum_mismatch", id="sha256"),
])
def test_a_finished_tus_upload_that_is_bad_is_refused_and_removed(hook_api, tusd, data, meta, code):
    user = new_user(hook_api, "refused")
    url = _tus_upload(tusd, user, data, **meta)
    status = wait_for(lambda: (s := _status(hook_api, user, url))["status"] not in ("uploading", "committing")
                      and s, 60)
    assert (status["status"], status["error"]["code"]) == ("refused", code), status
    assert nothing_under(hook_api.state.store, f"{ingest.RESUMABLE}{status['id']}")
    _nothing_of(hook_api, user.name, set(hook_api.state.store.originals.keys(ingest.STAGING)))


def test_the_declared_sha256_is_kept_when_it_matches(hook_api, tusd):
    user = new_user(hook_api, "hash")
    url = _tus_upload(tusd, user, JPEG, sha256=sha256(JPEG).upper())
    status = wait_for(lambda: (s := _status(hook_api, user, url))["status"] == "committed" and s, 60)
    assert hook_api.state.images.get(status["image_id"]).sha256 == sha256(JPEG)


@pytest.mark.parametrize(("headers", "status", "code"), [
    pytest.param({"Upload-Defer-Length": "1"}, 411, "length_required", id="deferred-length"),
    pytest.param({}, 401, "missing_api_key", id="no-key"),
    pytest.param({"Upload-Metadata": _meta(visibility="everyone")}, 422, "invalid_field", id="bad-field"),
    pytest.param({"Upload-Metadata": _meta(sha256="abc")}, 422, "invalid_field", id="bad-sha256"),
    pytest.param({"Upload-Metadata": _meta(album="01ARZ3NDEKTSV4RRFFQ69G5FAV")}, 404, "not_found",
                 id="unknown-album"),
])
def test_tus_creation_refusals(hook_api, tusd, user, headers, status, code):
    sent = {**TUS, "Upload-Length": "100", **headers}
    if code != "missing_api_key":
        sent.update(user.headers)
    if "Upload-Defer-Length" in headers:
        sent.pop("Upload-Length")
    answer = httpx.post(f"{tusd}/files/", headers=sent, timeout=30)
    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code), answer.text


def test_a_concatenation_of_someone_elses_part_is_refused(hook_api, tusd, user):
    part = httpx.post(f"{tusd}/files/", timeout=30, headers={
        **TUS, **user.headers, "Upload-Length": str(len(JPEG)), "Upload-Concat": "partial"})
    assert part.status_code == 201, part.text
    sent = httpx.patch(part.headers["Location"], content=JPEG, timeout=30, headers={
        **TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    assert sent.status_code == 204
    thief = new_user(hook_api, "thief")
    staged = set(hook_api.state.store.originals.keys(ingest.STAGING))
    final = httpx.post(f"{tusd}/files/", timeout=30, headers={
        **TUS, **thief.headers, "Upload-Concat": f"final;{part.headers['Location']}"})
    assert (final.status_code, final.json()["error"]["code"]) == (404, "not_found"), final.text
    _nothing_of(hook_api, thief.name, staged)
    # Its owner may still join it.
    mine = httpx.post(f"{tusd}/files/", timeout=30, headers={
        **TUS, **user.headers, "Upload-Concat": f"final;{part.headers['Location']}"})
    assert mine.status_code == 201, mine.text
    joined = mine.headers["Location"]
    status = wait_for(lambda: (s := _status(hook_api, user, joined))["status"] == "committed" and s, 60)
    assert hook_api.state.images.get(status["image_id"]).sha256 == sha256(JPEG)
