"""What every stage shares: its faust app with one agent over its input
topics, and what that agent does around the stage's `process`, decided
once for every stage (the error taxonomy):

- retriable: an engine is away or timing out (connectors.errors decides
  which errors say so). Retried with exponential backoff and jitter, for as
  long as it takes, never moving past the record; each attempt is logged
  with its count and counted in `darkroom_stage_retries_total`.
- poison: the record can never be processed. `Poison` raised by the stage
  (bad input), a value that is not an event, or the same unexpected error
  `poison_after` times in a row (a deterministic bug must not block its
  partition forever). It goes to the stage's dead-letter topic with a
  stable code, the exception and the attempt count; the image is marked
  `failed` and `darkroom.image.failed` is published; the worker carries on.
- expected skips are return values (`process` returns None), not errors.

`handle` is the whole policy, testable without Kafka: the faust agent only
adapts a consumed message into a `Record` and a send function.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import faust
from prometheus_client import Counter, Gauge, Histogram
from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.errors import is_unavailable
from connectors.records import ImageRepository
from schemas import topics
from schemas.events import DeadLetter, Event, ImageFailed
from schemas.topics import IMAGE_FAILED
from streams import control, registry
from streams.app import make_app
from streams.errors import Poison
from streams.observability import logs, worker

log = logging.getLogger(__name__)

_EVENT_IDS = uuid.UUID("6f1d2b8e-4c3a-4e59-9a57-0d8c1e2f7b41")

PROCESSED = Counter("darkroom_stage_records_total", "Records handled, by outcome",
                    ["stage", "outcome"])
RETRIES = Counter("darkroom_stage_retries_total", "Attempts that failed and were retried",
                  ["stage", "kind"])
SECONDS = Histogram("darkroom_stage_processing_seconds", "Time from first attempt to outcome",
                    ["stage"], buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300))
IN_FLIGHT = Gauge("darkroom_stage_in_flight", "Records being processed now", ["stage"])
DEAD_LETTERS = Counter("darkroom_stage_dead_letters_total", "Records dead-lettered, by code",
                       ["stage", "code"])


class RunnerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DARKROOM_RUNNER_", extra="ignore")
    first_delay_s: float = 0.5  # backoff of a retried record: doubles each attempt...
    max_delay_s: float = 30.0  # ...up to this, with up to 50% jitter
    # The same unexpected error this many times in a row is a deterministic bug
    # for this record: it is dead-lettered instead of blocking its partition.
    poison_after: int = 5


class StageDeps(Protocol):
    images: ImageRepository  # poison marks the image failed


D = TypeVar("D", bound=StageDeps)


@dataclass(frozen=True)
class Record:
    """A consumed record, as much of it as the runner needs."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


Send = Callable[[str, bytes | None, bytes], Awaitable[None]]


def derived_id(stage: str, what: str, source_id: str) -> str:
    """The id of what `stage` publishes about a source (an event id, or a
    record's place): the same on a redelivery, so consumers drop repeats."""
    return uuid.uuid5(_EVENT_IDS, f"{stage}/{what}/{source_id}").hex


def backoff(attempt: int, settings: RunnerSettings) -> float:
    """The wait after `attempt` failed tries: exponential, capped, jittered
    (so a fleet of workers does not hammer a recovering engine in step)."""
    delay = min(settings.first_delay_s * 2 ** (attempt - 1), settings.max_delay_s)
    return delay * random.uniform(0.5, 1.0)


def stage_app(name: str, inputs: Sequence[type[Event]], make_deps: Callable[[], D],
              process: Callable[[Any, D], Awaitable[Event | None]], concurrency: int = 1) -> faust.App:
    """Declare a stage: its faust app (its own consumer group, `darkroom-<name>`),
    its dead-letter topic and one agent over every input topic that hands each
    record to `handle`. The deps are made when the agent starts in the worker,
    not at import, so tests and tools can import a stage freely.

    `concurrency` records are in `process` at once (faust's actors share one
    queue, and commit an offset only once every record before it is done)."""
    app = make_app(name)
    stage = registry.register(registry.Stage(name, tuple(inputs), topics.dead_letter(name), app))
    event_types = {event_type.TOPIC.name: event_type for event_type in inputs}
    worker.install(app, name, list(event_types))  # JSON logs, /metrics and probes
    control.install(app, name)  # ops pause|resume
    shared_deps = functools.cache(make_deps)  # one set for all the actors
    settings = RunnerSettings()

    async def send(topic: str, key: bytes | None, value: bytes) -> None:
        await app.topic(topic).send(key=key, value=value)

    async def agent(stream: faust.StreamT) -> None:
        deps = shared_deps()
        async for event in stream.events():
            message = event.message
            if not control.meant_for(name, message.headers):
                continue  # an operator's replay for another stage
            record = Record(message.topic, message.partition, message.offset, message.key, message.value)
            await handle(stage.name, event_types[record.topic], record, deps,
                         lambda parsed: process(parsed, deps), send, settings)

    app.agent(app.topic(*event_types, key_type=bytes, value_type=bytes),
              name=f"darkroom.{name}", concurrency=concurrency)(agent)
    return app


async def handle(stage: str, event_type: type[Event], record: Record, deps: StageDeps,
                 process: Callable[[Any], Awaitable[Event | None]], send: Send, settings: RunnerSettings,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> str:
    """Handle one record by the taxonomy above; returns the outcome
    (`published`, `skipped` or `dead_lettered`) once it is decided."""
    started = time.monotonic()
    logs.bind(stage=stage, topic=record.topic, partition=record.partition, offset=record.offset,
              image_id=None, event_id=None)
    IN_FLIGHT.labels(stage).inc()
    try:
        outcome = await _handle(stage, event_type, record, deps, process, send, settings, sleep)
    finally:
        IN_FLIGHT.labels(stage).dec()
    PROCESSED.labels(stage, outcome).inc()
    SECONDS.labels(stage).observe(time.monotonic() - started)
    return outcome


async def _handle(stage: str, event_type: type[Event], record: Record, deps: StageDeps,
                  process: Callable[[Any], Awaitable[Event | None]], send: Send, settings: RunnerSettings,
                  sleep: Callable[[float], Awaitable[None]]) -> str:
    place = f"{record.topic}/{record.partition}/{record.offset}"
    try:
        event = event_type.parse(record.value or b"")
    except ValidationError as exc:
        image_id = record.key.decode(errors="replace") if record.key else None
        await _poison(stage, record, deps, send, Poison("malformed_event", str(exc)[:500]), image_id, place)
        return "dead_lettered"
    logs.bind(image_id=event.image_id, event_id=event.event_id)
    attempt, streak, last_error = 0, 0, ""
    while True:
        attempt += 1
        try:
            result = await process(event)
            break
        except Poison as poison:
            await _poison(stage, record, deps, send, poison, event.image_id, event.event_id, attempts=attempt)
            return "dead_lettered"
        except Exception as exc:  # noqa: BLE001 - sorted right here: retriable, or poison once repeated
            if is_unavailable(exc):
                kind, streak, last_error = "unavailable", 0, ""
            else:
                error = f"{type(exc).__name__}: {exc}"
                streak = streak + 1 if error == last_error else 1
                kind, last_error = "unexpected", error
                if streak >= settings.poison_after:
                    log.exception("%s: %s failed %d times in a row the same way; dead-lettering", stage,
                                  event.image_id, streak)
                    poison = Poison("unexpected_error", error[:500], exception=error[:2000])
                    await _poison(stage, record, deps, send, poison, event.image_id, event.event_id,
                                  attempts=attempt)
                    return "dead_lettered"
            delay = backoff(attempt, settings)
            RETRIES.labels(stage, kind).inc()
            log.warning("%s: %s on %s (attempt %d), retrying in %.1f s: %s: %s", stage, kind,
                        event.image_id, attempt, delay, type(exc).__name__, str(exc)[:300])
            await sleep(delay)
    if result is None:
        return "skipped"
    result = result.model_copy(update={"event_id": derived_id(stage, result.TOPIC.name, event.event_id)})
    await send(result.TOPIC.name, result.key(), result.value())
    return "published"


async def _poison(stage: str, record: Record, deps: StageDeps, send: Send, poison: Poison,
                  image_id: str | None, source_id: str, attempts: int = 1) -> None:
    """Dead-letter the record; mark its image failed and say so, where there is one."""
    log.warning("%s: dead-lettering %s/%s/%s: %s", stage, record.topic, record.partition, record.offset,
                poison)
    letter = DeadLetter(
        stage=stage, source_topic=record.topic, partition=record.partition, offset=record.offset,
        key=record.key.decode(errors="replace") if record.key else None, code=poison.code,
        reason=poison.reason, exception=poison.exception, attempts=attempts,
        payload=(record.value or b"").decode(errors="replace"))
    await send(topics.dead_letter(stage).name, record.key, letter.model_dump_json().encode())
    DEAD_LETTERS.labels(stage, poison.code).inc()
    if image_id and await asyncio.to_thread(deps.images.set_failed, image_id, poison.code, poison.reason):
        failed = ImageFailed(event_id=derived_id(stage, "failed", source_id), image_id=image_id, stage=stage,
                             code=poison.code, reason=poison.reason)
        await send(IMAGE_FAILED.name, failed.key(), failed.value())
