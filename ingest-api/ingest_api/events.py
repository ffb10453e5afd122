"""Publishing an event and waiting until Kafka has it.

An answer to a client promises that the event is in Kafka, so each emit
waits for its own delivery report (not a global flush, which would also wait
for other requests' events).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from ingest_api.errors import EngineUnavailable
from schemas.events import Event

if TYPE_CHECKING:  # the producer comes from connectors.kafka; only its type is needed here
    from confluent_kafka import Producer

log = logging.getLogger(__name__)


def emit(producer: Producer, event: Event, timeout_s: float) -> None:
    delivered = threading.Event()
    errors: list[object] = []

    def on_delivery(err: object, _message: object) -> None:
        if err is not None:
            errors.append(err)
        delivered.set()

    try:
        producer.produce(event.TOPIC.name, key=event.key(), value=event.value(), on_delivery=on_delivery)
    except BufferError as exc:  # the local queue is full: Kafka is not keeping up
        raise EngineUnavailable("Kafka is not accepting events right now") from exc
    deadline = time.monotonic() + timeout_s
    # Delivery reports are served by whichever thread polls, so poll until ours came.
    while not delivered.is_set():
        if time.monotonic() > deadline:
            raise EngineUnavailable(f"Kafka did not confirm {event.TOPIC.name} within {timeout_s} s")
        producer.poll(0.05)
    if errors:
        raise EngineUnavailable(f"Kafka refused {event.TOPIC.name}: {errors[0]}")
    log.info("published topic=%s image_id=%s event_id=%s", event.TOPIC.name, event.image_id,
             event.event_id)
