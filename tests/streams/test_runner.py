"""What every stage's runner guarantees (streams/runner.py, `handle`), without
Kafka or engines: a fake image repository, a fake `send` that collects what
would be published, a fake `sleep` that records the backoff instead of waiting.

The stage is called "resize" here: `handle` declares the stage's dead-letter
topic, and a made-up stage would leave a topic behind in `topics.declared()`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest
from cassandra.cluster import NoHostAvailable
from elastic_transport import ConnectionTimeout
from minio.error import S3Error
from urllib3.exceptions import ProtocolError

from connectors.kafka import Unconfirmed
from schemas import topics
from schemas.events import DeadLetter, Event, ImageDeleted, ImageFailed, ImageUploaded, VariantsReady
from streams.errors import Poison
from streams.runner import Record, RunnerSettings, backoff, derived_id, handle

STAGE = "resize"
IMAGE_ID = "01J9Z3K7QX0000000000000000"
UPLOADED = ImageUploaded(image_id=IMAGE_ID, owner="ann", sha256="0" * 64, original_key="originals/ann/k",
                         mime_type="image/jpeg", byte_size=10, width=4, height=3)
RECORD = Record(topic=topics.IMAGE_UPLOADED.name, partition=2, offset=41, key=IMAGE_ID.encode(),
                value=UPLOADED.value())
SETTINGS = RunnerSettings(first_delay_s=0.5, max_delay_s=30.0, poison_after=5)


def _variants_ready() -> VariantsReady:
    # A fresh event id each time, as a stage's `process` makes it.
    return VariantsReady(image_id=IMAGE_ID, variants=[], placeholder="PH", dominant_color="#808080")


# ------------------------------------------------------------------ fakes

@dataclass
class FakeImages:
    """The one repository call the runner makes; `exists` is what set_failed finds."""

    exists: bool = True
    failed: list[tuple[str, str, str]] = field(default_factory=list)

    def set_failed(self, image_id: str, code: str, reason: str) -> bool:
        self.failed.append((image_id, code, reason))
        return self.exists


@dataclass
class Deps:
    images: FakeImages


@dataclass
class Run:
    """One `handle` call: its outcome and everything it did."""

    outcome: str
    sent: list[tuple[str, bytes | None, bytes]]
    sleeps: list[float]
    calls: int
    images: FakeImages

    def on(self, topic: topics.Topic) -> list[bytes]:
        return [value for name, _, value in self.sent if name == topic.name]

    @property
    def letters(self) -> list[DeadLetter]:
        return [DeadLetter.model_validate_json(v) for v in self.on(topics.dead_letter(STAGE))]

    @property
    def failures(self) -> list[ImageFailed]:
        return [ImageFailed.parse(v) for v in self.on(topics.IMAGE_FAILED)]


Outcome = Event | None | Exception


def run(*outcomes: Outcome, record: Record = RECORD, exists: bool = True,
        settings: RunnerSettings = SETTINGS) -> Run:
    """`handle` over a `process` that returns or raises `outcomes` in turn
    (the last one again once they run out)."""
    sent: list[tuple[str, bytes | None, bytes]] = []
    sleeps: list[float] = []
    calls = 0

    async def process(_event: Event) -> Event | None:
        nonlocal calls
        outcome = outcomes[min(calls, len(outcomes) - 1)]
        calls += 1
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def send(topic: str, key: bytes | None, value: bytes) -> None:
        sent.append((topic, key, value))

    async def sleep(delay: float) -> None:
        sleeps.append(delay)

    images = FakeImages(exists)
    outcome = asyncio.run(handle(STAGE, ImageUploaded, record, Deps(images), process, send, settings, sleep))
    return Run(outcome, sent, sleeps, calls, images)


def _bounds(attempt: int, settings: RunnerSettings = SETTINGS) -> tuple[float, float]:
    """Where the wait after `attempt` failed tries must fall: half to all of the capped doubling."""
    ceiling = min(settings.first_delay_s * 2 ** (attempt - 1), settings.max_delay_s)
    return ceiling / 2, ceiling


# ------------------------------------------------------------ derived ids

def test_published_event_ids_repeat_on_redelivery_and_differ_otherwise():
    source, other = ImageDeleted(image_id="a", owner="o"), ImageDeleted(image_id="a", owner="o")
    assert derived_id("resize", "out", source.event_id) == derived_id("resize", "out",
                                                                      source.model_copy().event_id)
    assert len({derived_id("resize", "out", source.event_id), derived_id("resize", "out", other.event_id),
                derived_id("metadata", "out", source.event_id),
                derived_id("resize", "failed", source.event_id)}) == 4


# ---------------------------------------------------------------- results

def test_a_result_is_published_under_an_id_derived_from_the_source_event():
    first, again = run(_variants_ready()), run(_variants_ready())
    assert (first.outcome, first.calls, first.sleeps, first.images.failed) == ("published", 1, [], [])
    [(topic, key, value)] = first.sent
    assert (topic, key) == (topics.IMAGE_VARIANTS_READY.name, IMAGE_ID.encode())
    published = VariantsReady.parse(value)
    assert published.event_id == derived_id(STAGE, topics.IMAGE_VARIANTS_READY.name, UPLOADED.event_id)
    assert published.model_dump(exclude={"event_id", "occurred_at"}) == \
        _variants_ready().model_dump(exclude={"event_id", "occurred_at"})
    # A redelivery publishes under the same id, though `process` made a new one.
    assert VariantsReady.parse(again.sent[0][2]).event_id == published.event_id


def test_none_is_an_expected_skip_that_sends_nothing():
    skipped = run(None)
    assert (skipped.outcome, skipped.sent, skipped.calls, skipped.images.failed) == ("skipped", [], 1, [])


# ----------------------------------------------------------------- poison

@pytest.mark.parametrize(("outcomes", "exists", "attempts"), [
    ((Poison("truncated", "the JPEG data ends early"),), True, 1),
    ((Poison("truncated", "the JPEG data ends early"),), False, 1),
    ((NoHostAvailable("no host", {}), Poison("truncated", "the JPEG data ends early")), True, 2),
], ids=["image-marked-failed", "image-gone-no-failed-event", "attempts-count-retries-before"])
def test_poison_is_dead_lettered_once_and_fails_the_image(outcomes, exists, attempts):
    poisoned = run(*outcomes, exists=exists)
    assert poisoned.outcome == "dead_lettered" and poisoned.calls == attempts
    [letter] = poisoned.letters
    assert (letter.stage, letter.source_topic, letter.partition, letter.offset, letter.key) == (
        STAGE, RECORD.topic, RECORD.partition, RECORD.offset, IMAGE_ID)
    assert (letter.code, letter.reason, letter.attempts, letter.exception) == (
        "truncated", "the JPEG data ends early", attempts, None)
    assert letter.payload == RECORD.value.decode()
    assert poisoned.sent[0][:2] == (topics.dead_letter(STAGE).name, RECORD.key)  # the letter comes first
    assert poisoned.images.failed == [(IMAGE_ID, "truncated", "the JPEG data ends early")]
    if not exists:
        assert poisoned.failures == []  # deleted meanwhile: no image to announce as failed
        return
    [failed] = poisoned.failures
    assert (failed.event_id, failed.image_id, failed.stage, failed.code, failed.reason) == (
        derived_id(STAGE, "failed", UPLOADED.event_id), IMAGE_ID, STAGE, "truncated",
        "the JPEG data ends early")
    assert len(poisoned.sent) == 2


@pytest.mark.parametrize(("key", "value", "payload"), [
    (IMAGE_ID.encode(), b"not json", "not json"),
    (IMAGE_ID.encode(), b'{"image_id": "x", "owner": 1}', '{"image_id": "x", "owner": 1}'),
    (IMAGE_ID.encode(), b"\xff\xfe binary", "\ufffd\ufffd binary"),
    (None, b"not json", "not json"),
], ids=["not-json", "not-the-event", "not-utf8", "no-key"])
def test_a_malformed_value_is_poison_without_calling_the_stage(key, value, payload):
    record = Record(topics.IMAGE_UPLOADED.name, 1, 7, key, value)
    malformed = run(_variants_ready(), record=record)
    assert (malformed.outcome, malformed.calls, malformed.sleeps) == ("dead_lettered", 0, [])
    [letter] = malformed.letters
    assert (letter.code, letter.attempts, letter.payload, letter.offset) == ("malformed_event", 1, payload, 7)
    assert letter.key == (key.decode() if key else None)
    if key is None:
        assert (malformed.images.failed, malformed.failures) == ([], [])
        return
    [(image_id, code, _)] = malformed.images.failed
    assert (image_id, code) == (IMAGE_ID, "malformed_event")
    [failed] = malformed.failures
    assert (failed.image_id, failed.code) == (IMAGE_ID, "malformed_event")
    # The record has no event id to derive from: its place does, so a redelivery repeats it.
    assert run(record=record).failures[0].event_id == failed.event_id
    moved = Record(record.topic, record.partition, record.offset + 1, key, value)
    assert run(record=moved).failures[0].event_id != failed.event_id


# -------------------------------------------------------------- retriable

@pytest.mark.parametrize("error", [
    NoHostAvailable("no host", {}),
    ProtocolError("Connection aborted."),
    ConnectionTimeout("timed out"),
    S3Error(None, "SlowDown", "slow down", None, None, None),
    Unconfirmed("Kafka did not confirm within 10 s"),
], ids=["cassandra-away", "minio-connection-aborted", "elasticsearch-timeout", "minio-busy",
        "kafka-unconfirmed"])
def test_an_engine_away_is_retried_with_growing_backoff_and_never_dead_lettered(error):
    failures = SETTINGS.poison_after + 2  # the same error more often than poison_after: still retried
    retried = run(*[error] * failures, _variants_ready())
    assert (retried.outcome, retried.calls) == ("published", failures + 1)
    assert retried.letters == [] and retried.images.failed == []
    assert [name for name, _, _ in retried.sent] == [topics.IMAGE_VARIANTS_READY.name]
    assert len(retried.sleeps) == failures
    for attempt, delay in enumerate(retried.sleeps, start=1):
        low, high = _bounds(attempt)
        assert low <= delay <= high, (attempt, delay)
    # Growing: each wait is within its doubling's bounds (two neighbours may swap within the jitter).
    assert retried.sleeps[-1] > 10 * retried.sleeps[0]


# ------------------------------------------------- unexpected, repeated

@pytest.mark.parametrize("poison_after", [1, 3, 5])
def test_the_same_unexpected_error_poison_after_times_in_a_row_is_poison(poison_after):
    settings = RunnerSettings(first_delay_s=0.5, max_delay_s=30.0, poison_after=poison_after)
    stuck = run(ValueError("bad band count 5"), settings=settings)
    assert (stuck.outcome, stuck.calls) == ("dead_lettered", poison_after)
    assert len(stuck.sleeps) == poison_after - 1
    [letter] = stuck.letters
    assert (letter.code, letter.attempts) == ("unexpected_error", poison_after)
    assert letter.exception == "ValueError: bad band count 5"
    assert "bad band count 5" in letter.reason
    assert [code for _, code, _ in stuck.images.failed] == ["unexpected_error"]
    [failed] = stuck.failures
    assert (failed.code, failed.event_id) == (
        "unexpected_error", derived_id(STAGE, "failed", UPLOADED.event_id))


@pytest.mark.parametrize("errors", [
    (ValueError("a"), KeyError("b")),
    (ValueError("band 1"), ValueError("band 2")),
    (*[ValueError("a")] * (SETTINGS.poison_after - 1), NoHostAvailable("no host", {})),
], ids=["two-types-alternating", "same-type-other-message", "interrupted-by-an-engine-away"])
def test_a_streak_broken_by_another_error_starts_again(errors):
    # Twice poison_after failures, never poison_after of the same one in a row.
    failures = [errors[i % len(errors)] for i in range(2 * SETTINGS.poison_after)]
    recovered = run(*failures, _variants_ready())
    assert (recovered.outcome, recovered.calls) == ("published", len(failures) + 1)
    assert recovered.letters == [] and recovered.images.failed == []


# ---------------------------------------------------------------- backoff

@pytest.mark.parametrize(("attempt", "low", "high"), [
    (1, 0.25, 0.5), (2, 0.5, 1.0), (4, 2.0, 4.0), (7, 15.0, 30.0), (40, 15.0, 30.0),
], ids=["first", "doubles", "keeps-doubling", "capped", "stays-capped"])
def test_backoff_doubles_up_to_the_cap_with_at_most_half_taken_off_by_jitter(attempt, low, high):
    delays = [backoff(attempt, SETTINGS) for _ in range(500)]
    assert all(low <= d <= high for d in delays)
    assert len(set(delays)) > 1  # jittered: workers do not retry in step

