"""What every stage's agent does around `process`: parse, retry transient
faults with backoff, dead-letter poison, and never stop the worker."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import faust
from pydantic import ValidationError

from schemas.events import DeadLetter, Event, ImageFailed
from schemas.topics import IMAGE_FAILED, Topic
from streams.errors import Poison

log = logging.getLogger(__name__)

# Backoff for transient faults: 0.5 s doubling to 30 s, for as long as it takes.
FIRST_DELAY_S, MAX_DELAY_S = 0.5, 30.0


async def run_stage(
    app: faust.App,
    stage: str,
    event_type: type[Event],
    dead_letters: Topic,
    record: faust.types.EventT,
    process: Callable[[Any], Awaitable[Event | None]],
    on_poison: Callable[[Event, Poison], Awaitable[None]] | None = None,
) -> None:
    """Handle one record: publish what `process` returns, dead-letter poison."""
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
            if on_poison:
                await on_poison(event, poison)
            await app.topic(IMAGE_FAILED.name).send(
                key=event.key(),
                value=ImageFailed(image_id=event.image_id, stage=stage, code=poison.code,
                                  reason=poison.reason).value(),
            )
            return
        except Exception:  # noqa: BLE001 - transient by the taxonomy: retry, never drop
            log.exception("%s: transient failure on %s, retrying in %.1f s", stage, event.image_id, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_DELAY_S)
    if result is not None:
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
