"""Organizations with roles, albums (personal and the organization's) and
sharing, through the real app on the real engines."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.ingest_api import samples
from tests.ingest_api.conftest import bearer, new_key, sign_in

pytestmark = pytest.mark.integration


def _code(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


@pytest.fixture(scope="module")
def people(client):
    run = uuid.uuid4().hex[:6]
    names = {role: f"o{role[:3]}{run}" for role in ("owner", "admin", "member", "viewer", "outsider")}
    keys = {role: bearer(new_key(client, sign_in(client, name))) for role, name in names.items()}
    org = f"acme{run}"
    created = client.post("/v1/orgs", headers=keys["owner"], json={"id": org, "name": "Acme"})
    assert created.status_code == 201, created.text
    assert _code(client.post("/v1/orgs", headers=keys["outsider"], json={"id": org, "name": "Mine"})) == (
        409, "org_taken")
    for role in ("admin", "member", "viewer"):
        response = client.put(f"/v1/orgs/{org}/members", headers=keys["owner"],
                              json={"username": names[role], "role": role})
        assert response.status_code == 200, response.text
    return {"names": names, "keys": keys, "org": org}


def test_roles_decide_who_manages_the_organization(client, people):
    org, keys, names = people["org"], people["keys"], people["names"]
    body = client.get(f"/v1/orgs/{org}", headers=keys["viewer"]).json()
    assert body["members"] == {names[r]: r for r in ("owner", "admin", "member", "viewer")}
    assert _code(client.get(f"/v1/orgs/{org}", headers=keys["outsider"])) == (404, "not_found")
    assert _code(client.put(f"/v1/orgs/{org}/members", headers=keys["member"],
                            json={"username": names["outsider"], "role": "viewer"})) == (403, "forbidden")
    assert _code(client.put(f"/v1/orgs/{org}/members", headers=keys["admin"],
                            json={"username": names["outsider"], "role": "owner"})) == (403, "forbidden")
    assert _code(client.put(f"/v1/orgs/{org}/members", headers=keys["admin"],
                            json={"username": "nobody-at-all", "role": "viewer"})) == (422, "unknown_user")
    assert _code(client.delete(f"/v1/orgs/{org}/members/{names['owner']}", headers=keys["owner"])) == (
        422, "last_owner")


def test_members_upload_into_the_organization_s_albums_and_viewers_only_read(client, people):
    org, keys = people["org"], people["keys"]
    assert _code(client.post("/v1/albums", headers=keys["member"], json={"name": "No", "org": org})) == (
        403, "forbidden")
    album = client.post("/v1/albums", headers=keys["admin"], json={"name": "Launch", "org": org}).json()
    assert album["account"] == f"org:{org}"

    photo = samples.noisy_jpeg((200, 150), seed=1200)
    uploaded = client.post("/v1/images", headers=keys["member"], params={"album": album["id"]},
                           files={"file": ("a.jpg", photo)}, data={"visibility": "private"})
    assert uploaded.status_code == 202, uploaded.text
    image_id = uploaded.json()["id"]
    refused = client.post("/v1/images", headers=keys["viewer"], params={"album": album["id"]},
                          files={"file": ("b.jpg", samples.noisy_jpeg((200, 150), seed=1201))})
    assert _code(refused) == (403, "forbidden")
    assert _code(client.post("/v1/images", headers=keys["outsider"], params={"album": album["id"]},
                             files={"file": ("c.jpg", photo)})) == (404, "not_found")

    # The organization's storage, not the member's, pays for it.
    assert client.get(f"/v1/orgs/{org}", headers=keys["viewer"]).json()["usage"]["used_bytes"] == len(photo)
    assert client.get("/v1/me", headers=keys["member"]).json()["usage"]["used_bytes"] == 0

    # Every role sees the private image; nobody outside does.
    for role in ("owner", "admin", "member", "viewer"):
        assert client.get(f"/v1/images/{image_id}", headers=keys[role]).status_code == 200, role
    assert client.get(f"/v1/images/{image_id}", headers=keys["outsider"]).status_code == 404
    listed = client.get(f"/v1/albums/{album['id']}/images", headers=keys["viewer"]).json()["items"]
    assert [i["id"] for i in listed] == [image_id]
    outside = client.get(f"/v1/albums/{album['id']}/images", headers=keys["outsider"])
    assert _code(outside) == (404, "not_found")
    # A viewer cannot change it; an admin can.
    assert _code(client.patch(f"/v1/images/{image_id}", headers=keys["viewer"], json={"title": "x"})) == (
        403, "forbidden")
    edited = client.patch(f"/v1/images/{image_id}", headers=keys["admin"], json={"title": "Launch"})
    assert edited.status_code == 200


def test_albums_are_created_renamed_filled_ordered_searched_and_deleted(client, people):
    keys = people["keys"]
    me = keys["outsider"]  # a personal album of someone in no organization
    album = client.post("/v1/albums", headers=me, json={"name": "Trip"}).json()
    ids = []
    for seed in (1210, 1211, 1212):
        response = client.post("/v1/images", headers=me, data={"title": f"trip {seed}"},
                               files={"file": ("t.jpg", samples.noisy_jpeg(seed=seed))})
        ids.append(response.json()["id"])
    changed = client.post(f"/v1/albums/{album['id']}/images", headers=me, json={"add": ids})
    assert changed.json() == ids
    reordered = client.post(f"/v1/albums/{album['id']}/images", headers=me, json={"order": ids[::-1]})
    assert reordered.json() == ids[::-1]
    removed = client.post(f"/v1/albums/{album['id']}/images", headers=me, json={"remove": [ids[1]]})
    assert removed.json() == [ids[2], ids[0]]
    page = client.get(f"/v1/albums/{album['id']}/images", headers=me, params={"limit": 1}).json()
    assert [i["id"] for i in page["items"]] == [ids[2]] and page["next_cursor"]
    rest = client.get(f"/v1/albums/{album['id']}/images", headers=me,
                      params={"limit": 1, "cursor": page["next_cursor"]}).json()
    assert [i["id"] for i in rest["items"]] == [ids[0]]
    # The image's albums: the owner sees this one; others (the image is public) see none.
    assert [a["id"] for a in client.get(f"/v1/images/{ids[0]}/albums", headers=me).json()] == [album["id"]]
    assert client.get(f"/v1/images/{ids[1]}/albums", headers=me).json() == []
    assert client.get(f"/v1/images/{ids[0]}/albums", headers=keys["member"]).json() == []
    assert client.get(f"/v1/images/{ids[0]}/albums").json() == []

    renamed = client.patch(f"/v1/albums/{album['id']}", headers=me, json={"name": "Trip 2026"})
    assert renamed.json()["name"] == "Trip 2026"
    assert album["id"] in {a["id"] for a in client.get("/v1/albums", headers=me).json()["items"]}
    # Someone else's image cannot go in; nor can anyone touch this album.
    other = client.post("/v1/images", headers=keys["member"],
                        files={"file": ("o.jpg", samples.noisy_jpeg(seed=1213))}).json()["id"]
    assert _code(client.post(f"/v1/albums/{album['id']}/images", headers=me, json={"add": [other]})) == (
        403, "forbidden")
    assert _code(client.patch(f"/v1/albums/{album['id']}", headers=keys["member"], json={"name": "x"})) == (
        404, "not_found")

    # search `album=` once the index has the memberships (the relay's events).
    deadline = time.monotonic() + 60
    while True:
        found = client.get("/v1/search", headers=me, params={"album": album["id"]}).json()
        if {i["id"] for i in found["items"]} == {ids[0], ids[2]} or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert {i["id"] for i in found["items"]} <= {ids[0], ids[2]}  # only indexed images can be found
    assert _code(client.get("/v1/search", params={"album": album["id"]})) == (404, "not_found")

    assert client.delete(f"/v1/albums/{album['id']}", headers=me).status_code == 204
    assert client.get(f"/v1/images/{ids[0]}", headers=me).status_code == 200  # its images stay
    assert client.get(f"/v1/images/{ids[0]}/albums", headers=me).json() == []
    assert _code(client.get(f"/v1/albums/{album['id']}/images", headers=me)) == (404, "not_found")


def test_collaborators_and_share_links(client, people):
    keys, names = people["keys"], people["names"]
    owner, guest = keys["outsider"], keys["viewer"]
    photo = {"file": ("s.jpg", samples.noisy_jpeg(seed=1220))}
    uploaded = client.post("/v1/images", headers=owner, files=photo, data={"visibility": "private"})
    image_id = uploaded.json()["id"]
    assert client.get(f"/v1/images/{image_id}", headers=guest).status_code == 404
    added = client.post(f"/v1/images/{image_id}/collaborators", headers=owner,
                        json={"username": names["viewer"], "permission": "view"})
    assert added.json()["collaborators"] == {names["viewer"]: "view"}
    assert client.get(f"/v1/images/{image_id}", headers=guest).status_code == 200
    refused = client.patch(f"/v1/images/{image_id}", headers=guest, json={"title": "x"})
    assert _code(refused) == (403, "forbidden")
    client.post(f"/v1/images/{image_id}/collaborators", headers=owner,
                json={"username": names["viewer"], "permission": "edit"})
    assert client.patch(f"/v1/images/{image_id}", headers=guest, json={"title": "edited"}).status_code == 200
    assert _code(client.patch(f"/v1/images/{image_id}", headers=guest, json={"visibility": "public"})) == (
        403, "forbidden")  # who may see it is the owner's call
    assert _code(client.post(f"/v1/images/{image_id}/collaborators", headers=guest,
                             json={"username": names["member"], "permission": "view"})) == (403, "forbidden")
    client.post(f"/v1/images/{image_id}/collaborators", headers=owner,
                json={"username": names["viewer"], "permission": None})
    assert client.get(f"/v1/images/{image_id}", headers=guest).status_code == 404

    share = client.post(f"/v1/images/{image_id}/shares", headers=owner,
                        json={"permission": "view", "expires_in_s": 2}).json()
    assert share["url"].endswith(f"/v1/shared/{share['token']}")
    assert client.get(f"/v1/shared/{share['token']}").json()["id"] == image_id  # anonymous, by the link
    assert _code(client.patch(f"/v1/shared/{share['token']}", json={"title": "no"})) == (403, "forbidden")
    time.sleep(2.5)
    assert _code(client.get(f"/v1/shared/{share['token']}")) == (404, "not_found")  # expired
    assert _code(client.post(f"/v1/images/{image_id}/shares", headers=owner,
                             json={"expires_in_s": 10**9})) == (422, "invalid_field")
    assert _code(client.get("/v1/shared/made-up-token")) == (404, "not_found")
