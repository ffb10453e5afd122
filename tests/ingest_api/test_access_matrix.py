"""Who may see what, every cell: public, unlisted and private images of an
organization × every kind of caller, for the record, the file, the metadata
(and its location), listings, search and delivery through nginx (first and
second request, so a cached copy is checked too). On the real stack with
the real workers: the images are processed to `ready` and indexed first.

The table is written to $DARKROOM_ACCESS_MATRIX (default
/tmp/darkroom-access-matrix.md) for the record.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import httpx
import pytest

from connectors.nginx import UrlSigner
from connectors.settings import DeliverySettings, NginxSettings
from tests.ingest_api.conftest import bearer, new_key, sign_in
from tests.streams.photos import full_jpeg
from tests.streams.stages import DEADLINE_S, start_worker, stop

pytestmark = pytest.mark.integration

VISIBILITIES = ("public", "unlisted", "private")
CALLERS = ("anonymous", "owner", "other", "member", "viewer", "collaborator", "share")
WORD = f"w{uuid.uuid4().hex[:10]}"  # in every title: search finds this module's images only

Y, N, NA = "yes", "no", "n/a"
# What each caller may do with an image of each visibility:
# (record, file, metadata, location, in the owner's listing, in search)
EXPECTED = {
    "public": {
        "anonymous": (Y, Y, Y, N, Y, Y), "owner": (Y, Y, Y, Y, Y, Y), "other": (Y, Y, Y, N, Y, Y),
        "member": (Y, Y, Y, N, Y, Y), "viewer": (Y, Y, Y, N, Y, Y), "collaborator": (Y, Y, Y, N, Y, Y),
        "share": (Y, Y, NA, NA, NA, NA)},
    "unlisted": {
        "anonymous": (Y, Y, Y, N, N, N), "owner": (Y, Y, Y, Y, Y, Y), "other": (Y, Y, Y, N, N, N),
        "member": (Y, Y, Y, N, N, Y), "viewer": (Y, Y, Y, N, N, Y), "collaborator": (Y, Y, Y, N, N, Y),
        "share": (Y, Y, NA, NA, NA, NA)},
    "private": {
        "anonymous": (N, N, N, N, N, N), "owner": (Y, Y, Y, Y, Y, Y), "other": (N, N, N, N, N, N),
        "member": (Y, Y, Y, N, N, Y), "viewer": (Y, Y, Y, N, N, Y), "collaborator": (Y, Y, Y, N, N, Y),
        "share": (Y, Y, NA, NA, NA, NA)},
}
# Delivery of the largest variant through nginx, first and second request:
# the plain URL, a signed one, an expired one, a tampered one.
DELIVERY = {
    "public": {"plain": (200, 200), "signed": (200, 200), "expired": (200, 200), "tampered": (200, 200)},
    "unlisted": {"plain": (200, 200), "signed": (200, 200), "expired": (200, 200), "tampered": (200, 200)},
    "private": {"plain": (403, 403), "signed": (200, 200), "expired": (403, 403), "tampered": (403, 403)},
}


@pytest.fixture(scope="module")
def workers(stack):
    running = [start_worker(stage) for stage in ("resize", "metadata", "tagging", "indexing")]
    yield running
    for process in running:
        stop(process)


@pytest.fixture(scope="module")
def world(client, workers):
    """An organization's three images, its owner's, and everyone around them."""
    run = uuid.uuid4().hex[:6]
    names = {role: f"m{role[:4]}{run}" for role in ("owner", "other", "member", "viewer", "collaborator")}
    keys = {role: new_key(client, sign_in(client, name)) for role, name in names.items()}
    owner = bearer(keys["owner"])
    org = f"org{run}"
    assert client.post("/v1/orgs", headers=owner, json={"id": org, "name": "Matrix"}).status_code == 201
    for role in ("member", "viewer"):
        added = client.put(f"/v1/orgs/{org}/members", headers=owner,
                           json={"username": names[role], "role": role})
        assert added.status_code == 200, added.text
    album = client.post("/v1/albums", headers=owner, json={"name": "Matrix", "org": org}).json()["id"]
    images, shares = {}, {}
    for n, visibility in enumerate(VISIBILITIES):
        # With EXIF GPS; no larger than the rungs rendered at upload (none on demand: no render service here).
        photo = full_jpeg(size=(640, 480), seed=700 + n)
        fields = {"title": f"{WORD} {visibility}", "visibility": visibility, "gps": "true"}
        response = client.post("/v1/images", headers=owner, params={"album": album},
                               files={"file": (f"{visibility}.jpg", photo)}, data=fields)
        assert response.status_code == 202, response.text
        image_id = response.json()["id"]
        images[visibility] = image_id
        added = client.post(f"/v1/images/{image_id}/collaborators", headers=owner,
                            json={"username": names["collaborator"], "permission": "view"})
        assert added.status_code == 200, added.text
        shared = client.post(f"/v1/images/{image_id}/shares", headers=owner, json={"permission": "view"})
        assert shared.status_code == 201, shared.text
        shares[visibility] = shared.json()["token"]
    deadline = time.monotonic() + DEADLINE_S
    for image_id in images.values():
        while client.get(f"/v1/images/{image_id}", headers=owner).json()["status"] != "ready":
            assert time.monotonic() < deadline, "the images did not become ready"
            time.sleep(0.5)
    # Searchable once the last edit (collaborators, album) is in the index too.
    while len(client.get("/v1/search", headers=bearer(keys["collaborator"]),
                         params={"q": WORD}).json()["items"]) < len(VISIBILITIES):
        assert time.monotonic() < deadline, "the images did not become searchable"
        time.sleep(0.5)
    return {"names": names, "keys": keys, "images": images, "shares": shares}


def _headers(world, caller: str) -> dict[str, str]:
    return bearer(world["keys"][caller]) if caller in world["keys"] else {}


def _yes(ok: bool) -> str:
    return Y if ok else N


def _observe(client, world, visibility: str, caller: str) -> tuple[str, ...]:
    image_id, headers = world["images"][visibility], _headers(world, caller)
    if caller == "share":
        token = world["shares"][visibility]
        record = client.get(f"/v1/shared/{token}")
        file = client.get(f"/v1/shared/{token}/file", follow_redirects=False)
        served = file.status_code == 302 and httpx.get(file.headers["location"]).status_code == 200
        return (_yes(record.status_code == 200), _yes(served), NA, NA, NA, NA)
    record = client.get(f"/v1/images/{image_id}", headers=headers)
    file = client.get(f"/v1/images/{image_id}/file", headers=headers, follow_redirects=False)
    served = file.status_code == 302 and httpx.get(file.headers["location"]).status_code == 200
    metadata = client.get(f"/v1/images/{image_id}/metadata", headers=headers)
    located = metadata.status_code == 200 and metadata.json()["metadata"]["gps"] is not None
    owner = world["names"]["owner"]
    listing = client.get("/v1/images", headers=headers, params={"owner": owner, "limit": 200})
    listed = listing.status_code == 200 and image_id in {i["id"] for i in listing.json()["items"]}
    found = client.get("/v1/search", headers=headers, params={"q": WORD}).json()["items"]
    for status, response in (("record", record), ("metadata", metadata)):
        assert response.status_code in (200, 404), (status, response.text)
    return (_yes(record.status_code == 200), _yes(served), _yes(metadata.status_code == 200), _yes(located),
            _yes(listed), _yes(image_id in {i["id"] for i in found}))


def _delivery(client, world, visibility: str) -> dict[str, tuple[int, int]]:
    owner = _headers(world, "owner")
    image = client.get(f"/v1/images/{world['images'][visibility]}", headers=owner).json()
    url = max((v for v in image["variants"] if v["format"] == "jpeg"), key=lambda v: v["width"])["url"]
    plain = url.split("?")[0]
    path = "/" + plain.split("/", 3)[3]
    # Signed with the stack's own key: valid, or valid but expired a minute ago.
    signer = UrlSigner(DeliverySettings().signing_keys)
    signed, expired = (signer.sign(NginxSettings().url, path, lifetime) for lifetime in (600, -60))
    tampered = signed.replace("&s=", "&s=A", 1)
    urls = {"plain": plain, "signed": signed, "expired": expired, "tampered": tampered}
    return {kind: (httpx.get(u).status_code, httpx.get(u).status_code) for kind, u in urls.items()}


def test_every_cell_of_the_access_matrix(client, world):
    seen = {v: {c: _observe(client, world, v, c) for c in CALLERS} for v in VISIBILITIES}
    delivered = {v: _delivery(client, world, v) for v in VISIBILITIES}
    _write_table(seen, delivered)
    assert seen == EXPECTED
    assert delivered == DELIVERY


def test_a_private_image_s_cached_variant_still_wants_a_valid_signature(client, world):
    owner = _headers(world, "owner")
    image = client.get(f"/v1/images/{world['images']['private']}", headers=owner).json()
    url = image["variants"][0]["url"]
    assert [httpx.get(url).headers["x-cache-status"] for _ in range(2)][-1] == "HIT"
    assert httpx.get(url.split("?")[0]).status_code == 403
    assert httpx.get(url.replace("&s=", "&s=B", 1)).status_code == 403


def _write_table(seen, delivered) -> None:
    columns = ("record", "file", "metadata", "location", "owner's listing", "search")
    lines = ["| image | caller | " + " | ".join(columns) + " |", "|---|---|" + "---|" * len(columns)]
    for visibility, row in seen.items():
        lines += [f"| {visibility} | {caller} | " + " | ".join(cells) + " |" for caller, cells in row.items()]
    lines += ["", "| image | URL | 1st request | 2nd request |", "|---|---|---|---|"]
    for visibility, row in delivered.items():
        lines += [f"| {visibility} | {kind} | {a} | {b} |" for kind, (a, b) in row.items()]
    path = Path(os.environ.get("DARKROOM_ACCESS_MATRIX", "/tmp/darkroom-access-matrix.md"))
    path.write_text("\n".join(lines) + "\n")
