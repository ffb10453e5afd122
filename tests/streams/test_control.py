"""How a worker obeys its operators, without Kafka: records meant for another
stage are skipped, and a paused stage's partitions stop being fetched
(including ones it is given later) and are given back on resume."""

from __future__ import annotations

import asyncio

import pytest

from connectors.operations import Control
from schemas import headers
from streams import control


@pytest.mark.parametrize("record_headers, meant", [
    (None, True),
    ([], True),
    ([(headers.STAGE, b"resize")], True),
    ([(headers.STAGE, b"metadata"), (headers.REPLAY_OF, b"darkroom.dlq.metadata/0/3")], False),
    ({headers.STAGE: b"metadata"}, False),
], ids=["no headers", "empty", "for this stage", "for another stage", "as a mapping"])
def test_a_record_for_another_stage_is_not_for_this_one(record_headers, meant):
    assert control.meant_for("resize", record_headers) is meant


class FakeConsumer:
    def __init__(self, assigned: set[str]) -> None:
        self.assigned, self.paused = set(assigned), set()
        self.seeks_to_committed = 0

    def assignment(self) -> set[str]:
        return set(self.assigned)

    def pause_partitions(self, tps):
        self.paused |= set(tps)

    def resume_partitions(self, tps):
        self.paused -= set(tps)

    async def perform_seek(self):
        assert self.paused, "seek back before the partitions are fetched again"
        self.seeks_to_committed += 1


class FakeApp:
    def __init__(self, consumer: FakeConsumer) -> None:
        self.consumer = consumer


class FakeControls:
    def __init__(self) -> None:
        self.paused = False

    def is_paused(self, stage: str) -> bool:
        return self.paused

    def get(self, stage: str) -> Control:
        return Control(stage, self.paused)


def test_a_paused_stage_stops_fetching_every_partition_it_holds_and_resumes():
    consumer, controls = FakeConsumer({"p0", "p1"}), FakeControls()
    obedience = control.Obedience(FakeApp(consumer), "resize", controls)  # type: ignore[arg-type]
    asyncio.run(obedience.check())
    assert consumer.paused == set()
    controls.paused = True
    asyncio.run(obedience.check())
    assert consumer.paused == {"p0", "p1"}
    consumer.assigned.add("p2")  # a rebalance gives it one more: paused at once
    obedience.apply()
    assert consumer.paused == {"p0", "p1", "p2"}
    assert consumer.seeks_to_committed == 0
    controls.paused = False
    asyncio.run(obedience.check())
    assert consumer.paused == set()
    # from the committed offsets: records a fetch returned just as the pause began are not skipped
    assert consumer.seeks_to_committed == 1
    asyncio.run(obedience.check())
    assert consumer.seeks_to_committed == 1


def test_an_unreadable_control_changes_nothing():
    consumer = FakeConsumer({"p0"})

    class Away(FakeControls):
        def is_paused(self, stage: str) -> bool:
            raise TimeoutError("Cassandra is away")

    obedience = control.Obedience(FakeApp(consumer), "resize", Away())  # type: ignore[arg-type]
    obedience.paused = True
    obedience.apply()
    asyncio.run(obedience.check())
    assert obedience.paused and consumer.paused == {"p0"}
