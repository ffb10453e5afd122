"""What goes in and what comes out during a scenario.

`Uploader`: clients posting photos through the API at a steady rate, each
with its own Idempotency-Key, retrying what a client should retry (the API
away, 503 `unavailable`, 409 `upload_in_progress`) with the same key until
the API gives a final answer.

`Observer`: one consumer reading every Darkroom topic from where it ended
when the scenario started, keeping (topic, key, event id, time) of each
record and each dead letter, so the audit can count per image. It follows
Kafka to a new host port after a restart, from the offsets it had reached.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
from confluent_kafka import TopicPartition

from connectors import groups, kafka
from connectors.settings import KafkaSettings
from schemas import topics
from streams import registry
from tests.faults.photos import Photo

RETRY_STATUS = frozenset({502, 503, 504})
RETRY_CODES = frozenset({"unavailable", "upload_in_progress"})
CLIENT_TIMEOUT_S = 60
GIVE_UP_S = 600  # a client keeps retrying one file this long


@dataclass
class Sent:
    """One file's journey through the client: every attempt, then the answer."""

    photo: Photo
    key: str
    started: float = 0.0
    attempts: list[tuple[float, str]] = field(default_factory=list)  # (time, status or error)
    status: int | None = None
    body: dict = field(default_factory=dict)
    finished: float = 0.0

    @property
    def image_id(self) -> str | None:
        return self.body.get("id") if self.status in (200, 201, 202) else None

    @property
    def code(self) -> str | None:
        return (self.body.get("error") or {}).get("code")


class Uploader:
    """Posts `photos` to `api_url` as `key`'s user, `rate` files per second
    (None: as fast as `clients` threads go)."""

    def __init__(self, api_url: Callable[[], str], key: str, photos: list[Photo], rate: float | None,
                 clients: int = 4, visibility: str = "public") -> None:
        self.api_url, self.key, self.rate, self.clients = api_url, key, rate, clients
        self.visibility = visibility
        self.sent = [Sent(p, uuid.uuid4().hex) for p in photos]
        self._thread: threading.Thread | None = None
        self._local = threading.local()

    def start(self) -> Uploader:
        self._thread = threading.Thread(target=self._run, name="uploader", daemon=True)
        self._thread.start()
        return self

    def join(self, timeout_s: float | None = None) -> None:
        assert self._thread is not None
        self._thread.join(timeout_s)

    @property
    def started(self) -> int:
        return sum(s.started > 0 for s in self.sent)

    @property
    def done(self) -> int:
        return sum(s.status is not None for s in self.sent)

    def _run(self) -> None:
        with ThreadPoolExecutor(self.clients, thread_name_prefix="client") as pool:
            begun = time.monotonic()
            futures = []
            for i, item in enumerate(self.sent):
                if self.rate:
                    time.sleep(max(0.0, begun + i / self.rate - time.monotonic()))
                futures.append(pool.submit(self._send, item))
            for future in futures:
                future.result()

    def _client(self) -> httpx.Client:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = httpx.Client(timeout=CLIENT_TIMEOUT_S)
        return client

    def _send(self, item: Sent) -> None:
        item.started = time.time()
        delay = 0.2
        while True:
            try:
                response = self._client().post(
                    f"{self.api_url()}/v1/images",
                    headers={"Authorization": f"Bearer {self.key}", "Idempotency-Key": item.key},
                    files={"file": (item.photo.name, item.photo.data)},
                    data={"visibility": self.visibility})
                body = response.json() if response.headers.get("content-type", "").startswith(
                    "application/json") else {}
                code = (body.get("error") or {}).get("code") if isinstance(body, dict) else None
                item.attempts.append((time.time(), f"{response.status_code} {code or ''}".strip()))
                if response.status_code not in RETRY_STATUS and code not in RETRY_CODES:
                    item.status, item.body = response.status_code, body
                    break
            except (httpx.TransportError, json.JSONDecodeError) as exc:
                item.attempts.append((time.time(), type(exc).__name__))
                self._local.client = None  # a fresh connection after a reset
            if time.time() - item.started > GIVE_UP_S:
                item.status, item.body = 0, {"error": {"code": "client_gave_up"}}
                break
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
        item.finished = time.time()


@dataclass(frozen=True)
class Seen:
    topic: str
    partition: int
    offset: int
    key: str
    event_id: str | None
    at: float  # when the observer read it
    value: dict


class Observer:
    """Every record of Darkroom's topics from the offsets they had at start()."""

    def __init__(self, bootstrap: Callable[[], str]) -> None:
        self.bootstrap = bootstrap
        self.records: list[Seen] = []
        self._next: dict[tuple[str, int], int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _consumer(self):
        return kafka.consumer(KafkaSettings(bootstrap=self.bootstrap()),
                              group=f"faults-{uuid.uuid4().hex[:8]}", **{"log_level": 3})

    def start(self) -> Observer:
        """Note where every topic ends now, then read from there on."""
        consumer = self._consumer()
        try:
            for topic in topics.declared():
                metadata = consumer.list_topics(topic.name, timeout=30).topics[topic.name]
                for partition in metadata.partitions:
                    tp = TopicPartition(topic.name, partition)
                    self._next[(topic.name, partition)] = consumer.get_watermark_offsets(tp, timeout=30)[1]
        finally:
            consumer.close()
        self.begin = dict(self._next)
        self._spawn()
        return self

    def _spawn(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="observer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        consumer = self._consumer()
        consumer.assign([TopicPartition(t, p, o) for (t, p), o in self._next.items()])
        try:
            while not self._stop.is_set():
                message = consumer.poll(0.2)
                if message is None or message.error():
                    continue
                try:
                    value = json.loads(message.value())
                except ValueError:
                    value = {}
                seen = Seen(message.topic(), message.partition(), message.offset(),
                            (message.key() or b"").decode(errors="replace"),
                            value.get("event_id") if isinstance(value, dict) else None, time.time(),
                            value if isinstance(value, dict) else {})
                with self._lock:
                    self.records.append(seen)
                    self._next[(seen.topic, seen.partition)] = seen.offset + 1
        finally:
            consumer.close()

    def reconnect(self) -> None:
        """Kafka moved (a restart gives it a new host port): read on from there."""
        self.stop()
        self._spawn()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)

    def of(self, topic: str, keys: set[str] | None = None) -> list[Seen]:
        with self._lock:
            return [r for r in self.records if r.topic == topic and (keys is None or r.key in keys)]



def stage_lag(bootstrap: str, stages: Iterable[str] | None = None) -> dict[str, int]:
    """Each stage's records not yet committed by its consumer group, over its
    input topics. Records a worker holds, done or in work, are in it until
    faust commits them (every 2.8 s, once their output is sent)."""
    settings = KafkaSettings(bootstrap=bootstrap)
    found = registry.discover()
    return {name: groups.lag(settings, found[name].group, [t.name for t in found[name].input_topics])
            for name in sorted(stages or found)}
