"""Quotas and rate limits on the real engines: a refusal leaves nothing
behind, usage stays right across dedup, delete, restore and purge,
thresholds are announced, and 429 answers recover."""

from __future__ import annotations

import os
import time
import uuid

import pytest

from schemas import topics
from schemas.events import QuotaWarning
from tests.ingest_api import samples
from tests.ingest_api.conftest import bearer, events_for, new_key, sign_in

pytestmark = pytest.mark.integration


def _user(client) -> tuple[str, dict[str, str]]:
    name = f"q{uuid.uuid4().hex[:10]}"
    return name, bearer(new_key(client, sign_in(client, name)))


def _usage(client, headers) -> int:
    return client.get("/v1/me", headers=headers).json()["usage"]["used_bytes"]


def _set_quota(client, name: str, quota: int) -> None:
    dev = bearer(os.environ["DARKROOM_API_DEV_API_KEY"])
    assert client.put(f"/v1/admin/users/{name}/quota", headers=dev, json={"bytes": quota}).status_code == 204


def _post(client, headers, data: bytes, **params):
    return client.post("/v1/images", headers=headers, params=params, files={"file": ("p.jpg", data)})


def test_a_quota_refusal_leaves_nothing_behind_and_usage_stays_right(client, state):
    name, headers = _user(client)
    first, second = samples.noisy_jpeg((300, 200), seed=1100), samples.noisy_jpeg((300, 200), seed=1101)
    _set_quota(client, name, len(first) + len(second) // 2)

    accepted = _post(client, headers, first)
    assert accepted.status_code == 202, accepted.text
    assert _usage(client, headers) == len(first)
    assert _post(client, headers, first).status_code == 200  # a duplicate costs nothing
    assert _usage(client, headers) == len(first)

    refused = _post(client, headers, second)
    assert (refused.status_code, refused.json()["error"]["code"]) == (413, "quota_exceeded")
    assert "of" in refused.json()["error"]["message"]  # says the usage and the limit
    assert _usage(client, headers) == len(first)
    assert state.store.originals.keys(f"originals/{name}/") == [
        f"originals/{name}/{state.images.get(accepted.json()['id']).sha256}"]
    assert state.store.originals.keys("staging/") == []
    assert [r.id for r in state.images.list_by_owner(name, None, 10)[0]] == [accepted.json()["id"]]

    image_id = accepted.json()["id"]
    assert client.delete(f"/v1/images/{image_id}", headers=headers).status_code == 204
    assert _usage(client, headers) == len(first)  # deleted, still restorable: still counted
    assert client.post(f"/v1/images/{image_id}/restore", headers=headers).status_code == 200
    assert _usage(client, headers) == len(first)
    purged = client.delete(f"/v1/images/{image_id}", params={"purge": "true"}, headers=headers)
    assert purged.status_code == 204
    assert _usage(client, headers) == 0
    assert _post(client, headers, second).status_code == 202  # the room is back


def test_a_request_declared_bigger_than_the_room_is_refused_before_it_is_read(client, state):
    name, headers = _user(client)
    _set_quota(client, name, 10_000)
    files = [("files", (f"{i}.jpg", samples.noisy_jpeg((700, 500), seed=1110 + i))) for i in range(3)]
    refused = client.post("/v1/images/batch", headers=headers, files=files)
    assert (refused.status_code, refused.json()["error"]["code"]) == (413, "quota_exceeded")
    assert state.store.originals.keys(f"originals/{name}/") == []


def test_crossing_80_and_95_percent_is_announced(client):
    name, headers = _user(client)
    photo = samples.noisy_jpeg((300, 200), seed=1120)
    _set_quota(client, name, int(len(photo) / 0.96))  # this one upload passes both thresholds
    image_id = _post(client, headers, photo).json()["id"]
    warnings = [QuotaWarning.parse(v) for v in events_for(topics.ACCOUNT_QUOTA.name, image_id, 2)]
    assert sorted(w.threshold for w in warnings) == [0.8, 0.95]
    assert {(w.account, w.used_bytes) for w in warnings} == {(f"user:{name}", len(photo))}


def test_rate_limits_answer_429_with_retry_after_and_recover(client, state, monkeypatch):
    _, headers = _user(client)
    monkeypatch.setattr(state.settings, "rate_window_s", 3)
    monkeypatch.setattr(state.settings, "reads_per_minute", 4)
    # Start at the beginning of a window, so the four allowed reads fall in one.
    time.sleep(3 - time.time() % 3)
    answers = [client.get("/v1/me", headers=headers) for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
    assert answers[-1].json()["error"]["code"] == "rate_limited"
    retry = int(answers[-1].headers["retry-after"])
    assert 1 <= retry <= 4
    time.sleep(retry)
    assert client.get("/v1/me", headers=headers).status_code == 200
    # Anonymous readers are counted by address, apart from keys.
    assert client.get("/v1/tags").status_code == 200
