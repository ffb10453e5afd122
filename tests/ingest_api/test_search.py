"""Search through the real app on the real Elasticsearch: documents are
written by the indexing stage's own write path (streams.indexing.write),
then found, filtered, faceted, paged and hidden as the API promises."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from connectors.elasticsearch import SearchIndex
from connectors.settings import ElasticsearchSettings
from schemas.events import (
    DetectedTag,
    Gps,
    ImageDeleted,
    ImageMetadata,
    ImageUpdated,
    ImageUploaded,
    MetadataExtracted,
    TagsDetected,
    Variant,
    VariantsReady,
)
from streams import documents, indexing
from tests.ingest_api.conftest import KEYS, bearer

pytestmark = pytest.mark.integration

TOKEN = f"t{uuid.uuid4().hex[:8]}"  # a tag on every image of this module: other tests' documents stay out
PAGED = f"{TOKEN}p"
LISBON, PORTO = (38.72, -9.14), (41.15, -8.61)  # about 275 km apart
T0 = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def deps(stack):
    index = SearchIndex(ElasticsearchSettings())
    yield indexing.Deps(index=index, images=None, publish=None)
    index.close()


def index_image(deps, owner: str, title: str, tags: list[str], visibility: str = "public", *,
                camera: tuple[str, str] | None = None, taken: str | None = None,
                gps: tuple[float, float] | None = None, model_tags: tuple[str, ...] = (),
                at: int = 0) -> str:
    """One image as the stages would describe it, through the indexing stage's write path."""
    image_id = uuid.uuid4().hex
    when = T0 + timedelta(seconds=at)
    uploaded = ImageUploaded(image_id=image_id, occurred_at=when, owner=owner, sha256="s",
                             original_key="k", mime_type="image/jpeg", byte_size=1, width=400, height=300,
                             visibility=visibility)
    indexing.write(deps, uploaded, documents.user_fields(owner, visibility, title, None, tags))
    prefix = "private" if visibility == "private" else "public"
    variant = Variant(width=320, height=240, format="jpeg", key=f"{prefix}/v/{image_id}/320.jpg", byte_size=1)
    indexing.write(deps, VariantsReady(image_id=image_id, occurred_at=when, placeholder="PH",
                                       dominant_color="#000000", variants=[variant]))
    metadata = ImageMetadata(camera_make=camera and camera[0], camera_model=camera and camera[1],
                             taken_at=taken, gps=Gps(latitude=gps[0], longitude=gps[1]) if gps else None)
    indexing.write(deps, MetadataExtracted(image_id=image_id, occurred_at=when, metadata=metadata))
    indexing.write(deps, TagsDetected(image_id=image_id, occurred_at=when, model="m",
                                      tags=[DetectedTag(tag=t, confidence=0.8) for t in model_tags]))
    return image_id


@pytest.fixture(scope="module")
def images(deps):
    ids = {
        "lisbon": index_image(deps, "alice", "Cafés of Lisbon at dawn", [TOKEN, "Café", f"zz{TOKEN}a"],
                              camera=("Canon", "Canon EOS R5"), taken="2019-06-01T07:00:00", gps=LISBON,
                              model_tags=("espresso",), at=1),
        "dog": index_image(deps, "bob", "A dog running on the beach",
                           [TOKEN, "dog", f"zz{TOKEN}a", f"zz{TOKEN}b"],
                           camera=("NIKON", "Z 6"), taken="2021-08-09T16:00:00", gps=PORTO, at=2),
        "secret": index_image(deps, "alice", "Secret garden", [TOKEN, f"zz{TOKEN}secret"], "private",
                              taken="2020-05-05T10:00:00", at=3),
        "unlisted": index_image(deps, "alice", "Unlisted harbour", [TOKEN], "unlisted", at=4),
    }
    deps.index.refresh()
    return ids


def _search(client, user: str | None = None, **params):
    headers = bearer(KEYS[user]) if user else {}
    response = client.get("/v1/search", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _found(client, images, user: str | None = None, **params) -> set[str]:
    names = {v: k for k, v in images.items()}
    return {names.get(i["id"], i["id"]) for i in _search(client, user, tag=TOKEN, **params)["items"]}


@pytest.mark.parametrize(("q", "expected"), [
    ("cafe", {"lisbon"}), ("CAFES", {"lisbon"}), ("run", {"dog"}), ("dogs", {"dog"}),
    ("espresso", {"lisbon"}), ("beach dog", {"dog"}), ("beach cafe", set()),
], ids=["accent", "case-plural", "stem", "plural", "model-tag", "all-words", "no-match"])
def test_full_text_folds_accents_and_stems(client, images, q, expected):
    assert _found(client, images, q=q) == expected


@pytest.mark.parametrize(("params", "expected"), [
    ({"tag": [TOKEN, "dog"]}, {"dog"}),
    ({"tag": [TOKEN, "espresso"]}, {"lisbon"}),  # the classifier's tags filter too
    ({"tag": [TOKEN, "CAFÉ"]}, {"lisbon"}),
    ({"camera": "canon eos r5"}, {"lisbon"}),
    ({"from": "2021-01-01"}, {"dog"}),
    ({"from": "2019-06-01", "to": "2019-06-01"}, {"lisbon"}),
    ({"to": "2020-12-31"}, {"lisbon"}),
    # A location is its owner's to search by: alice's Lisbon photo, bob's Porto one.
    ({"near": f"{LISBON[0]},{LISBON[1]}", "within": 50, "user": "alice"}, {"lisbon"}),
    ({"near": f"{LISBON[0]},{LISBON[1]}", "within": 400, "user": "alice"}, {"lisbon"}),
    ({"near": f"{LISBON[0]},{LISBON[1]}", "within": 400, "user": "bob"}, {"dog"}),
    ({"near": f"{LISBON[0]},{LISBON[1]}", "within": 400}, set()),
    ({"near": "0,0", "within": 100, "user": "alice"}, set()),
], ids=["user-tag", "model-tag", "folded-tag", "camera", "from", "one-day", "to", "near", "wider",
        "wider-bob", "wider-anonymous", "far"])
def test_filters(client, images, params, expected):
    params = {**params}
    tags = params.pop("tag", [TOKEN])
    user = params.pop("user", None)
    found = {v: k for k, v in images.items()}
    items = _search(client, user, tag=tags, **params)["items"]
    assert {found.get(i["id"], i["id"]) for i in items} == expected


def test_anonymous_callers_and_others_see_public_images_only(client, images):
    assert _found(client, images) == {"lisbon", "dog"}
    assert _found(client, images, "bob") == {"lisbon", "dog"}  # unlisted: never listed to others
    assert _found(client, images, "alice") == {"lisbon", "dog", "secret", "unlisted"}


def test_facets_count_every_match(client, images):
    facets = _search(client, "alice", tag=TOKEN)["facets"]
    tags = {f["value"]: f["count"] for f in facets["tags"]}
    assert (tags[TOKEN], tags["cafe"], tags["espresso"], tags[f"zz{TOKEN}a"]) == (4, 1, 1, 2)
    assert {f["value"]: f["count"] for f in facets["cameras"]} == {"canon eos r5": 1, "nikon z 6": 1}
    # The year an image was taken, else the year it was uploaded (2024 here).
    assert {f["value"]: f["count"] for f in facets["years"]} == {"2024": 1, "2021": 1, "2020": 1, "2019": 1}


def test_an_item_carries_its_variants_and_facts(client, images, state):
    [item] = _search(client, "alice", tag=TOKEN, q="cafe")["items"]
    assert (item["title"], item["owner"], item["camera"], item["location"]) == (
        "Cafés of Lisbon at dawn", "alice", "Canon EOS R5", list(LISBON))
    [seen_by_others] = _search(client, tag=TOKEN, q="cafe")["items"]
    assert seen_by_others["location"] is None  # the location is the owner's
    assert item["model_tags"] == [{"tag": "espresso", "confidence": 0.8}]
    [variant] = item["variants"]
    assert variant["url"] == (f"{state.delivery.public_url}/{state.store.variants.name}/"
                              f"public/v/{images['lisbon']}/320.jpg")


def test_tag_completion_respects_visibility(client, images):
    def tags(user=None):
        headers = bearer(KEYS[user]) if user else {}
        response = client.get("/v1/tags", params={"prefix": f"ZZ{TOKEN}"}, headers=headers)
        assert response.status_code == 200, response.text
        return {t["value"]: t["count"] for t in response.json()["tags"]}

    assert tags() == {f"zz{TOKEN}a": 2, f"zz{TOKEN}b": 1}
    assert tags("alice") == {f"zz{TOKEN}a": 2, f"zz{TOKEN}b": 1, f"zz{TOKEN}secret": 1}


@pytest.mark.parametrize(("sort", "q"), [("newest", None), ("relevance", "photo")])
def test_cursor_paging_has_no_gaps_or_repeats(client, deps, sort, q):
    tag = f"{PAGED}{sort}"
    # Equal timestamps on purpose: the id tiebreaker must still give one order.
    made = {index_image(deps, "bob", f"Photo {i}" if i % 2 else f"photo photo {i}", [tag], at=i % 3)
            for i in range(23)}
    deps.index.refresh()
    seen: list[str] = []
    cursor, pages = None, 0
    while True:
        params = {"tag": tag, "limit": 5, "sort": sort, **({"q": q} if q else {}),
                  **({"cursor": cursor} if cursor else {})}
        page = _search(client, **params)
        seen += [i["id"] for i in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert (len(seen), set(seen), pages) == (23, made, 5)
    wrong = client.get("/v1/search", params={"tag": tag, "cursor": page_cursor(client, tag), "sort": "newest",
                                              "q": "other"})
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (400, "invalid_cursor")


def page_cursor(client, tag: str) -> str:
    return _search(client, tag=tag, limit=1, sort="newest")["next_cursor"]


def _eventually(check, timeout_s: float = 15) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def test_edits_and_deletes_show_without_an_explicit_refresh(client, deps):
    tag = f"{TOKEN}live"
    image_id = index_image(deps, "alice", "Harbour lights", [tag], at=0)
    assert _eventually(lambda: [i["id"] for i in _search(client, tag=tag)["items"]] == [image_id])

    indexing.write(deps, ImageUpdated(image_id=image_id, owner="alice", title="Harbour lights", tags=[tag],
                                      visibility="private"))
    assert _eventually(lambda: _search(client, tag=tag)["items"] == [])
    [mine] = _search(client, "alice", tag=tag)["items"]
    assert mine["visibility"] == "private" and "/private/v/" in mine["variants"][0]["url"]

    indexing.write(deps, ImageDeleted(image_id=image_id, owner="alice"))
    assert _eventually(lambda: _search(client, "alice", tag=tag)["items"] == [])
    # An older event redelivered after the delete brings nothing back.
    indexing.write(deps, ImageUpdated(image_id=image_id, owner="alice", title="Back?", tags=[tag],
                                      occurred_at=T0))
    deps.index.refresh()
    assert _search(client, "alice", tag=tag)["items"] == []
