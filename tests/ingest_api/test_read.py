"""Reading and listing through the real app: who sees what, paging, and
delivery URLs that go through nginx."""

from __future__ import annotations

import httpx
import pytest

from schemas.events import DetectedTag, TagsDetected, Variant
from streams import indexing
from tests.ingest_api import samples
from tests.ingest_api.conftest import KEYS, bearer, upload

pytestmark = pytest.mark.integration

FIELDS = {"id", "owner", "title", "description", "tags", "visibility", "status", "reason", "failure_code",
          "width", "height", "frames", "mime_type", "byte_size", "created_at", "variants", "srcset",
          "placeholder", "dominant_color", "file_url", "presets", "duplicate"}


def _new(client, user: str, seed: int, **fields) -> str:
    response = upload(client, user, samples.noisy_jpeg((200, 150), seed=seed), **fields)
    assert response.status_code == 202, response.text
    return response.json()["id"]


def _get(client, user: str, path: str, **kwargs):
    return client.get(path, headers=bearer(KEYS[user]), **kwargs)


def _fake_variant(state, image_id: str, prefix: str, width: int = 320) -> Variant:
    """A variant as the resize stage would store it (the bytes need not be a real image)."""
    key = f"{prefix}/v/{image_id}/{width}x{width * 3 // 4}-test.jpg"
    data = f"variant {width} of {image_id}".encode()
    state.store.variants.put_immutable(key, data, "image/jpeg")
    return Variant(width=width, height=width * 3 // 4, format="jpeg", key=key, byte_size=len(data))


def test_an_image_reads_back_with_every_field(client):
    image_id = _new(client, "alice", 100, title="Dawn", description="Over the bay", tags="sea,sky")
    body = _get(client, "alice", f"/v1/images/{image_id}").json()
    assert set(body) == FIELDS
    assert (body["owner"], body["title"], body["description"], body["tags"]) == (
        "alice", "Dawn", "Over the bay", ["sea", "sky"])
    assert (body["status"], body["width"], body["height"], body["mime_type"]) == (
        "processing", 200, 150, "image/jpeg")
    assert (body["variants"], body["srcset"], body["file_url"]) == ([], None, f"/v1/images/{image_id}/file")


def test_the_owner_s_tags_and_the_model_s_are_read_apart(client, state):
    image_id = _new(client, "alice", 104, tags="sea,sky", visibility="private")
    path = f"/v1/images/{image_id}/tags"
    assert _get(client, "alice", path).json() == {"id": image_id, "tags": ["sea", "sky"], "model": None,
                                                   "model_tags": []}
    # The tagging stage's event, through the indexing stage's write path.
    seen = TagsDetected(image_id=image_id, model="mobilenet", tags=[DetectedTag(tag="boat", confidence=0.9)])
    indexing.write(indexing.Deps(index=state.index, images=None, publish=None), seen)
    assert _get(client, "alice", path).json() == {"id": image_id, "tags": ["sea", "sky"],
                                                   "model": "mobilenet",
                                                   "model_tags": [{"tag": "boat", "confidence": 0.9}]}
    assert (_get(client, "bob", path).status_code, client.get(path).status_code) == (404, 404)


def test_private_images_do_not_exist_for_anyone_else(client):
    private = _new(client, "alice", 101, visibility="private")
    unlisted = _new(client, "alice", 102, visibility="unlisted")
    assert _get(client, "alice", f"/v1/images/{private}").status_code == 200
    unknown = "01J00000000000000000000000"
    for path in (f"/v1/images/{private}", f"/v1/images/{private}/file", f"/v1/images/{unknown}",
                 "/v1/images/not-an-id"):
        response = _get(client, "bob", path, follow_redirects=False)
        assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found"), path
    assert _get(client, "bob", f"/v1/images/{unlisted}").status_code == 200


def test_listing_pages_newest_first_with_no_gaps_or_repeats(client):
    visibilities = ["public", "private", "public", "unlisted", "public"]
    made = [_new(client, "dana", 200 + i, visibility=v) for i, v in enumerate(visibilities)]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = _get(client, "dana", "/v1/images", params=params).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(made)) and pages == 3

    others = _get(client, "bob", "/v1/images", params={"owner": "dana"}).json()
    assert [i["id"] for i in others["items"]] == [made[4], made[2], made[0]]  # public only

    bad = _get(client, "dana", "/v1/images", params={"cursor": "not-a-cursor"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_cursor")


def test_file_is_the_original_for_the_owner_and_the_largest_variant_for_others(client, state):
    data = samples.noisy_jpeg((200, 150), seed=103)
    image_id = upload(client, "alice", data).json()["id"]

    own = _get(client, "alice", f"/v1/images/{image_id}/file", follow_redirects=False)
    assert own.status_code == 302
    location = own.headers["location"]
    assert location.startswith(state.delivery.public_url) and "X-Amz-Signature=" in location
    assert httpx.get(location).content == data  # signed for nginx, served through it

    early = _get(client, "bob", f"/v1/images/{image_id}/file", follow_redirects=False)
    assert (early.status_code, early.json()["error"]["code"]) == (409, "not_ready")

    variants = [_fake_variant(state, image_id, "public", w) for w in (150, 320)]
    state.images.set_variants(image_id, variants, "PH", "#000000", state.images.get(image_id).placement)
    theirs = _get(client, "bob", f"/v1/images/{image_id}/file", follow_redirects=False)
    bucket = state.store.variants.name
    assert theirs.headers["location"] == f"{state.delivery.public_url}/{bucket}/{variants[1].key}"
    assert httpx.get(theirs.headers["location"]).content == f"variant 320 of {image_id}".encode()


def test_private_variants_get_signed_urls_through_nginx(client, state):
    image_id = _new(client, "alice", 104, visibility="private")
    variant = _fake_variant(state, image_id, "private")
    state.images.set_variants(image_id, [variant], "PH", "#000000", state.images.get(image_id).placement)
    [out] = _get(client, "alice", f"/v1/images/{image_id}").json()["variants"]
    assert out["url"].startswith(state.delivery.public_url) and "&s=" in out["url"]  # Darkroom's signature
    served = httpx.get(out["url"])
    assert served.content == f"variant 320 of {image_id}".encode()
    assert served.headers["cache-control"].startswith("private, max-age=")
    unsigned = f"{state.delivery.public_url}/{state.store.variants.name}/{variant.key}"
    assert httpx.get(unsigned).status_code == 403
