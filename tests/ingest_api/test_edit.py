"""Editing and deleting through the real app: events, object moves and
cache purges."""

from __future__ import annotations

import httpx
import pytest

from schemas import topics
from schemas.events import ImageDeleted, ImagePurged, ImageUpdated
from tests.ingest_api import samples
from tests.ingest_api.conftest import KEYS, bearer, events_for, upload
from tests.ingest_api.test_read import _fake_variant

pytestmark = pytest.mark.integration


def _patch(client, user: str, image_id: str, body: dict):
    return client.patch(f"/v1/images/{image_id}", headers=bearer(KEYS[user]), json=body)


def _cached_twice(url: str) -> None:
    first, second = httpx.get(url), httpx.get(url)
    assert first.status_code == second.status_code == 200
    assert second.headers["x-cache-status"] == "HIT"


def test_patch_changes_fields_and_announces_them(client, state):
    image_id = upload(client, "alice", samples.noisy_jpeg(seed=300), title="Old").json()["id"]
    response = _patch(client, "alice", image_id, {"title": "New", "tags": ["a", " b ", "a"],
                                                  "description": "Longer"})
    assert response.status_code == 200, response.text
    assert (response.json()["title"], response.json()["tags"]) == ("New", ["a", "b"])
    record = state.images.get(image_id)
    assert (record.title, record.description, record.tags) == ("New", "Longer", ["a", "b"])
    [value] = events_for(topics.IMAGE_UPDATED.name, image_id)
    event = ImageUpdated.parse(value)
    assert (event.owner, event.title, event.tags, event.visibility) == ("alice", "New", ["a", "b"], "public")

    other = _patch(client, "bob", image_id, {"title": "Mine now"})
    assert (other.status_code, other.json()["error"]["code"]) == (403, "forbidden")
    bad = _patch(client, "alice", image_id, {"owner": "bob"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_request")


def test_making_an_image_private_takes_its_variants_out_of_the_cache(client, state):
    image_id = upload(client, "alice", samples.noisy_jpeg(seed=301)).json()["id"]
    variant = _fake_variant(state, image_id, "public")
    state.images.set_variants(image_id, [variant], "PH", "#000000", state.images.get(image_id).placement)
    public_url = f"{state.delivery.public_url}/{state.store.variants.name}/{variant.key}"
    _cached_twice(public_url)

    response = _patch(client, "alice", image_id, {"visibility": "private"})
    assert response.status_code == 200, response.text
    [moved] = state.images.get(image_id).variants
    assert moved.key == variant.key.replace("public/", "private/", 1)
    after = httpx.get(public_url)
    assert after.status_code != 200 and after.headers.get("x-cache-status") != "HIT"
    [out] = response.json()["variants"]
    assert httpx.get(out["url"]).content == f"variant 320 of {image_id}".encode()
    hidden = client.get(f"/v1/images/{image_id}", headers=bearer(KEYS["bob"]))
    assert hidden.status_code == 404


def test_delete_hides_everywhere_restore_brings_back_and_purge_leaves_nothing(client, state):
    data = samples.noisy_jpeg(seed=302)
    image_id = upload(client, "alice", data).json()["id"]
    record = state.images.get(image_id)
    variant = _fake_variant(state, image_id, "public")
    state.images.set_variants(image_id, [variant], "PH", "#000000", record.placement)
    url = f"{state.delivery.public_url}/{state.store.variants.name}/{variant.key}"
    _cached_twice(url)

    other = client.delete(f"/v1/images/{image_id}", headers=bearer(KEYS["bob"]))
    assert (other.status_code, other.json()["error"]["code"]) == (403, "forbidden")

    response = client.delete(f"/v1/images/{image_id}", headers=bearer(KEYS["alice"]))
    assert response.status_code == 204
    for user in ("alice", "bob"):  # 404 everywhere at once, the owner's view included
        assert client.get(f"/v1/images/{image_id}", headers=bearer(KEYS[user])).status_code == 404
    listed = client.get("/v1/images", headers=bearer(KEYS["alice"])).json()["items"]
    assert image_id not in {i["id"] for i in listed}
    assert state.store.variants.stat(variant.key) is None  # moved to the trash, never served
    gone = httpx.get(url)
    assert gone.status_code == 404 and gone.headers.get("x-cache-status") != "HIT"
    [value] = events_for(topics.IMAGE_DELETED.name, image_id)
    assert ImageDeleted.parse(value).owner == "alice"
    again = client.delete(f"/v1/images/{image_id}", headers=bearer(KEYS["alice"]))
    assert again.status_code == 404

    restored = client.post(f"/v1/images/{image_id}/restore", headers=bearer(KEYS["alice"]))
    assert restored.status_code == 200, restored.text
    assert httpx.get(url).content == f"variant 320 of {image_id}".encode()  # back where it was
    assert events_for(topics.IMAGE_RESTORED.name, image_id)

    purged = client.delete(f"/v1/images/{image_id}", params={"purge": "true"}, headers=bearer(KEYS["alice"]))
    assert purged.status_code == 204
    assert state.images.get(image_id) is None
    assert state.store.originals.stat(record.original_key) is None
    assert [k for where in ("public/", "private/", "trash/")
            for k in state.store.variants.keys(f"{where}v/{image_id}/")] == []
    assert httpx.get(url).status_code == 404
    assert ImagePurged.parse(events_for(topics.IMAGE_PURGED.name, image_id)[0]).reason == "requested"
    assert client.post(f"/v1/images/{image_id}/restore", headers=bearer(KEYS["alice"])).status_code == 404
    # The dedup claim went with it: the same bytes make a new image.
    reupload = upload(client, "alice", data)
    assert reupload.status_code == 202 and reupload.json()["id"] != image_id
