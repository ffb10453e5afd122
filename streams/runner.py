"""What every stage shares: its faust app with one agent over its input
topics, and what that agent does around the stage's `process`: parse, retry
transient faults with backoff, dead-letter poison (the image is then
`failed`: no stage can finish it), and never stop the worker."""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

import faust
from cassandra.cluster import Session
from pydantic import ValidationError

from connectors import records
from schemas.events import DeadLetter, Event, ImageFailed
from schemas.topics import IMAGE_FAILED, Topic
from streams.app import make_app
from streams.errors import Poison

log = logging.getLogger(__name__)

# Backoff for transient faults: 0.5 s doubling to 30 s, for as long as it takes.
FIRST_DELAY_S, MAX_DELAY_S = 0.5, 30.0
_EVENT_IDS = uuid.UUID("6f1d2b8e-4c3a-4e59-9a57-0d8c1e2f7b41")


class StageDeps(Protocol):
    db: Session  # poison marks the image failed in Cassandra


D = TypeVar("D", bound=StageDeps)


def stage_app(stage: str, inputs: Sequence[type[Event]], dead_letters: Topic, make_deps: Callable[[], D],
              process: Callable[[Any, D], Awaitable[Event | None]], concurrency: int = 1) -> faust.App:
    """The faust app of one stage (its own consumer group): one agent reads
    every input topic and hands each record, parsed as its topic's event, to
    `process` through run_stage. The deps are made when the agent starts in
    the worker, not at import, so tests and tools can import a stage freely.

    `concurrency` records are in `process` at once (faust's actors share one
    queue, and commit an offset only once every record before it is done)."""
    app = make_app(stage)
    event_types = {event_type.TOPIC.name: event_type for event_type in inputs}
    shared_deps = functools.cache(make_deps)  # one set for all the actors

    async def agent(stream: faust.StreamT) -> None:
        deps = shared_deps()
        async for record in stream.events():
            await run_stage(app, stage, event_types[record.message.topic], dead_letters, record,
                            process=lambda event: process(event, deps), db=deps.db)

    topic = app.topic(*event_types, key_type=bytes, value_type=bytes)
    app.agent(topic, name=f"darkroom.{stage}", concurrency=concurrency)(agent)
    return app


def derived_id(stage: str, what: str, source: Event) -> str:
    """The id of what `stage` publishes about `source`: the same on a
    redelivery, so consumers can drop repeats by event_id."""
    return uuid.uuid5(_EVENT_IDS, f"{stage}/{what}/{source.event_id}").hex


async def run_stage(
    app: faust.App,
    stage: str,
    event_type: type[Event],
    dead_letters: Topic,
    record: faust.types.EventT,
    process: Callable[[Any], Awaitable[Event | None]],
    db: Session,
) -> None:
    """Handle one record: publish what `process` returns; for poison, a dead
    letter, the record marked failed with the reason, and image.failed."""
    message = record.message
    try:
        event = event_type.parse(message.value)
    except ValidationError as exc:
        await _dead_letter(app, stage, dead_letters, message, Poison("malformed_event", str(exc)[:500]))
        return
    delay = FIRST_DELAY_S
    while True:
        try:
            result = await process(event)
            break
        except Poison as poison:
            await _dead_letter(app, stage, dead_letters, message, poison)
            await asyncio.to_thread(records.set_failed, db, event.image_id, poison.code, poison.reason)
            failed = ImageFailed(event_id=derived_id(stage, "failed", event), image_id=event.image_id,
                                 stage=stage, code=poison.code, reason=poison.reason)
            await app.topic(IMAGE_FAILED.name).send(key=failed.key(), value=failed.value())
            return
        except Exception:  # noqa: BLE001 - transient by the taxonomy: retry, never drop
            log.exception("%s: transient failure on %s, retrying in %.1f s", stage, event.image_id, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_DELAY_S)
    if result is not None:
        result = result.model_copy(update={"event_id": derived_id(stage, result.TOPIC.name, event)})
        await app.topic(result.TOPIC.name).send(key=result.key(), value=result.value())


async def _dead_letter(app: faust.App, stage: str, topic: Topic, message: Any, poison: Poison) -> None:
    log.warning("%s: dead-lettering %s@%s/%s: %s", stage, message.topic, message.partition,
                message.offset, poison)
    letter = DeadLetter(
        stage=stage, source_topic=message.topic, partition=message.partition, offset=message.offset,
        key=message.key.decode(errors="replace") if message.key else None,
        code=poison.code, reason=poison.reason,
        payload=(message.value or b"").decode(errors="replace"),
    )
    await app.topic(topic.name).send(key=message.key, value=letter.model_dump_json().encode())
