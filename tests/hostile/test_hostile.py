"""The hostile corpus (corpus.py) through the deployed API and workers: each
file is refused by the API with a 4xx and a code, or its image fails with
a code and a reason, or (odd but sound files) becomes ready; no worker
crashes or restarts, none dead-letters anything as `unexpected_error`, and
each worker's resident memory stays under its bound (RSS_BOUNDS) the whole
time; nothing is ever public: a private upload has no object under
`public/`, no original is readable without a signature, and no variant
carries a polyglot's payload.

By default a CI-sized corpus (one of each kind, about 150 files);
`./darkroom test -m faults` runs the full one (about 1,000). The summary
(outcomes by kind and code, peak RSS per worker) is printed at the end and
written beside the fault table. Each run draws a new corpus; the summary
names its seed, and `DARKROOM_HOSTILE_SEED=<seed>` replays it.
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import pytest

from connectors.records import FAILED, READY
from connectors.settings import MinioSettings
from tests.faults import audit, report, session
from tests.hostile.corpus import REFUSED, Hostile, corpus

pytestmark = pytest.mark.integration

OWNER = "hostile"
MiB = 1024 * 1024
# Peak resident memory of each worker container (all its processes together),
# with room over what the full corpus takes here (see the summary).
RSS_BOUNDS = {"worker-resize": 1536 * MiB, "worker-metadata": 400 * MiB, "worker-tagging": 600 * MiB,
              "worker-indexing": 400 * MiB}
SUMMARY: dict[str, str] = {}


@pytest.fixture(scope="module")
def control(docker_client, stack):
    yield from session.deployed(docker_client, stack, [OWNER])


@dataclass
class Sent:
    item: Hostile
    status: int = 0
    code: str | None = None
    image_id: str | None = None
    outcome: str = ""  # refused / failed / ready / processing
    detail: str = ""


@dataclass
class Memory:
    """Peak RSS of each worker container, sampled every second while the corpus runs."""

    control: object
    peaks: dict[str, int] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            for name in RSS_BOUNDS:
                total = sum(self.control.rss(name).values())
                self.peaks[name] = max(self.peaks.get(name, 0), total)
            self.stop.wait(1)


def _post(control, sent: Sent) -> None:
    headers = {"Authorization": f"Bearer {control.users.key(OWNER)}", "Idempotency-Key": uuid.uuid4().hex}
    visibility = "public" if sent.item.public else "private"
    for attempt in range(5):
        try:
            response = httpx.post(f"{control.api_url}/v1/images", headers=headers, timeout=120,
                                  files={"file": (sent.item.name, sent.item.data)},
                                  data={"visibility": visibility})
        except httpx.TransportError as exc:  # a refusal of a huge body may cut the upload short
            sent.detail = f"{type(exc).__name__}"
            time.sleep(1 + attempt)
            continue
        body = response.json()
        sent.status = response.status_code
        sent.code = (body.get("error") or {}).get("code")
        sent.image_id = body.get("id") if response.status_code in (200, 201, 202) else None
        if response.status_code != 503:
            return
        time.sleep(1 + attempt)


def _seed() -> int:
    """A new corpus each run; the summary prints the seed, and DARKROOM_HOSTILE_SEED replays it."""
    return int(os.environ.get("DARKROOM_HOSTILE_SEED") or random.randrange(10**6))


def _run(control, seed: int, scale: float, suite: str) -> list[Sent]:
    items = corpus(seed, scale)
    memory = Memory(control)
    sampler = threading.Thread(target=memory.run, daemon=True)
    sampler.start()
    before = {s.name: control.state(s.name) for s in control.workers()}
    sent = [Sent(i) for i in items]
    random.Random(7).shuffle(sent)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda s: _post(control, s), sent))
    engines = audit.Engines()
    try:
        records = audit.settle(engines.images, {s.image_id for s in sent if s.image_id}, 900)
        for s in sent:
            if s.image_id is None:
                s.outcome, s.detail = REFUSED, s.detail or f"{s.status} {s.code}"
                continue
            record = records.get(s.image_id)
            s.outcome = record.status if record else "gone"
            s.code = record.failure_code if record else None
            s.detail = (record.reason or "") if record else ""
        nothing_public(control, engines, sent)
    finally:
        memory.stop.set()
        sampler.join()
        engines.close()
    after = {s.name: control.state(s.name) for s in control.workers()}
    SUMMARY[suite] = summary(f"{suite} (seed {seed})", sent, memory.peaks)
    report.save(f"hostile-{suite}", SUMMARY[suite])
    assert after == before, "a worker crashed or restarted"
    for name, peak in memory.peaks.items():
        assert peak < RSS_BOUNDS[name], f"{name} peaked at {peak / MiB:.0f} MiB"
    return sent


def nothing_public(control, engines: audit.Engines, sent: list[Sent]) -> None:
    nginx, bucket = control.stack.addresses["nginx"], MinioSettings().originals_bucket
    for s in sent:
        if s.image_id is None:
            continue
        public = engines.store.variants.keys(f"public/v/{s.image_id}/")
        if not s.item.public:
            assert public == [], (s.item.name, public)
        if s.item.payload:
            for key in public:
                assert s.item.payload not in engines.store.variants.get(key), (s.item.name, key)
        record = engines.images.get(s.image_id)
        if record is not None:
            anonymous = httpx.get(f"{nginx}/{bucket}/{record.original_key}", timeout=10)
            assert anonymous.status_code in (401, 403, 404), (s.item.name, anonymous.status_code)


def summary(suite: str, sent: list[Sent], peaks: dict[str, int]) -> str:
    by_kind = Counter((s.item.kind, s.outcome, s.code or "-") for s in sent)
    lines = [f"Hostile corpus, suite {suite}: {len(sent)} files", "",
             "| kind | outcome | code | files |", "|---|---|---|---|"]
    lines += [f"| {k} | {o} | {c} | {n} |" for (k, o, c), n in sorted(by_kind.items())]
    totals = Counter(f"{s.outcome} {s.status}" if s.outcome == REFUSED else s.outcome for s in sent)
    lines += ["", "Outcomes: " + ", ".join(f"{o}: {n}" for o, n in sorted(totals.items()))]
    lines += ["", "Peak RSS per worker (bound): " + ", ".join(
        f"{name} {peaks.get(name, 0) / MiB:.0f} MiB ({RSS_BOUNDS[name] / MiB:.0f})" for name in RSS_BOUNDS)]
    return "\n".join(lines)


def _check(sent: list[Sent]) -> None:
    wrong = [f"{s.item.name}: {s.outcome} {s.status} {s.code} {s.detail[:120]}" for s in sent
             if s.outcome not in s.item.outcomes
             or (s.outcome == REFUSED and not 400 <= s.status < 500)
             or (s.outcome == FAILED and not (s.code and s.detail))
             or s.code == "unexpected_error"]
    assert not wrong, "\n".join(wrong[:40])
    assert all(s.outcome in (REFUSED, FAILED, READY) for s in sent)


@pytest.mark.timeout(1800)
def test_a_ci_sized_hostile_corpus(control):
    _check(_run(control, _seed(), 0.1, "ci"))


@pytest.mark.faults
@pytest.mark.timeout(3600)
def test_the_full_hostile_corpus(control):
    _check(_run(control, _seed(), 1.0, "full"))
