"""Kafka consumer groups as operators see them: per partition, where the
group has committed to and where the topic ends (the lag between them), and
how many members the group has. Read with the admin API, as KEDA reads it,
so `./darkroom ops lag`, a worker's lag gauge and the autoscaler agree."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException, TopicPartition
from confluent_kafka.admin import OffsetSpec

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
    client = kafka.admin(settings)
    metadata = client.list_topics(timeout=timeout_s).topics
    partitions = [TopicPartition(topic, p) for topic in topics if topic in metadata
                  for p in sorted(metadata[topic].partitions)]
    if not partitions:
        return []
    request = [ConsumerGroupTopicPartitions(group, partitions)]
    committed = {(tp.topic, tp.partition): tp.offset
                 for tp in client.list_consumer_group_offsets(request, request_timeout=timeout_s)[group]
                 .result().topic_partitions}
    starts = _offsets(client, partitions, OffsetSpec.earliest(), timeout_s)
    ends = _offsets(client, partitions, OffsetSpec.latest(), timeout_s)
    found = []
    for tp in partitions:
        place = (tp.topic, tp.partition)
        offset = committed.get(place, -1)  # negative: the group never committed here
        found.append(PartitionOffsets(tp.topic, tp.partition, offset if offset >= 0 else None,
                                      starts[place], ends[place]))
    return found


def _offsets(client, partitions: list[TopicPartition], spec: OffsetSpec,
             timeout_s: float) -> dict[tuple[str, int], int]:
    futures = client.list_offsets({tp: spec for tp in partitions}, request_timeout=timeout_s)
    return {(tp.topic, tp.partition): future.result().offset for tp, future in futures.items()}


def members(settings: KafkaSettings, group: str, timeout_s: float = 10) -> int:
    """How many consumers are in the group now (0 when none is)."""
    client = kafka.admin(settings)
    try:
        description = client.describe_consumer_groups([group], request_timeout=timeout_s)[group].result()
    except KafkaException:
        return 0
    return len(description.members)
