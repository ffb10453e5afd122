"""The operator's tools behind `./darkroom ops`, on any stack whose DARKROOM_*
settings they are given (the local stack, the local cluster's NodePorts, or
production's addresses):

- `lag`: each stage's consumer-group lag per partition, how fast it is
  consumed and produced, and how long it will take to drain at that pace;
- `pause` / `resume`: a stage's control in Cassandra, obeyed by its workers
  within seconds (streams/control.py);
- `dead_letters` / `replay`: what a stage dead-lettered, and sending it back
  to the stage's input, each letter at most once unless asked again
  (connectors/operations.py keeps the ledger), with provenance headers;
- `reprocess` (ops_reprocess.py): a stage's input rebuilt from the records.

Records an operator sends carry the `darkroom-stage` header: only that stage
takes them (schemas/headers.py).
"""

from __future__ import annotations

import contextlib
import getpass
import re
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from confluent_kafka import KafkaError, KafkaException, Message, Producer, TopicPartition
from pydantic import ValidationError

from connectors import groups, kafka
from connectors.cassandra import Cassandra
from connectors.operations import Control, Replay, ReplayLedger, StageControls
from connectors.records import ImageRepository
from connectors.settings import CassandraSettings, KafkaSettings
from devstack.settings_env import settings_from_env
from schemas import headers
from schemas.events import DeadLetter
from streams import registry
from streams.registry import Stage

Env = dict[str, str]
kafka_headers = list[tuple[str, str | bytes | None]]  # as confluent-kafka takes them


class OpsError(RuntimeError):
    """An operator asked for something that cannot be done; the message says why."""


def operator() -> str:
    return f"{getpass.getuser()}@{socket.gethostname()}"


def stage(name: str) -> Stage:
    stages = registry.discover()
    if name not in stages:
        raise OpsError(f"no stage {name!r}; the stages are {', '.join(sorted(stages))}")
    return stages[name]


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`30m`, `2h`, `7d` ago, or an ISO 8601 time (UTC unless it says)."""
    now = now or datetime.now(UTC)
    relative = re.fullmatch(r"(\d+)([smhd])", text.strip())
    if relative:
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[relative.group(2)]
        return now - timedelta(**{unit: int(relative.group(1))})
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise OpsError(f"--since {text!r}: give 30m, 2h, 7d or an ISO 8601 time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- lag ------------------------------------------------------------------------


@dataclass
class PartitionLag:
    topic: str
    partition: int
    committed: int | None
    end: int
    lag: int
    consumed_per_s: float
    produced_per_s: float

    @property
    def drain_s(self) -> float | None:
        """Seconds to a lag of zero at the pace measured; None while it does not shrink."""
        return _drain(self.lag, self.consumed_per_s, self.produced_per_s)


@dataclass
class StageLag:
    stage: str
    group: str
    members: int
    paused: bool
    partitions: list[PartitionLag] = field(default_factory=list)

    @property
    def lag(self) -> int:
        return sum(p.lag for p in self.partitions)

    @property
    def consumed_per_s(self) -> float:
        return sum(p.consumed_per_s for p in self.partitions)

    @property
    def produced_per_s(self) -> float:
        return sum(p.produced_per_s for p in self.partitions)

    @property
    def drain_s(self) -> float | None:
        return _drain(self.lag, self.consumed_per_s, self.produced_per_s)

    def as_json(self) -> dict[str, object]:
        return {"stage": self.stage, "group": self.group, "members": self.members, "paused": self.paused,
                "lag": self.lag, "consumed_per_s": round(self.consumed_per_s, 2),
                "produced_per_s": round(self.produced_per_s, 2), "drain_s": _round(self.drain_s),
                "partitions": [{"topic": p.topic, "partition": p.partition, "committed": p.committed,
                                "end": p.end, "lag": p.lag, "consumed_per_s": round(p.consumed_per_s, 2),
                                "produced_per_s": round(p.produced_per_s, 2), "drain_s": _round(p.drain_s)}
                               for p in self.partitions]}


def _drain(lag: int, consumed: float, produced: float) -> float | None:
    if lag == 0:
        return 0.0
    net = consumed - produced
    return lag / net if net > 0 else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def lag(env: Env, names: list[str] | None = None, interval_s: float = 5.0) -> list[StageLag]:
    """Every stage's (or those named) lag, sampled twice `interval_s` apart
    for the rates."""
    settings = settings_from_env(KafkaSettings, env)
    every = registry.discover()
    chosen = [stage(n) for n in names] if names else [every[n] for n in sorted(every)]
    topics = {s.name: [t.name for t in s.input_topics] for s in chosen}
    first = {s.name: groups.partition_offsets(settings, s.group, topics[s.name]) for s in chosen}
    started = time.monotonic()
    time.sleep(interval_s)
    second = {s.name: groups.partition_offsets(settings, s.group, topics[s.name]) for s in chosen}
    elapsed = time.monotonic() - started
    with _db(env) as db:
        controls = StageControls(db).all()
    consumers = groups.members(settings, [s.group for s in chosen])
    found = []
    for s in chosen:
        before = {(p.topic, p.partition): p for p in first[s.name]}
        entry = StageLag(s.name, s.group, consumers[s.group],
                         controls.get(s.name, Control(s.name, False)).paused)
        for now in second[s.name]:
            then = before.get((now.topic, now.partition), now)
            consumed = ((now.committed or now.start) - (then.committed or then.start)) / elapsed
            entry.partitions.append(PartitionLag(now.topic, now.partition, now.committed, now.end, now.lag,
                                                 max(consumed, 0.0), max(now.end - then.end, 0) / elapsed))
        found.append(entry)
    return found


# -- pause and resume ------------------------------------------------------------


@contextlib.contextmanager
def _db(env: Env) -> Iterator[Cassandra]:
    """The keyspace's session, shut down afterwards (the driver's threads
    outliving the interpreter's end crash it)."""
    db = Cassandra(settings_from_env(CassandraSettings, env))
    try:
        yield db
    finally:
        db.close()


def pause(env: Env, name: str, reason: str | None = None, by: str | None = None) -> Control:
    with _db(env) as db:
        return StageControls(db).set(stage(name).name, paused=True, reason=reason, by=by or operator())


def resume(env: Env, name: str, by: str | None = None) -> Control:
    with _db(env) as db:
        return StageControls(db).set(stage(name).name, paused=False, reason=None, by=by or operator())


# -- dead letters ---------------------------------------------------------------


@dataclass(frozen=True)
class Letter:
    partition: int
    offset: int
    letter: DeadLetter | None  # None: the record is not a dead letter Darkroom wrote
    raw: bytes
    replay: Replay | None = None

    @property
    def place(self) -> str:
        return f"{self.partition}/{self.offset}"


def _read(settings: KafkaSettings, topic: str, since: datetime | None,
          idle_s: float = 15) -> Iterator[tuple[int, int, bytes]]:
    """Every record of `topic` (from `since`) up to its end now, as
    (partition, offset, value), read by a consumer that commits nothing."""
    consumer = kafka.consumer(settings, group=f"darkroom-ops-{uuid.uuid4().hex[:8]}")
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics[topic]
        if metadata.error is not None:
            raise OpsError(f"topic {topic}: {metadata.error}")
        bounds = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                  for p in sorted(metadata.partitions)}
        starts = {p: low for p, (low, _high) in bounds.items()}
        if since is not None:
            wanted = [TopicPartition(topic, p, int(since.timestamp() * 1000)) for p in bounds]
            for tp in consumer.offsets_for_times(wanted, timeout=10):
                # -1: no record since then in this partition
                starts[tp.partition] = tp.offset if tp.offset >= 0 else bounds[tp.partition][1]
        ends = {p: high for p, (_low, high) in bounds.items()}
        unread = {p for p in bounds if starts[p] < ends[p]}
        consumer.assign([TopicPartition(topic, p, starts[p]) for p in unread])
        idle_until = time.monotonic() + idle_s
        while unread and time.monotonic() < idle_until:
            message = consumer.poll(0.5)
            if message is None:
                continue
            if message.error():
                raise KafkaException(message.error())
            idle_until = time.monotonic() + idle_s
            partition, offset = message.partition() or 0, message.offset() or 0
            if offset + 1 >= ends[partition]:
                unread.discard(partition)
            if offset < ends[partition]:
                yield partition, offset, message.value() or b""
    finally:
        consumer.close()


def dead_letters(env: Env, name: str, since: datetime | None = None, code: str | None = None) -> list[Letter]:
    """The stage's dead letters (from `since`, of `code`), oldest first, each
    with its replay if it had one."""
    chosen = stage(name)
    with _db(env) as db:
        replays = ReplayLedger(db).replays(chosen.name)
    found = []
    settings = settings_from_env(KafkaSettings, env)
    for partition, offset, raw in _read(settings, chosen.dead_letters.name, since):
        try:
            letter: DeadLetter | None = DeadLetter.model_validate_json(raw)
        except ValidationError:
            letter = None
        if code is not None and (letter is None or letter.code != code):
            continue
        found.append(Letter(partition, offset, letter, raw, replays.get((partition, offset))))
    return found


@dataclass
class ReplayReport:
    replayed: list[tuple[Letter, str]] = field(default_factory=list)  # with where it went
    skipped: list[tuple[Letter, str]] = field(default_factory=list)  # with why


def replay(env: Env, name: str, *, since: datetime | None = None, code: str | None = None,
           offsets: list[int] | None = None, again: bool = False, by: str | None = None) -> ReplayReport:
    """Send the stage's dead letters (those chosen) back to the topic each was
    read from, for this stage alone. A letter replayed before (or whose
    replay never finished) is skipped unless `again`. An image the letter
    marked failed goes back to processing first, so it can become ready."""
    chosen, by = stage(name), by or operator()
    letters = dead_letters(env, name, since, code)
    producer = kafka.producer(settings_from_env(KafkaSettings, env))
    report = ReplayReport()
    with _db(env) as db:
        _replay(chosen, letters, ReplayLedger(db), ImageRepository(db), producer, offsets, again, by, report)
    return report


def _replay(chosen: Stage, letters: list[Letter], ledger: ReplayLedger, records: ImageRepository,
            producer: Producer, offsets: list[int] | None, again: bool, by: str,
            report: ReplayReport) -> None:
    inputs = {t.name for t in chosen.input_topics}
    for entry in letters:
        if offsets is not None and entry.offset not in offsets:
            continue
        letter = entry.letter
        if letter is None or letter.source_topic not in inputs:
            report.skipped.append((entry, "not a dead letter of this stage's input"))
            continue
        if not ledger.claim(chosen.name, entry.partition, entry.offset, by, again=again):
            done = entry.replay
            where = f" to {done.target}" if done and done.target else ""
            why = f"already {done.state if done else 'claimed'}{where}; --again replays it once more"
            report.skipped.append((entry, why))
            continue
        if letter.key:
            records.retry(letter.key)
        provenance: kafka_headers = [(headers.STAGE, chosen.name.encode()),
                      (headers.REPLAY_OF, f"{chosen.dead_letters.name}/{entry.place}".encode()),
                      (headers.SOURCE, f"{letter.source_topic}/{letter.partition}/{letter.offset}".encode()),
                      (headers.SENT_BY, by.encode())]
        target = _send(producer, letter.source_topic, letter.key.encode() if letter.key else None,
                       letter.payload.encode(), provenance)
        ledger.done(chosen.name, entry.partition, entry.offset, target)
        report.replayed.append((entry, target))


def _send(producer: Producer, topic: str, key: bytes | None, value: bytes, record_headers: kafka_headers,
          timeout_s: float = 30) -> str:
    """Produce one record and wait for Kafka's word; returns topic/partition/offset."""
    delivered: list[Message] = []
    failed: list[KafkaError] = []

    def report(err: KafkaError | None, message: Message) -> None:
        if err is not None:
            failed.append(err)
        else:
            delivered.append(message)

    producer.produce(topic, key=key, value=value, headers=record_headers, on_delivery=report)
    deadline = time.monotonic() + timeout_s
    while not delivered and not failed and time.monotonic() < deadline:
        producer.poll(0.1)
    if not delivered:
        raise OpsError(f"Kafka did not take the record for {topic}: {failed[0] if failed else 'timed out'}")
    message = delivered[0]
    return f"{message.topic()}/{message.partition()}/{message.offset()}"
