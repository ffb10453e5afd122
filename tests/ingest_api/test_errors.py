"""One error shape for everything, auth included (no engines needed)."""

from __future__ import annotations

import pytest
from cassandra.cluster import NoHostAvailable
from ingest_api.errors import TooManyPixels

from tests.ingest_api.conftest import DEV_KEY, KEYS, bearer


def _shape(response) -> tuple[int, str]:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["message"]
    return response.status_code, body["error"]["code"]


CHANGES = [("POST", "/v1/images"), ("POST", "/v1/images/batch"), ("PATCH", "/v1/images/x"),
           ("DELETE", "/v1/images/x"), ("POST", "/v1/images/x/restore"), ("POST", "/v1/keys"),
           ("GET", "/v1/me"), ("POST", "/v1/albums")]
READS = [("GET", "/v1/images?owner=alice"), ("GET", "/v1/images/x"), ("GET", "/v1/search"),
         ("GET", "/v1/tags")]


@pytest.mark.parametrize(("headers", "code", "routes"), [
    ({}, "missing_api_key", CHANGES),
    ({"Authorization": "Basic YWxpY2U6c2VjcmV0"}, "missing_api_key", CHANGES),
    (bearer("not-a-key"), "invalid_api_key", CHANGES + READS),
    (bearer(KEYS["alice"] + "x"), "invalid_api_key", CHANGES + READS),
], ids=["none", "basic", "unknown", "almost"])
def test_changes_want_a_valid_key_and_a_wrong_key_is_refused_even_for_reads(offline_client, headers, code,
                                                                            routes):
    client, _ = offline_client
    for method, path in routes:
        response = client.request(method, path, headers=headers)
        assert _shape(response) == (401, code), (method, path)
        assert response.headers["www-authenticate"] == "Bearer"


def test_framework_errors_come_out_in_the_same_shape(offline_client):
    client, _ = offline_client
    assert _shape(client.get("/nowhere")) == (404, "not_found")
    assert _shape(client.put("/healthz")) == (405, "method_not_allowed")
    assert _shape(client.get("/v1/images?limit=500", headers=bearer(DEV_KEY))) == (422, "invalid_request")
    assert _shape(client.patch("/v1/images/x", headers=bearer(DEV_KEY),
                               json={"visibility": "secret"})) == (422, "invalid_request")


@pytest.mark.parametrize(("error", "status", "code"), [
    (TooManyPixels("big"), 422, "too_many_pixels"),
    (NoHostAvailable("down", {}), 503, "unavailable"),
    (RuntimeError("secret detail"), 500, "internal"),
], ids=["typed", "engine", "unknown"])
def test_core_engine_and_unknown_errors_are_mapped(offline_client, error, status, code):
    client, _ = offline_client

    @client.app.get("/boom")
    def boom():
        raise error

    response = client.get("/boom")
    assert _shape(response) == (status, code)
    assert "secret detail" not in response.text and "Traceback" not in response.text


def test_a_wrong_method_names_every_method_the_path_takes(offline_client):
    client, _ = offline_client
    response = client.put("/v1/images/x", headers=bearer(DEV_KEY))
    assert _shape(response) == (405, "method_not_allowed")
    assert set(response.headers["allow"].split(", ")) == {"GET", "PATCH", "DELETE"}


@pytest.mark.parametrize("fields", [{"title": "a\x00b"}, {"tags": "fine,bell\x07"},
                                    {"description": "red \x1b[31m"}], ids=["nul-title", "bell-tag", "escape"])
def test_control_characters_are_refused_in_words(offline_client, fields):
    client, store = offline_client
    response = client.post("/v1/images", headers=bearer(DEV_KEY), data=fields,
                           files={"file": ("a.jpg", b"\xff\xd8\xff" + b"0" * 100)})
    assert _shape(response) in {(422, "invalid_field"), (422, "corrupt_image")}
    assert store.objects == {}
    patched = client.patch("/v1/images/01J00000000000000000000000", headers=bearer(DEV_KEY), json=fields)
    assert _shape(patched) == (422, "invalid_request")


def test_the_document_says_what_anonymous_callers_may_do_and_what_an_upload_needs(offline_client):
    client, _ = offline_client
    paths = client.get("/openapi.json").json()["paths"]
    assert {} in paths["/v1/images/{image_id}"]["get"]["security"]  # anonymous callers welcome
    assert {} not in paths["/v1/images/{image_id}"]["patch"]["security"]
    form = paths["/v1/images"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["file"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            if path.startswith("/v1/"):
                assert {"401", "422", "429", "503"} <= set(operation["responses"]), (method, path)
