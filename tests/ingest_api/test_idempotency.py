"""Idempotency-Key on uploads, through the real app on the real engines:
a retry gets the first answer and never a second image, on any replica;
another body under the same key is refused; answers that say "retry" are
not kept."""

from __future__ import annotations

import hashlib
import random
import threading
import uuid

import pytest
from fastapi.testclient import TestClient
from ingest_api import idempotency, ingest
from ingest_api.main import create_app

from connectors.idempotency import IdempotencyKeys
from connectors.kafka import EventBus, Unconfirmed
from tests.ingest_api import samples
from tests.ingest_api.conftest import KEYS, bearer

pytestmark = pytest.mark.integration


def _jpeg() -> bytes:
    return samples.noisy_jpeg(seed=random.randrange(10**6, 10**9))  # unlike any other test's


def _post(client: TestClient, user: str, key: str | None, data: bytes, title: str = "one", **extra):
    headers = {**bearer(KEYS[user]), **({"Idempotency-Key": key} if key else {})}
    return client.post("/v1/images", headers=headers, files={"file": ("a.jpg", data)},
                       data={"title": title}, **extra)


def _batch(client: TestClient, user: str, key: str, files: list[tuple[str, bytes]]):
    return client.post("/v1/images/batch", headers={**bearer(KEYS[user]), "Idempotency-Key": key},
                       files=[("files", f) for f in files])


def _images_of(state, owner: str, sha256: str) -> list[str]:
    return [r.id for r in state.images.list_by_owner(owner, None, 200)[0] if r.sha256 == sha256]


def test_a_retry_gets_the_first_answer_and_no_second_image(client, state):
    key, data = uuid.uuid4().hex, _jpeg()
    first = _post(client, "alice", key, data)
    again = _post(client, "alice", key, data)
    assert first.status_code == again.status_code == 202, again.text
    assert again.json() == first.json()  # 202 again, not "200 duplicate": the same answer
    assert _images_of(state, "alice", hashlib.sha256(data).hexdigest()) == [first.json()["id"]]
    assert state.store.originals.keys("staging/") == []  # the retry's staged copy is gone


def test_the_same_key_with_another_body_is_refused_and_commits_nothing(client, state):
    key, data, other = uuid.uuid4().hex, _jpeg(), _jpeg()
    assert _post(client, "alice", key, data).status_code == 202
    for body in ({"data": other}, {"data": data, "title": "two"}):
        refused = _post(client, "alice", key, **body)
        assert (refused.status_code, refused.json()["error"]["code"]) == (422, "idempotency_key_reused")
    assert _images_of(state, "alice", hashlib.sha256(other).hexdigest()) == []
    assert state.store.originals.keys("staging/") == []


def test_a_key_is_its_owners(client):
    key, data = uuid.uuid4().hex, _jpeg()
    mine, theirs = _post(client, "alice", key, data), _post(client, "bob", key, data)
    assert mine.status_code == theirs.status_code == 202
    assert mine.json()["id"] != theirs.json()["id"]


def test_another_replica_answers_the_same(client):
    key, data = uuid.uuid4().hex, _jpeg()
    first = _post(client, "alice", key, data)
    with TestClient(create_app()) as replica:  # its own engine clients; the key lives in Cassandra
        assert _post(replica, "alice", key, data).json() == first.json()


def test_a_request_that_died_before_answering_is_completed_by_its_retry(client, state, monkeypatch):
    key, data = uuid.uuid4().hex, _jpeg()

    class Died(Exception):
        pass

    def dies(*_args, **_kwargs):
        raise Died("the API process died after committing, before answering")

    monkeypatch.setattr(IdempotencyKeys, "remember", dies)
    with pytest.raises(Died):
        _post(client, "alice", key, data)
    monkeypatch.undo()
    [made] = _images_of(state, "alice", hashlib.sha256(data).hexdigest())
    retry = _post(client, "alice", key, data)
    assert retry.status_code == 200 and (retry.json()["id"], retry.json()["duplicate"]) == (made, True)
    assert _post(client, "alice", key, data).json() == retry.json()  # and that answer is kept


def test_an_answer_that_says_retry_is_not_kept(client, state, monkeypatch):
    key, data = uuid.uuid4().hex, _jpeg()

    def kafka_away(*_args, **_kwargs):
        raise Unconfirmed("as if Kafka did not confirm in time")

    with monkeypatch.context() as mp:
        mp.setattr(EventBus, "publish", kafka_away)
        away = _post(client, "alice", key, data)
    assert (away.status_code, away.json()["error"]["code"]) == (503, "unavailable")
    assert _post(client, "alice", key, data).status_code == 202


def test_a_batch_is_replayed_file_by_file(client, state):
    key, good, bad = uuid.uuid4().hex, _jpeg(), b"not an image at all" * 10
    first = _batch(client, "alice", key, [("a.jpg", good), ("b.jpg", bad)])
    again = _batch(client, "alice", key, [("a.jpg", good), ("b.jpg", bad)])
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert (first.json()["accepted"], first.json()["rejected"]) == (1, 1)
    refused = _batch(client, "alice", key, [("a.jpg", good)])
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "idempotency_key_reused")


def test_concurrent_requests_with_one_key_agree(client, state):
    key, data = uuid.uuid4().hex, _jpeg()
    answers: list = []
    threads = [threading.Thread(target=lambda: answers.append(_post(client, "alice", key, data)))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Each either has the one image or was told to retry (the bytes were being claimed).
    ids = {a.json()["id"] for a in answers if a.status_code in (200, 202)}
    assert len(ids) == 1, [a.text for a in answers]
    assert all(a.status_code in (200, 202, 409) for a in answers)
    assert _images_of(state, "alice", hashlib.sha256(data).hexdigest()) == list(ids)


@pytest.mark.parametrize("key", ["", "x" * 256, "schlüssel".encode("latin-1"), "two words"],
                         ids=["empty", "long", "non-ascii", "space"])
def test_a_malformed_key_is_refused(client, key):
    response = client.post("/v1/images", headers={**bearer(KEYS["alice"]), "Idempotency-Key": key},
                           files={"file": ("a.jpg", _jpeg())})
    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_request")


def test_the_fingerprint_is_the_form_not_its_encoding():
    class Form:
        def __init__(self, fields, files):
            self.fields, self.files = fields, files

    staged = ingest.Staged("staging/x", "ab" * 32, 3, None)  # type: ignore[arg-type]
    same = idempotency.fingerprint("upload", Form({"title": "a", "tags": "b"}, [("a.jpg", staged)]))
    assert same == idempotency.fingerprint("upload", Form({"tags": "b", "title": "a"}, [("a.jpg", staged)]))
    assert same != idempotency.fingerprint("batch", Form({"title": "a", "tags": "b"}, [("a.jpg", staged)]))
    assert same != idempotency.fingerprint("upload", Form({"title": "a"}, [("a.jpg", staged)]))
    assert same != idempotency.fingerprint("upload", Form({"title": "a", "tags": "b"}, [("b.jpg", staged)]))
