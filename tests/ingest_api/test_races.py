"""The races that used to leak a private photo, reproduced on purpose on the
real engines: the resize stage's own `process` runs with a variants bucket
that lets a PATCH or a DELETE through the API land at the worst moment, in
the middle of writing the variants."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from connectors.minio import Bucket
from schemas import topics
from schemas.events import ImageUploaded
from streams import imaging, resize
from tests.ingest_api import samples
from tests.ingest_api.conftest import KEYS, bearer, events_for, upload

pytestmark = pytest.mark.integration
PLACES = ("public/", "private/", "trash/")


class Interrupted:
    """A variants bucket that runs `meanwhile` once, after the first variant is written."""

    def __init__(self, bucket: Bucket, meanwhile) -> None:
        self._bucket, self._meanwhile, self.name = bucket, meanwhile, bucket.name

    def put_immutable(self, key: str, data: bytes, content_type: str) -> bool:
        written = self._bucket.put_immutable(key, data, content_type)
        if self._meanwhile is not None:
            meanwhile, self._meanwhile = self._meanwhile, None
            meanwhile()
        return written

    def __getattr__(self, name: str):
        return getattr(self._bucket, name)


@pytest.fixture(scope="module")
def pool():
    with imaging.new_pool(1) as made:
        yield made


def _render(state, pool, event: ImageUploaded, meanwhile=None):
    deps = resize.Deps(originals=state.store.originals, variants=Interrupted(state.store.variants, meanwhile),
                       images=state.images, presets=state.presets, pool=pool, options=imaging.LadderOptions())
    return asyncio.run(resize.process(event, deps))


def _uploaded(client, seed: int, **fields) -> ImageUploaded:
    response = upload(client, "alice", samples.noisy_jpeg((900, 600), seed=seed), **fields)
    assert response.status_code == 202, response.text
    [value] = events_for(topics.IMAGE_UPLOADED.name, response.json()["id"])
    return ImageUploaded.parse(value)


def _objects(state, image_id: str) -> dict[str, list[str]]:
    return {place: state.store.variants.keys(f"{place}v/{image_id}/") for place in PLACES}


def _patch(client, image_id: str, visibility: str) -> None:
    response = client.patch(f"/v1/images/{image_id}", headers=bearer(KEYS["alice"]),
                            json={"visibility": visibility})
    assert response.status_code == 200, response.text


def test_made_private_while_it_renders_leaves_nothing_public(client, state, pool):
    event = _uploaded(client, 1000)
    ready = _render(state, pool, event, meanwhile=lambda: _patch(client, event.image_id, "private"))
    assert ready is not None and all(v.key.startswith("private/") for v in ready.variants)
    record = state.images.get(event.image_id)
    assert record.variants == ready.variants
    objects = _objects(state, event.image_id)
    assert objects["public/"] == [] and len(objects["private/"]) == len(ready.variants)
    for variant in ready.variants:  # nothing reachable without a signature
        plain = f"{state.delivery.public_url}/{state.store.variants.name}/{variant.key}"
        assert httpx.get(plain).status_code == 403
        public = plain.replace("/private/", "/public/")
        assert httpx.get(public).status_code == 404


def test_a_redelivered_upload_event_after_a_patch_follows_the_record_not_the_event(client, state, pool):
    event = _uploaded(client, 1001)
    first = _render(state, pool, event)
    assert all(v.key.startswith("public/") for v in first.variants)
    _patch(client, event.image_id, "private")
    assert event.visibility == "public"  # what the redelivered event still says
    again = _render(state, pool, event)
    assert all(v.key.startswith("private/") for v in again.variants)
    assert _objects(state, event.image_id)["public/"] == []
    assert state.images.get(event.image_id).variants == again.variants


def test_deleted_while_it_renders_leaves_nothing_served(client, state, pool):
    event = _uploaded(client, 1002)

    def delete() -> None:
        assert client.delete(f"/v1/images/{event.image_id}", headers=bearer(KEYS["alice"])).status_code == 204

    ready = _render(state, pool, event, meanwhile=delete)
    # Kept in the trash (a restore brings them back), nowhere that serves them.
    assert ready is not None and all(v.key.startswith("trash/") for v in ready.variants)
    objects = _objects(state, event.image_id)
    assert objects["public/"] == objects["private/"] == []
    for variant in ready.variants:
        url = f"{state.delivery.public_url}/{state.store.variants.name}/{variant.key}"
        assert httpx.get(url).status_code == 404


def test_purged_while_it_renders_leaves_nothing_at_all_and_publishes_nothing(client, state, pool):
    event = _uploaded(client, 1003)

    def purge() -> None:
        response = client.delete(f"/v1/images/{event.image_id}", params={"purge": "true"},
                                 headers=bearer(KEYS["alice"]))
        assert response.status_code == 204

    assert _render(state, pool, event, meanwhile=purge) is None
    assert _objects(state, event.image_id) == {place: [] for place in PLACES}
    assert state.images.get(event.image_id) is None
