"""Fixtures of the ingest API tests.

Unit tests get `offline_client`: the real app, settings from a made-up
environment whose engines are closed ports, and the project's own interfaces
that would reach them faked: the originals bucket (connectors.minio.Bucket),
who a key belongs to (ingest_api.auth.Authenticator), quotas, rate limits and
organizations; so only paths that never reach Cassandra or Kafka run there.
Integration tests get `client`: the real app on the session's throwaway
stack (tests/conftest.py), where alice, bob, carol and dana sign up once per
session and get API keys (KEYS) through the API itself.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Collection, Iterator

import pytest
from fastapi.testclient import TestClient
from ingest_api.auth import Principal
from ingest_api.errors import Unauthenticated
from ingest_api.main import create_app

from connectors import kafka
from connectors.accounts import SCOPES
from connectors.settings import KafkaSettings

# alice and bob share images; carol only ever sends refused files; dana is the paging test's.
# Placeholders until the session's users get real keys (the `client` fixture fills them in).
KEYS = {"alice": "alice-key-7Yq2mVb9Lr4x", "bob": "bob-key-Pw3nTz8Kd6Hs",
        "carol": "carol-key-Jx5cQe2Ua8Rn", "dana": "dana-key-Mf4hWs7Gy3Bt"}
PASSWORD = "correct horse battery staple"
DEV_KEY = "dev-key-for-unit-tests-only"
OFFLINE_SECRETS = {"DARKROOM_API_JWT_SECRET": "j" * 40, "DARKROOM_MINIO_SECRET_KEY": "not-a-real-secret",
                   "DARKROOM_DELIVERY_SIGNING_KEYS": "k1:" + "s" * 32, "DARKROOM_DELIVERY_PURGE_TOKEN": "p",
                   "DARKROOM_DELIVERY_ORIGIN_SECRET": "o"}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


class FakeBucket:
    """The Bucket calls the upload path makes, over a dict."""

    name = "fake-originals"

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put_stream(self, key, reader, part_size):
        body = bytearray()
        while chunk := reader.read(part_size + 1):  # reads as the real client does: a part at a time
            body += chunk
        self.objects[key] = bytes(body)

    def read_range(self, key, offset, length):
        return self.objects[key][offset:offset + length]

    def remove(self, key):
        self.objects.pop(key, None)


class FakeAuth:
    """Who a key belongs to, over KEYS and DEV_KEY (every scope)."""

    def principal(self, bearer: str) -> Principal:
        users = {key: user for user, key in KEYS.items()} | {DEV_KEY: "dev"}
        if bearer not in users:
            raise Unauthenticated("the API key is not valid", code="invalid_api_key")
        return Principal(users[bearer], frozenset(SCOPES))


class Unlimited:
    def check(self, *_: object) -> None:
        pass


class NoOrgs:
    def of_user(self, _: str) -> dict[str, str]:
        return {}


@pytest.fixture()
def offline_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, FakeBucket]]:
    for name in list(os.environ):
        if name.startswith("DARKROOM_"):
            monkeypatch.delenv(name)
    for name, value in OFFLINE_SECRETS.items():
        monkeypatch.setenv(name, value)
    # Anything that slips past the fake fails at once instead of finding a real stack.
    monkeypatch.setenv("DARKROOM_CASSANDRA_PORT", "1")
    monkeypatch.setenv("DARKROOM_KAFKA_BOOTSTRAP", "127.0.0.1:1")
    monkeypatch.setenv("DARKROOM_MINIO_ENDPOINT", "127.0.0.1:1")
    bucket = FakeBucket()
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        state = client.app.state
        state.store.originals, state.auth, state.orgs = bucket, FakeAuth(), NoOrgs()
        state.limiter = state.quotas = Unlimited()
        yield client, bucket


def sign_in(client: TestClient, user: str, password: str = PASSWORD) -> dict:
    """Sign `user` up (once) and in; the login's tokens."""
    client.post("/v1/auth/signup", json={"username": user, "password": password})
    response = client.post("/v1/auth/login", json={"username": user, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


def new_key(client: TestClient, tokens: dict, scopes: Collection[str] = ("upload", "read"),
            name: str = "tests") -> str:
    response = client.post("/v1/keys", headers=bearer(tokens["access_token"]),
                           json={"name": name, "scopes": list(scopes)})
    assert response.status_code == 201, response.text
    return response.json()["key"]


_signed_up: set[str] = set()


@pytest.fixture(scope="module")
def client(stack) -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        for user in KEYS:
            if user not in _signed_up:  # once per session: KEYS then holds their real keys
                KEYS[user] = new_key(test_client, sign_in(test_client, user))
                _signed_up.add(user)
        yield test_client


@pytest.fixture(scope="module")
def state(client: TestClient):
    """What the app made at start: settings, limits, images, store, bus, index, cache, delivery."""
    return client.app.state


def upload(client: TestClient, user: str, data: bytes, filename: str = "photo.jpg",
           content_type: str = "image/jpeg", params: dict | None = None, **fields: str):
    return client.post("/v1/images", headers=bearer(KEYS[user]), params=params or {},
                       files={"file": (filename, data, content_type)}, data=fields)


def events_for(topic: str, image_ids: str | Collection[str], count: int = 1, timeout_s: float = 20,
               match: Callable[[bytes], bool] | None = None) -> list[bytes]:
    """Values of `topic` keyed by one of `image_ids` (and passing `match`),
    read from the start in a fresh group, until `count` are seen or time is up."""
    wanted = {image_ids.encode()} if isinstance(image_ids, str) else {i.encode() for i in image_ids}
    consumer = kafka.consumer(KafkaSettings(), group=f"test-{uuid.uuid4().hex[:8]}")
    consumer.subscribe([topic])
    found: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and len(found) < count:
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            if message.key() in wanted and (match is None or match(message.value())):
                found.append(message.value())
    finally:
        consumer.close()
    return found
