"""`./darkroom ops reprocess STAGE --since|--all`: send a stage's input again
for the images recorded since a time (or all of them), rebuilt from the
records in Cassandra, not read back from Kafka (whose retention may long
have dropped them): after a change to the stage (a new tagging model), its
output is made afresh without anyone uploading again.

Each event gets a new id, derived from the run's id and the image's (a run
resumed with `--run`, after a crash, repeats them, so consumers drop the
repeats), and carries the `darkroom-stage` header: only that stage takes it.
Deleted images are left out; failed ones too, unless `--retry-failed` moves
them back to processing first.

An input that the records do not hold cannot be rebuilt: the tags the
classifier published live in the search documents, not in Cassandra, so
reprocessing `indexing` resends the uploads, variants and metadata only.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from confluent_kafka import Producer

from connectors import kafka
from connectors.records import FAILED, ImageRecord, ImageRepository
from connectors.settings import KafkaSettings
from devstack.ops import Env, OpsError, _db, kafka_headers, operator, stage
from devstack.settings_env import settings_from_env
from schemas import headers
from schemas.events import Event, ImageUploaded, MetadataExtracted, VariantsReady
from streams.runner import derived_id


def _uploaded(record: ImageRecord, _images: ImageRepository) -> dict[str, object] | None:
    """Every fact of the upload event is on the record (by the same name)."""
    common = set(Event.model_fields)
    return {name: getattr(record, name) for name in ImageUploaded.model_fields
            if name not in common and hasattr(record, name)}


def _variants(record: ImageRecord, _images: ImageRepository) -> dict[str, object] | None:
    if not record.variants or record.placeholder is None or record.dominant_color is None:
        return None  # not resized yet
    return {"variants": record.variants, "placeholder": record.placeholder,
            "dominant_color": record.dominant_color}


def _metadata(record: ImageRecord, images: ImageRepository) -> dict[str, object] | None:
    found = images.get_metadata(record.id)
    return None if found is None else {"metadata": found.metadata, "skipped": found.skipped}


# The input events the records can rebuild, and how.
REBUILDS: dict[type[Event], Callable[[ImageRecord, ImageRepository], dict[str, object] | None]] = {
    ImageUploaded: _uploaded,
    VariantsReady: _variants,
    MetadataExtracted: _metadata,
}


@dataclass
class Report:
    run: str
    sent: Counter[str] = field(default_factory=Counter)  # by topic
    skipped: Counter[str] = field(default_factory=Counter)  # by why
    not_rebuilt: list[str] = field(default_factory=list)  # input topics the records do not hold


def reprocess(env: Env, name: str, *, since: datetime | None, everything: bool = False,
              run: str | None = None, retry_failed: bool = False, per_second: float | None = None,
              by: str | None = None) -> Report:
    if since is None and not everything:
        raise OpsError("say which images: --since TIME or --all")
    chosen, by = stage(name), by or operator()
    rebuilt = [event for event in chosen.inputs if event in REBUILDS]
    report = Report(run or uuid.uuid4().hex[:12])
    report.not_rebuilt = [event.TOPIC.name for event in chosen.inputs if event not in REBUILDS]
    if not rebuilt:
        raise OpsError(f"the records cannot rebuild any input of {name}: {', '.join(report.not_rebuilt)}")
    producer = kafka.producer(settings_from_env(KafkaSettings, env))
    provenance: kafka_headers = [(headers.STAGE, chosen.name.encode()),
                                 (headers.REPROCESS_RUN, report.run.encode()), (headers.SENT_BY, by.encode())]
    with _db(env) as db:
        failures = _send_all(ImageRepository(db), producer, rebuilt, provenance, since, retry_failed,
                             per_second, report)
    if producer.flush(60) or failures:
        raise OpsError(f"run {report.run}: Kafka did not take {len(failures) or 'some'} events "
                       f"({failures[:1]}); run it again with --run {report.run}")
    return report


def _send_all(images: ImageRepository, producer: Producer, rebuilt: list[type[Event]],
              provenance: kafka_headers, since: datetime | None, retry_failed: bool,
              per_second: float | None, report: Report) -> list[str]:
    """Every record's rebuilt events to Kafka (not yet flushed); returns the delivery failures."""
    failures: list[str] = []

    def delivered(err: object, _message: object) -> None:
        if err is not None:
            failures.append(str(err))

    started, sent = time.monotonic(), 0
    for record in images.scan():
        if record.deleted_at is not None:
            report.skipped["deleted"] += 1
            continue
        if since is not None and record.created_at < since:
            continue
        if record.status == FAILED:
            if not retry_failed:
                report.skipped["failed (--retry-failed sends them too)"] += 1
                continue
            images.retry(record.id)
        for event_type in rebuilt:
            facts = REBUILDS[event_type](record, images)
            if facts is None:
                report.skipped[f"no {event_type.TOPIC.name} facts yet"] += 1
                continue
            event = event_type.model_validate({
                **facts, "image_id": record.id,
                "event_id": derived_id("reprocess", f"{report.run}/{event_type.TOPIC.name}", record.id)})
            producer.produce(event.TOPIC.name, key=event.key(), value=event.value(), headers=provenance,
                             on_delivery=delivered)
            producer.poll(0)
            report.sent[event.TOPIC.name] += 1
            sent += 1
            if per_second:  # hold the pace: the stage's lag is what the operator watches
                ahead = sent / per_second - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
    return failures
