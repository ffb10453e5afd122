"""Fixtures of the ingest API tests.

Unit tests get `offline_client`: the real app, settings from a made-up
environment whose engines are closed ports, and the originals bucket replaced
by an in-memory fake of connectors.minio.Bucket, so only paths that never
reach Cassandra or Kafka run there.
Integration tests get `client`: the real app on the session's throwaway
stack (tests/conftest.py), with more users than dev (KEYS).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Collection, Iterator

import pytest
from fastapi.testclient import TestClient
from ingest_api.main import create_app

from connectors import kafka
from connectors.settings import KafkaSettings

# alice and bob share images; carol only ever sends refused files; dana is the paging test's.
KEYS = {"alice": "alice-key-7Yq2mVb9Lr4x", "bob": "bob-key-Pw3nTz8Kd6Hs",
        "carol": "carol-key-Jx5cQe2Ua8Rn", "dana": "dana-key-Mf4hWs7Gy3Bt"}
DEV_KEY = "dev-key-for-unit-tests-only"


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


@pytest.fixture()
def offline_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, FakeBucket]]:
    for name in list(os.environ):
        if name.startswith("DARKROOM_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DARKROOM_API_DEV_API_KEY", DEV_KEY)
    monkeypatch.setenv("DARKROOM_API_KEYS", ",".join(f"{k}:{u}" for u, k in KEYS.items()))
    monkeypatch.setenv("DARKROOM_MINIO_SECRET_KEY", "not-a-real-secret")
    # Anything that slips past the fake fails at once instead of finding a real stack.
    monkeypatch.setenv("DARKROOM_CASSANDRA_PORT", "1")
    monkeypatch.setenv("DARKROOM_KAFKA_BOOTSTRAP", "127.0.0.1:1")
    monkeypatch.setenv("DARKROOM_MINIO_ENDPOINT", "127.0.0.1:1")
    bucket = FakeBucket()
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        client.app.state.store.originals = bucket
        yield client, bucket


@pytest.fixture(scope="module")
def client(stack) -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DARKROOM_API_KEYS", ",".join(f"{k}:{u}" for u, k in KEYS.items()))
        if "DARKROOM_API_DEV_API_KEY" not in os.environ:
            mp.setenv("DARKROOM_API_DEV_API_KEY", DEV_KEY)
        with TestClient(create_app()) as test_client:
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
