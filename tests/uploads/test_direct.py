"""Direct-to-storage uploads on the real engines: presigned PUT (through
nginx, uncached, the signature verified) or parts, then complete, which
checks the stored object from storage; a PUT that lies is refused and
leaves nothing; an expired URL is refused by storage."""

from __future__ import annotations

import os
import time

import httpx
import pytest
from ingest_api import ingest

from schemas import topics
from tests.ingest_api import samples
from tests.ingest_api.conftest import events_for
from tests.uploads import photos
from tests.uploads.conftest import sha256

pytestmark = pytest.mark.integration

MB = 1024 * 1024


def _start(api, user, **body) -> httpx.Response:
    return httpx.post(f"{api.url}/v1/uploads", headers=user.headers, json=body, timeout=30)


def _complete(api, user, upload_id: str) -> httpx.Response:
    return httpx.post(f"{api.url}/v1/uploads/{upload_id}/complete", headers=user.headers, timeout=120)


def _put(plan: dict, data: bytes) -> list[int]:
    if plan["url"]:
        return [httpx.put(plan["url"], content=data, headers=plan["headers"], timeout=60).status_code]
    size = plan["part_bytes"]
    return [httpx.put(p["url"], content=data[(p["part_number"] - 1) * size:p["part_number"] * size],
                      headers=plan["headers"], timeout=60).status_code for p in plan["parts"]]


def _nothing_left(api, user, upload_id: str) -> None:
    state = api.state
    assert state.store.originals.keys(f"{ingest.DIRECT}{upload_id}") == []
    assert state.store.originals.keys(f"originals/{user.name}/") == []
    assert state.images.list_by_owner(user.name, None, 10)[0] == []


def test_presigned_put_then_complete_commits_the_stored_bytes(hook_api, user):
    data = samples.noisy_jpeg((800, 600), seed=11)
    plan = _start(hook_api, user, size=len(data), type="image/jpeg", sha256=sha256(data), title="Pier",
                  tags="sea,pier").json()
    # Signed for the delivery address clients dial (nginx), which passes it to MinIO uncached.
    assert plan["url"].startswith(os.environ["DARKROOM_NGINX_URL"]) and "X-Amz-Signature" in plan["url"]
    assert _put(plan, data) == [200]
    done = _complete(hook_api, user, plan["id"])
    assert done.status_code == 202, done.text
    image_id = done.json()["id"]
    record = hook_api.state.images.get(image_id)
    assert (record.owner, record.sha256, record.title, record.tags) == (user.name, sha256(data), "Pier",
                                                                       ["sea", "pier"])
    assert sha256(hook_api.state.store.originals.get(record.original_key)) == sha256(data)
    assert hook_api.state.store.originals.keys(f"{ingest.DIRECT}{plan['id']}") == []
    assert len(events_for(topics.IMAGE_UPLOADED.name, image_id, count=2, timeout_s=8)) == 1
    again = _complete(hook_api, user, plan["id"])  # asking again answers the same
    assert (again.status_code, again.json()["id"]) == (202, image_id)
    status = httpx.get(f"{hook_api.url}/v1/uploads/{plan['id']}", headers=user.headers, timeout=10).json()
    assert (status["status"], status["image_id"], status["door"]) == ("committed", image_id, "direct")


def test_a_large_file_goes_up_in_presigned_parts(hook_api, user):
    data = photos.big_jpeg(20 * MB, seed=12)
    plan = _start(hook_api, user, size=len(data), type="image/jpeg").json()
    assert plan["url"] is None and len(plan["parts"]) == 3 and plan["part_bytes"] == 8 * MB
    assert _put(plan, data) == [200, 200, 200]
    done = _complete(hook_api, user, plan["id"])
    assert done.status_code == 202, done.text
    record = hook_api.state.images.get(done.json()["id"])
    assert record.byte_size == len(data) and record.sha256 == sha256(data)


def test_the_same_bytes_again_answer_the_image_they_are(hook_api, user):
    data = samples.noisy_jpeg((320, 240), seed=13)
    first = _start(hook_api, user, size=len(data), type="image/jpeg").json()
    _put(first, data)
    image_id = _complete(hook_api, user, first["id"]).json()["id"]
    second = _start(hook_api, user, size=len(data), type="image/jpeg").json()
    _put(second, data)
    again = _complete(hook_api, user, second["id"])
    assert again.status_code == 200 and again.json()["id"] == image_id and again.json()["duplicate"]
    assert hook_api.state.store.originals.keys(f"{ingest.DIRECT}{second['id']}") == []


@pytest.mark.parametrize(("declared", "sent", "status", "code"), [
    pytest.param({"type": "image/png"}, samples.noisy_jpeg((64, 48), 21), 415, "type_mismatch", id="type"),
    pytest.param({"size": 1000}, samples.noisy_jpeg((640, 480), 22), 422, "size_mismatch", id="size"),
    pytest.param({"sha256": "0" * 64}, samples.noisy_jpeg((64, 48), 23), 422, "checksum_mismatch",
                 id="sha256"),
    pytest.param({}, b"\xff\xd8\xff\xe0" + b"x" * 500, 422, "corrupt_image", id="corrupt"),
    pytest.param({}, b"just some text, not a photo", 415, "unsupported_format", id="not-an-image"),
    pytest.param({"size": 1000}, photos.big_jpeg(50 * MB + 1, 24), 413, "too_large", id="over-the-limit"),
])
def test_a_put_that_lies_is_refused_at_complete_and_leaves_nothing(hook_api, user, declared, sent, status,
                                                                     code):
    body = {"size": len(sent), "type": "image/jpeg", **declared}
    plan = _start(hook_api, user, **body).json()
    assert _put(plan, sent) == [200]  # storage takes what it is given: the API checks it at complete
    refused = _complete(hook_api, user, plan["id"])
    assert (refused.status_code, refused.json()["error"]["code"]) == (status, code), refused.text
    _nothing_left(hook_api, user, plan["id"])
    again = _complete(hook_api, user, plan["id"])  # the refusal is the answer from now on
    assert (again.status_code, again.json()["error"]["code"]) == (status, code)


def test_an_expired_presigned_url_is_refused_by_storage(hook_api, user):
    data = samples.noisy_jpeg((64, 48), seed=31)
    plan = _start(hook_api, user, size=len(data), type="image/jpeg", expires_in_s=1).json()
    time.sleep(2.5)
    late = httpx.put(plan["url"], content=data, headers=plan["headers"], timeout=30)
    assert late.status_code == 403 and b"expired" in late.content.lower()
    early = _complete(hook_api, user, plan["id"])
    assert (early.status_code, early.json()["error"]["code"]) == (409, "upload_incomplete")
    _nothing_left(hook_api, user, plan["id"])


def test_another_users_upload_does_not_exist_for_you(hook_api, user):
    from tests.uploads.conftest import new_user

    data = samples.noisy_jpeg((64, 48), seed=32)
    plan = _start(hook_api, user, size=len(data), type="image/jpeg").json()
    _put(plan, data)
    stranger = new_user(hook_api, "stranger")
    refused = _complete(hook_api, stranger, plan["id"])
    assert (refused.status_code, refused.json()["error"]["code"]) == (404, "not_found")
