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


def partition_offsets(settings: KafkaSettings, group: str, topics: Iterable[str],
                      timeout_s: float = 10) -> list[PartitionOffsets]:
    """Every partition of `topics`, with `group`'s committed offset and the
    partition's start and end. A topic that does not exist is left out."""
    # A consumer of the group that never subscribes (so never joins it) reads the same
    # offsets as the admin API. Workers ask this while Kafka restarts, and librdkafka's
    # admin requests to a group coordinator can abort the whole process when the broker
    # goes away mid-request (confluentinc/librdkafka#4605).
    probe = kafka.consumer(settings, group=group, log_level=3)
    try:
        metadata = probe.list_topics(timeout=timeout_s).topics
        partitions = [TopicPartition(topic, p) for topic in topics if topic in metadata
                      for p in sorted(metadata[topic].partitions)]
        if not partitions:
            return []
        found = []
        for tp in probe.committed(partitions, timeout=timeout_s):
            start, end = probe.get_watermark_offsets(tp, timeout=timeout_s)
            # negative: the group never committed here
            found.append(PartitionOffsets(tp.topic, tp.partition, tp.offset if tp.offset >= 0 else None,
                                          start, end))
        return found
    finally:
        probe.close()


def lag(settings: KafkaSettings, group: str, topics: Iterable[str], timeout_s: float = 10) -> int:
    """The group's records still to process, summed over `topics`."""
    return sum(p.lag for p in partition_offsets(settings, group, topics, timeout_s))


def members(settings: KafkaSettings, group: str, timeout_s: float = 10) -> int:
    """How many consumers are in the group now (0 when none is). Asked in a
    child process: only the admin API knows, and its coordinator requests can
    abort the process that makes them (see partition_offsets)."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
        try:
            return child.submit(_members, settings, group, timeout_s).result(timeout=timeout_s + 30)
        except BrokenProcessPool as exc:
            raise KafkaException(f"asking Kafka for the members of {group} crashed its client") from exc


def _members(settings: KafkaSettings, group: str, timeout_s: float) -> int:
    client = kafka.admin(settings)
    try:
        description = client.describe_consumer_groups([group], request_timeout=timeout_s)[group].result()
    except KafkaException:
        return 0
    return len(description.members)
