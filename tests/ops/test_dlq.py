"""`ops dlq list|show|replay` on the real engines: a stage's dead letters
listed and filtered, replayed to the topic they were read from with their
provenance, for that stage only, and never twice by accident."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from devstack import ops

from connectors import kafka
from connectors.records import PROCESSING
from connectors.settings import KafkaSettings
from schemas import headers, topics
from schemas.events import DeadLetter
from tests.ops.helpers import read, stack_env
from tests.streams.photos import photo
from tests.streams.stages import seed_upload

pytestmark = pytest.mark.integration


def _dead_letter(key: str, payload: bytes, code: str) -> int:
    """What the runner sends when metadata gives up on a record; its offset."""
    letter = DeadLetter(stage="metadata", source_topic=topics.IMAGE_UPLOADED.name, partition=0, offset=123,
                        key=key, code=code, reason="a test", attempts=5, payload=payload.decode())
    producer, offsets = kafka.producer(KafkaSettings()), []
    producer.produce(topics.dead_letter("metadata").name, key=key.encode(), value=letter.model_dump_json(),
                     on_delivery=lambda err, message: offsets.append(message.offset()))
    assert producer.flush(15) == 0
    return offsets[0]


def test_dead_letters_are_listed_replayed_once_with_provenance_and_again_on_request(images):
    env, code = stack_env(), f"test_{uuid.uuid4().hex[:6]}"
    event = seed_upload(images, photo())
    images.set_failed(event.image_id, code, "a test")
    offset = _dead_letter(event.image_id, event.value(), code)
    _dead_letter("not-an-image", b"not json", f"{code}_other")

    [entry] = ops.dead_letters(env, "metadata", code=code)
    assert entry.letter is not None and entry.replay is None
    assert (entry.offset, entry.letter.key, entry.letter.code) == (offset, event.image_id, code)
    assert ops.dead_letters(env, "metadata", since=datetime.now(UTC) + timedelta(hours=1)) == []
    assert ops.parse_since("2h", datetime(2026, 1, 1, 12, tzinfo=UTC)) == datetime(2026, 1, 1, 10, tzinfo=UTC)

    first = ops.replay(env, "metadata", code=code, by="tests")
    [(replayed, target)] = first.replayed
    assert replayed.offset == offset and target.startswith(f"{topics.IMAGE_UPLOADED.name}/")
    assert images.get(event.image_id).status == PROCESSING  # it can become ready once processed
    [sent] = read(topics.IMAGE_UPLOADED.name, event.image_id, timeout_s=30)
    assert sent.value == event.value()
    assert sent.headers[headers.STAGE] == b"metadata"
    assert sent.headers[headers.REPLAY_OF] == f"{topics.dead_letter('metadata').name}/0/{offset}".encode()
    assert sent.headers[headers.SOURCE] == f"{topics.IMAGE_UPLOADED.name}/0/123".encode()
    assert sent.headers[headers.SENT_BY] == b"tests"

    second = ops.replay(env, "metadata", code=code, by="tests")
    assert second.replayed == [] and "already replayed" in second.skipped[0][1]
    [listed] = ops.dead_letters(env, "metadata", code=code)
    assert listed.replay is not None and listed.replay.state == "replayed" and listed.replay.target == target

    third = ops.replay(env, "metadata", offsets=[offset], again=True, by="tests")
    assert [e.offset for e, _ in third.replayed] == [offset]
    assert len(read(topics.IMAGE_UPLOADED.name, event.image_id, count=2, timeout_s=30)) == 2


def _raw(value: bytes) -> int:
    producer, offsets = kafka.producer(KafkaSettings()), []
    producer.produce(topics.dead_letter("metadata").name, key=b"x", value=value,
                     on_delivery=lambda err, message: offsets.append(message.offset()))
    assert producer.flush(15) == 0
    return offsets[0]


def test_what_is_not_a_dead_letter_of_the_stages_input_is_not_replayed():
    env, code = stack_env(), f"test_{uuid.uuid4().hex[:6]}"
    garbage = _raw(b"not a dead letter")
    other = DeadLetter(stage="metadata", source_topic=topics.IMAGE_READY.name, partition=0, offset=1,
                       key="x", code=code, reason="r", payload="{}")
    elsewhere = _raw(other.model_dump_json().encode())
    report = ops.replay(env, "metadata", offsets=[garbage, elsewhere], by="tests")
    assert report.replayed == []
    assert sorted(e.offset for e, why in report.skipped if "not a dead letter of this stage" in why) == \
        sorted([garbage, elsewhere])
    [listed] = [e for e in ops.dead_letters(env, "metadata") if e.offset == garbage]
    assert listed.letter is None and listed.raw == b"not a dead letter"
