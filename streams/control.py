"""How a running stage obeys its operators (`./darkroom ops`), the same on
the local stack and on Kubernetes:

- pause and resume: every `DARKROOM_CONTROL_INTERVAL_S` seconds, and as soon
  as it is given partitions, a worker reads its stage's control from
  Cassandra (connectors/operations.py). While the stage is paused it stops
  fetching from every partition it holds: records already fetched finish,
  offsets stay where they are, the lag grows. Resumed, it reads on from the
  committed offsets. When the control cannot be read (Cassandra away) the
  worker keeps doing what it did.
- records meant for one stage: a replayed dead letter or a reprocess record
  carries the `darkroom-stage` header (schemas/headers.py); every other
  stage that reads the topic skips it, so a replay for resize does not make
  metadata and indexing redo their work.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import faust
from prometheus_client import Gauge
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.cassandra import Cassandra
from connectors.errors import is_unavailable
from connectors.operations import StageControls
from connectors.settings import CassandraSettings
from schemas import headers
from streams.observability.worker import assignment

log = logging.getLogger(__name__)

PAUSED = Gauge("darkroom_stage_paused", "1 while operators have paused the stage", ["stage"])


class ControlSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DARKROOM_CONTROL_", extra="ignore")
    interval_s: float = 2.0  # how often a worker reads its stage's control


def meant_for(stage: str, record_headers: headers.Headers) -> bool:
    """False for a record an operator sent to another stage."""
    target = headers.get(record_headers, headers.STAGE)
    return target is None or target == stage


class Obedience:
    """One worker's view of its stage's control, applied to its consumer."""

    def __init__(self, app: faust.App, stage: str, controls: StageControls | None = None) -> None:
        self.app, self.stage = app, stage
        self._controls = controls
        self.paused = False
        self._held: set[Any] = set()  # the partitions this worker paused

    @property
    def controls(self) -> StageControls:
        if self._controls is None:  # made in the worker, not when the stage is declared
            self._controls = StageControls(Cassandra(CassandraSettings()))
        return self._controls

    async def check(self) -> None:
        try:
            paused = await asyncio.to_thread(self.controls.is_paused, self.stage)
        except Exception as exc:  # noqa: BLE001 - an unreadable control changes nothing
            if not is_unavailable(exc):
                log.exception("%s: cannot read the stage's control", self.stage)
            return
        if paused != self.paused:
            log.warning("%s: %s by the operators", self.stage, "paused" if paused else "resumed")
        if self._held and not paused:
            # A fetch in flight when the pause began can return records of the partitions it
            # paused: faust drops them, yet the consumer's position has moved past them. So a
            # resumed stage starts again from its committed offsets, as after a rebalance
            # (what was still in work is read again; every write is idempotent).
            await self.app.consumer.perform_seek()
        self.paused = paused
        self.apply()

    def apply(self) -> None:
        consumer, assigned = self.app.consumer, assignment(self.app)
        if self.paused:
            fresh = assigned - self._held
            if fresh:
                consumer.pause_partitions(fresh)
                self._held |= fresh
        elif self._held:
            consumer.resume_partitions(self._held & assigned)
            self._held.clear()
        self._held &= assigned
        PAUSED.labels(self.stage).set(1 if self.paused else 0)


def install(app: faust.App, stage: str) -> Obedience:
    """Make `app`'s workers obey the stage's control."""
    settings = ControlSettings()
    obedience = Obedience(app, stage)

    @app.task
    async def obey() -> None:
        while True:
            await obedience.check()
            await asyncio.sleep(settings.interval_s)

    def on_assigned(_sender: Any, *_args: Any, **_kwargs: Any) -> None:
        obedience.apply()  # new partitions of a paused stage are paused before their first fetch

    # mode's handler type is generic over the sender in a way mypy cannot match to a plain function.
    app.on_partitions_assigned.connect(on_assigned)  # type: ignore[arg-type]
    return obedience
