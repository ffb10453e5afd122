"""Each engine away, for real (its container paused or stopped), with the
deployed workers and API (section 1 of the runner's taxonomy, on the
engines): a worker keeps retrying the record it holds, logging each attempt
as `unavailable`, and finishes it once the engine is back, without
dead-lettering it or restarting; the API answers 503 `unavailable` while
an engine it needs is away, and takes uploads again once it is back.
"""

from __future__ import annotations

import random
import time
import uuid

import httpx
import pytest

from connectors.records import READY
from schemas import topics
from tests.faults import audit, session
from tests.faults.photos import encode, picture
from tests.faults.traffic import Observer
from tests.streams.stages import publish, seed_upload

pytestmark = pytest.mark.integration

OWNER = "engines-away"
RETRIES = 3  # attempts seen failing before the engine comes back

# engine: (how it goes away, the stage that meets it first)
WORKERS_MEET = {
    "cassandra": ("pause", "resize"),
    "minio": ("stop", "resize"),
    "elasticsearch": ("stop", "indexing"),
}
# engine: how it goes away for the API, which needs it to take an upload (or to search)
API_NEEDS = {"cassandra": "pause", "minio": "stop", "kafka": "stop", "elasticsearch": "stop"}


@pytest.fixture(scope="module")
def control(docker_client, stack):
    yield from session.deployed(docker_client, stack, [OWNER])


def _away(control, engine: str, how: str) -> None:
    control.pause(engine) if how == "pause" else control.stop_engine(engine)


def _back(control, engine: str, how: str) -> float:
    started = time.monotonic()
    if how == "pause":
        control.unpause(engine)
    else:
        control.start_engine(engine)
    control.wait_engine(engine)
    return time.monotonic() - started


def _photo() -> bytes:
    return encode(picture((400, 300), random.randrange(10**9)), "JPEG", quality=85)


def _retries(control, stage: str, image_id: str) -> int:
    return control.logs(f"worker-{stage}", tail=2000).count(f"unavailable on {image_id}")


@pytest.mark.parametrize("engine", list(WORKERS_MEET))
def test_a_worker_retries_while_an_engine_is_away_and_finishes_after(control, engine):
    how, stage = WORKERS_MEET[engine]
    engines = audit.Engines()
    event = seed_upload(engines.images, _photo(), owner=OWNER, size=(400, 300))
    engines.close()
    observer = Observer(lambda: control.stack.addresses["kafka"]).start()
    restarts = {s.name: control.state(s.name)["restarts"] for s in control.workers()}
    _away(control, engine, how)
    try:
        publish(event)
        deadline = time.monotonic() + 180
        while _retries(control, stage, event.image_id) < RETRIES and time.monotonic() < deadline:
            time.sleep(1)
    finally:
        _back(control, engine, how)
    retried = _retries(control, stage, event.image_id)
    engines = audit.Engines()  # the engine may be on a new host port
    try:
        record = audit.settle(engines.images, {event.image_id}, 180)[event.image_id]
    finally:
        engines.close()
    time.sleep(2)
    letters = [r for t in topics.declared() if t.name.startswith(topics.DEAD_LETTER_PREFIX)
               for r in observer.of(t.name, {event.image_id})]
    observer.stop()
    assert retried >= RETRIES, control.logs(f"worker-{stage}")
    assert record is not None and record.status == READY, record
    assert letters == []
    assert {s.name: control.state(s.name) for s in control.workers()} == {
        name: {"running": True, "restarts": n, "exit_code": 0, "oom_killed": False}
        for name, n in restarts.items()}


def _upload(control, data: bytes) -> httpx.Response:
    return httpx.post(f"{control.api_url}/v1/images", timeout=300,
                      headers={"Authorization": f"Bearer {control.users.key(OWNER)}",
                               "Idempotency-Key": uuid.uuid4().hex},
                      files={"file": ("a.jpg", data)})


def _search(control) -> httpx.Response:
    return httpx.get(f"{control.api_url}/v1/search", params={"q": "anything"}, timeout=300,
                     headers={"Authorization": f"Bearer {control.users.key(OWNER)}"})


@pytest.mark.parametrize("engine", list(API_NEEDS))
def test_the_api_answers_503_while_an_engine_is_away_and_recovers(control, engine):
    call = _search if engine == "elasticsearch" else lambda c: _upload(c, _photo())
    assert call(control).status_code in (200, 202)
    how = API_NEEDS[engine]
    _away(control, engine, how)
    try:
        away = call(control)
        ready = httpx.get(f"{control.api_url}/readyz", timeout=60)
    finally:
        _back(control, engine, how)
    assert (away.status_code, away.json()["error"]["code"]) == (503, "unavailable"), away.text
    if engine != "elasticsearch":  # /readyz covers what uploads need
        assert ready.status_code == 503 and not ready.json()["engines"][engine]["reachable"]
    deadline = time.monotonic() + 60
    while (answer := call(control)).status_code == 503 and time.monotonic() < deadline:
        time.sleep(1)
    assert answer.status_code in (200, 202), answer.text
    assert httpx.get(f"{control.api_url}/readyz", timeout=60).status_code == 200
