"""Kafka consumer groups as operators see them: per partition, where the
group has committed to and where the topic ends (the lag between them), and
how many members the group has. The offsets are the ones KEDA reads, so
`./darkroom ops lag`, a worker's lag gauge and the autoscaler agree."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from confluent_kafka import KafkaException, TopicPartition

from connectors import kafka
from connectors.settings import KafkaSettings


@dataclass(frozen=True)
class PartitionOffsets:
    topic: str
    partition: int
    committed: int | None  # the next offset the group will read; None: it never committed here
    start: int  # the oldest offset still kept
    end: int  # the offset the next record will get

    @property
    def lag(self) -> int:
        """Records the group has still to process. A group that never committed
        starts from the oldest kept record (auto.offset.reset=earliest)."""
        position = self.start if self.committed is None else max(self.committed, self.start)
        return max(self.end - position, 0)


class OffsetReader:
    """Reads `group`'s committed offsets and the partitions' ends through a
    consumer of the group that never subscribes (so never joins it): the same
    offsets as the admin API. Workers ask this while Kafka restarts, and
    librdkafka's admin requests to a group coordinator can abort the whole
    process when the broker goes away mid-request (confluentinc/librdkafka#4605).
    One reader serves many readings (a worker's lag gauge keeps one open)."""

    def __init__(self, settings: KafkaSettings, group: str) -> None:
        self._probe = kafka.consumer(settings, group=group, log_level=3)

    def read(self, topics: Iterable[str], timeout_s: float = 10) -> list[PartitionOffsets]:
        """Every partition of `topics`, with the group's committed offset and the
        partition's start and end. A topic that does not exist is left out."""
        metadata = self._probe.list_topics(timeout=timeout_s).topics
        partitions = [TopicPartition(topic, p) for topic in topics if topic in metadata
                      for p in sorted(metadata[topic].partitions)]
        if not partitions:
            return []
        found = []
        for tp in self._probe.committed(partitions, timeout=timeout_s):
            start, end = self._probe.get_watermark_offsets(tp, timeout=timeout_s)
            # negative: the group never committed here
            found.append(PartitionOffsets(tp.topic, tp.partition, tp.offset if tp.offset >= 0 else None,
                                          start, end))
        return found

    def close(self) -> None:
        self._probe.close()


def partition_offsets(settings: KafkaSettings, group: str, topics: Iterable[str],
                      timeout_s: float = 10) -> list[PartitionOffsets]:
    """One reading of OffsetReader.read, with a reader of its own."""
    reader = OffsetReader(settings, group)
    try:
        return reader.read(topics, timeout_s)
    finally:
        reader.close()


def lag(settings: KafkaSettings, group: str, topics: Iterable[str], timeout_s: float = 10) -> int:
    """The group's records still to process, summed over `topics`."""
    return sum(p.lag for p in partition_offsets(settings, group, topics, timeout_s))


def members(settings: KafkaSettings, groups: Iterable[str], timeout_s: float = 10) -> dict[str, int]:
    """How many consumers each group has now (0 when none). Asked in one child
    process for all the groups: only the admin API knows, and its coordinator
    requests can abort the process that makes them (see partition_offsets)."""
    wanted = sorted(set(groups))
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
        try:
            return child.submit(_members, settings, wanted, timeout_s).result(timeout=timeout_s + 30)
        except BrokenProcessPool as exc:
            raise KafkaException(f"asking Kafka for the members of {', '.join(wanted)} crashed "
                                 "its client") from exc


def _members(settings: KafkaSettings, groups: list[str], timeout_s: float) -> dict[str, int]:
    client = kafka.admin(settings)
    found = {}
    for group, future in client.describe_consumer_groups(groups, request_timeout=timeout_s).items():
        try:
            found[group] = len(future.result().members)
        except KafkaException:  # a group Kafka does not know has no member
            found[group] = 0
    return found
