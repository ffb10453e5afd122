"""Accounts, sessions and API keys through the real app on the real engines:
sign-up, login, rotating refresh tokens with reuse detection, logout, keys
with scopes, and clear errors for every bad input."""

from __future__ import annotations

import os
import time
import uuid

import jwt
import pytest

from tests.ingest_api import samples
from tests.ingest_api.conftest import KEYS, PASSWORD, bearer, new_key, sign_in

pytestmark = pytest.mark.integration


def _code(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def _user() -> str:
    return f"u{uuid.uuid4().hex[:10]}"


def test_signup_login_me_and_the_errors_around_them(client):
    name = _user()
    assert client.post("/v1/auth/signup", json={"username": name, "password": PASSWORD}).status_code == 201
    assert _code(client.post("/v1/auth/signup", json={"username": name, "password": PASSWORD})) == (
        409, "username_taken")
    assert _code(client.post("/v1/auth/signup", json={"username": "Not A Name", "password": PASSWORD})) == (
        422, "invalid_username")
    assert _code(client.post("/v1/auth/signup", json={"username": _user(), "password": "short"})) == (
        422, "weak_password")
    assert _code(client.post("/v1/auth/signup", json={"username": _user(), "password": PASSWORD,
                                                      "admin": True})) == (422, "invalid_request")
    assert _code(client.post("/v1/auth/login", json={"username": name, "password": "wrong password"})) == (
        401, "invalid_credentials")
    assert _code(client.post("/v1/auth/login", json={"username": _user(), "password": PASSWORD})) == (
        401, "invalid_credentials")  # an unknown user reads the same as a wrong password

    tokens = client.post("/v1/auth/login", json={"username": name, "password": PASSWORD}).json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 900
    me = client.get("/v1/me", headers=bearer(tokens["access_token"])).json()
    assert (me["username"], me["scopes"], me["is_admin"]) == (name, ["read", "upload"], False)
    assert me["usage"] == {"used_bytes": 0, "quota_bytes": 10 * 1024**3}


def test_a_refresh_token_works_once_and_its_reuse_ends_the_login(client):
    name = _user()
    first = sign_in(client, name)
    second = client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert client.get("/v1/me", headers=bearer(second["access_token"])).status_code == 200

    # The first token again: replayed, or stolen. The whole family is revoked.
    assert _code(client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})) == (
        401, "token_reused")
    assert _code(client.post("/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})) == (
        401, "invalid_token")
    assert _code(client.get("/v1/me", headers=bearer(second["access_token"]))) == (401, "invalid_token")
    # Another login of the same user is not touched.
    other = sign_in(client, name)
    assert client.get("/v1/me", headers=bearer(other["access_token"])).status_code == 200


def test_logout_ends_that_login_at_once(client):
    tokens = sign_in(client, _user())
    assert client.post("/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}).status_code == 204
    assert _code(client.get("/v1/me", headers=bearer(tokens["access_token"]))) == (401, "invalid_token")
    assert _code(client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})) == (
        401, "invalid_token")


@pytest.mark.parametrize("token", ["not.a.jwt", "a" * 40 + ".b.c", "", "x" * 5000],
                         ids=["garbage", "bad-segments", "empty", "huge"])
def test_malformed_tokens_are_401_never_500(client, token):
    response = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] in {"invalid_token", "invalid_api_key", "missing_api_key"}


def test_an_expired_or_forged_access_token_is_refused(client, state):
    name = _user()
    sign_in(client, name)
    secret = state.settings.jwt_secret.get_secret_value()
    family = "0" * 32
    expired = jwt.encode({"sub": name, "fid": family, "exp": int(time.time()) - 5, "typ": "access"},
                         secret, algorithm="HS256")
    assert _code(client.get("/v1/me", headers=bearer(expired))) == (401, "token_expired")
    forged = jwt.encode({"sub": name, "fid": family, "exp": int(time.time()) + 60, "typ": "access"},
                        "someone-elses-secret-of-32-characters!", algorithm="HS256")
    assert _code(client.get("/v1/me", headers=bearer(forged))) == (401, "invalid_token")
    no_family = jwt.encode({"sub": name, "fid": family, "exp": int(time.time()) + 60, "typ": "access"},
                           secret, algorithm="HS256")
    assert _code(client.get("/v1/me", headers=bearer(no_family))) == (401, "invalid_token")


def test_keys_are_shown_once_scoped_listed_and_revocable(client):
    tokens = sign_in(client, _user())
    session = bearer(tokens["access_token"])
    created = client.post("/v1/keys", headers=session, json={"name": "laptop", "scopes": ["read"]})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["key"].startswith("dk_live_") and body["key"].startswith(body["prefix"])
    assert body["scopes"] == ["read"]
    listed = client.get("/v1/keys", headers=session).json()
    assert [(k["id"], k["prefix"], k["revoked"]) for k in listed] == [(body["id"], body["prefix"], False)]
    assert "key" not in listed[0]  # never shown again

    reader = bearer(body["key"])
    assert client.get("/v1/me", headers=reader).status_code == 200
    photo = {"file": ("a.jpg", samples.noisy_jpeg(seed=900))}
    refused = client.post("/v1/images", headers=reader, files=photo)
    assert _code(refused) == (403, "insufficient_scope")
    assert client.get("/v1/keys", headers=session).json()[0]["last_used_at"] is not None

    assert _code(client.post("/v1/keys", headers=session, json={"name": "root", "scopes": ["admin"]})) == (
        403, "insufficient_scope")
    assert _code(client.post("/v1/keys", headers=session, json={"name": "x", "scopes": ["fly"]})) == (
        422, "invalid_request")

    assert client.delete(f"/v1/keys/{body['id']}", headers=session).status_code == 204
    assert _code(client.get("/v1/me", headers=reader)) == (401, "invalid_api_key")
    assert _code(client.delete("/v1/keys/nope", headers=session)) == (404, "not_found")


def test_only_an_admin_sets_quotas(client):
    name = _user()
    tokens = sign_in(client, name)
    quota = {"bytes": 1234}
    assert _code(client.put(f"/v1/admin/users/{name}/quota", headers=bearer(tokens["access_token"]),
                            json=quota)) == (403, "insufficient_scope")
    dev = bearer(_dev_key())
    assert client.put(f"/v1/admin/users/{name}/quota", headers=dev, json=quota).status_code == 204
    assert client.get("/v1/me", headers=bearer(tokens["access_token"])).json()["usage"]["quota_bytes"] == 1234
    nobody = client.put("/v1/admin/users/nobody-here/quota", headers=dev, json=quota)
    assert _code(nobody) == (404, "not_found")
    assert _code(client.put(f"/v1/admin/users/{name}/quota", headers=dev, json={"bytes": -1})) == (
        422, "invalid_request")


def test_the_dev_key_belongs_to_the_user_dev(client):
    me = client.get("/v1/me", headers=bearer(_dev_key())).json()
    assert (me["username"], me["is_admin"]) == ("dev", True)
    assert KEYS["alice"].startswith("dk_live_")  # the test users' keys are real ones
    assert new_key(client, sign_in(client, "alice"), ("read",)) != KEYS["alice"]


def _dev_key() -> str:
    return os.environ["DARKROOM_API_DEV_API_KEY"]  # the bootstrap made it the user dev's key
